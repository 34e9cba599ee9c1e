package e2e

import (
	"context"
	"slices"
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
	n1ID := peerIDOf(t, n1.addr())
	eventually(t, 30*time.Second, "n1 in the raw peer's meshes", func() bool {
		return slices.Contains(blocks.MeshPeers(), n1ID) && slices.Contains(txs.MeshPeers(), n1ID)
	})

	// An invalid transaction (bad signature) and invalid blocks (overpaying coinbases), each new.
	badTx := chaintest.SignedTx(regtest.Name, []chaintest.Spend{coinbaseSpend(t, n1, 1, miner)},
		[]tx.TxOut{{Amount: tx.UnitsPerCoin, PubKey: miner.Pub}})
	badTx.Inputs[0].Signature[0] ^= 1
	tipHash := n1.status().Tip
	tipBlock, _ := n1.client.Block(ctx, tipHash)
	parent := headerOf(t, n1, tipBlock.Hash)
	published := 0
	for i := 0; published < 6 && n1.connectedTo(raw.PeerID()); i++ {
		judged := metricSum(t, n1, "ledger_rejects_total")
		txs.Publish(ctx, badTx.Encode())
		bad := chaintest.Builder{Params: regtest, Miner: chaintest.NewKey(uint64(100 + i))}.Next(parent, 102, 1) // claims fees it has not got
		blocks.Publish(ctx, bad.Encode())
		published++
		// The next round goes once n1 has judged this one (or dropped the peer).
		eventually(t, 20*time.Second, "n1 to reject the invalid data", func() bool {
			return !n1.connectedTo(raw.PeerID()) || metricSum(t, n1, "ledger_rejects_total") > judged
		})
	}
	eventually(t, 20*time.Second, "n1 to disconnect the raw peer", func() bool { return !n1.connectedTo(raw.PeerID()) })
	if st := n2.status(); st.MempoolTxs != 0 || st.Height != 101 {
		t.Fatalf("invalid data reached n2: %+v", st)
	}
	if st := n1.status(); st.MempoolTxs != 0 || st.Height != 101 || st.Tip != tipHash {
		t.Fatalf("invalid data accepted by n1: %+v", st)
	}
	if !strings.Contains(n1.logText(), "banning peer") {
		t.Fatalf("n1's log does not show the ban:\n%s", n1.logTail())
	}
	// The ban covers the raw peer's own loopback address: once it has seen
	// the connection close, a new dial is refused before the handshake.
	eventually(t, 20*time.Second, "the raw peer to see the disconnection", func() bool { return !hostConnected(raw, n1ID) })
	if err := raw.Connect(context.Background(), n1.addr()); err == nil {
		t.Fatal("banned peer could reconnect")
	}
	if !n2.connectedTo(n1ID) {
		t.Fatal("honest peers lost their connection")
	}
}
