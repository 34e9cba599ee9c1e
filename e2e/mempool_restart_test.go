package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ledgerd/ledger/mempool"
)

func TestMempoolSurvivesCleanRestart(t *testing.T) {
	n := startNode(t, "n1")
	w := newWallet(t, n, "a")
	w.must("create")
	addr := w.must("address")["address"].(string)
	n.generate(101, addr)
	txid, _ := w.must("send", "--to", w.must("address")["address"].(string), "--amount", "1")["txid"].(string)
	if got := n.status().MempoolTxs; got != 1 {
		t.Fatalf("mempool holds %d before the restart, want 1", got)
	}
	n.stop()
	if _, err := os.Stat(filepath.Join(n.dir, mempool.FileName)); err != nil {
		t.Fatalf("clean stop wrote no %s: %v", mempool.FileName, err)
	}
	n.restart()
	if got := n.status().MempoolTxs; got != 1 {
		t.Fatalf("mempool holds %d after the restart, want 1\n%s", got, n.logTail())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := n.client.Tx(ctx, txid)
	if err != nil || res.Block != nil {
		t.Fatalf("node tx %s after the restart: %+v, %v; want it unconfirmed in the pool", txid, res, err)
	}
	n.generate(1, addr)
	if got := n.status().MempoolTxs; got != 0 {
		t.Fatalf("restored transaction not mined: mempool holds %d", got)
	}
}
