package chain_test

import (
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
)

func TestReopenAfterEveryStep(t *testing.T) {
	h := newHarness(t)
	h.extend(100)
	for i := uint64(1); i <= 20; i++ {
		h.extend(1, h.pay(h.coinbaseSpend(i), fee))
		tip, hash := h.c.Tip(), h.utxoHash()
		h.reopen()
		if got := h.c.Tip(); got.Hash != tip.Hash || got.Height != tip.Height || got.Work.Cmp(tip.Work) != 0 {
			t.Fatalf("step %d: reopened tip %s/%d, want %s/%d", i, got.Hash, got.Height, tip.Hash, tip.Height)
		}
		if h.utxoHash() != hash {
			t.Fatalf("step %d: UTXO set changed across reopen", i)
		}
	}
	// A reorg after reopening still has the undo data it needs.
	alt := h.branch(h.main[110], 110, 12, chaintest.NewKey(6), 0, chaintest.Key{})
	h.submitAll(alt)
	h.requireTip(alt[11])
	h.reopen()
	h.requireTip(alt[11])
}
