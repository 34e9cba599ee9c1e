package e2e

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// A node that joins while its peer holds unconfirmed transactions gets them
// once it has synced (its sync reconciles the pools then), without any new
// gossip.
func TestLateJoinerReceivesThePeersMempool(t *testing.T) {
	n1 := startNode(t, "n1")
	miner := chaintest.NewKey(1)
	n1.generate(101, addressOf(miner))
	s := coinbaseSpend(t, n1, 1, miner)
	pay := chaintest.SignedTx(regtest.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: chaintest.NewKey(2).Pub}})
	if _, err := n1.client.SendRaw(context.Background(), rpc.SendRawRequest{Hex: hex.EncodeToString(pay.Encode())}); err != nil {
		t.Fatalf("send-raw: %v", err)
	}
	if st := n1.status(); st.MempoolTxs != 1 {
		t.Fatalf("n1 mempool holds %d transactions, want 1", st.MempoolTxs)
	}
	n2 := startNode(t, "n2", "--peer", n1.addr())
	sameTip(t, 60*time.Second, 101, n1, n2)
	defer func() {
		if t.Failed() {
			t.Logf("n2 log:\n%s", n2.logTail())
		}
	}()
	eventually(t, 30*time.Second, "late joiner has the peer's unconfirmed transaction", func() bool {
		return n2.status().MempoolTxs == 1
	})
}
