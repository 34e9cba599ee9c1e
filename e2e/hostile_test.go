package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/tx"
)

func TestInvalidDataFromRawPeerIsRejectedNotRelayedAndPunished(t *testing.T) {
	n1 := startNode(t, "n1")
	n2 := startNode(t, "n2", "--peer", n1.addr())
	miner := chaintest.NewKey(1)
	n1.generate(101, addressOf(miner))
	sameTip(t, 30*time.Second, 101, n1, n2)

	raw := rawPeer(t)
	if err := raw.Connect(context.Background(), n1.addr()); err != nil {
		t.Fatal(err)
	}
	acceptAll := func(context.Context, peer.ID, []byte) p2p.Verdict { return p2p.Accept }
	blocks, _ := raw.JoinTopic(netproto.TopicBlocks, acceptAll)
	txs, _ := raw.JoinTopic(netproto.TopicTxs, acceptAll)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := txs.WaitForPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)

	// An invalid transaction (bad signature) and invalid blocks (overpaying coinbases), each new.
	badTx := chaintest.SignedTx(regtest.Name, []chaintest.Spend{coinbaseSpend(t, n1, 1, miner)},
		[]tx.TxOut{{Amount: tx.UnitsPerCoin, PubKey: miner.Pub}})
	badTx.Inputs[0].Signature[0] ^= 1
	tipHash := n1.status().Tip
	tipBlock, _ := n1.client.Block(ctx, tipHash)
	parent := headerOf(t, n1, tipBlock.Hash)
	published := 0
	for i := 0; published < 6 && n1.connectedTo(raw.PeerID()); i++ {
		txs.Publish(ctx, badTx.Encode())
		bad := chaintest.Builder{Params: regtest, Miner: chaintest.NewKey(uint64(100 + i))}.Next(parent, 102, 1) // claims fees it has not got
		blocks.Publish(ctx, bad.Encode())
		published++
		time.Sleep(300 * time.Millisecond)
	}
	deadline := time.Now().Add(20 * time.Second)
	for n1.connectedTo(raw.PeerID()) {
		if time.Now().After(deadline) {
			t.Fatalf("n1 did not disconnect the raw peer; log:\n%s", n1.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := n2.status(); st.MempoolTxs != 0 || st.Height != 101 {
		t.Fatalf("invalid data reached n2: %+v", st)
	}
	if st := n1.status(); st.MempoolTxs != 0 || st.Height != 101 || st.Tip != tipHash {
		t.Fatalf("invalid data accepted by n1: %+v", st)
	}
	if !strings.Contains(n1.logText(), "banning peer") {
		t.Fatalf("n1's log does not show the ban:\n%s", n1.logTail())
	}
	if err := raw.Connect(context.Background(), n1.addr()); err == nil {
		time.Sleep(500 * time.Millisecond)
		if n1.connectedTo(raw.PeerID()) {
			t.Fatal("banned peer could reconnect")
		}
	}
	if !n2.connectedTo(peerIDOf(t, n1.addr())) {
		t.Fatal("honest peers lost their connection")
	}
}
