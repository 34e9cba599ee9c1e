package chain_test

import (
	"bytes"
	"sort"
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

func TestHistoryByKeyIsInChainOrder(t *testing.T) {
	h := newHarness(t)
	h.extend(104)
	// Four payments to one key, placed in the block against their txid
	// order, so an answer sorted by txid would be caught.
	var pays []*tx.Tx
	for height := uint64(1); height <= 4; height++ {
		pays = append(pays, h.pay(h.coinbaseSpend(height), 0))
	}
	sort.Slice(pays, func(i, j int) bool {
		a, b := pays[i].ID(), pays[j].ID()
		return bytes.Compare(a[:], b[:]) > 0
	})
	h.extend(1, pays...)
	later := h.pay(h.coinbaseSpend(5), 0)
	h.extend(1, later)

	var want []chainhash.Hash
	for _, p := range append(pays, later) {
		want = append(want, p.ID())
	}
	got, err := h.c.HistoryByKey(chaintest.NewKey(99).Pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("history has %d entries, want %d", len(got), len(want))
	}
	for i, e := range got {
		if e.TxID != want[i] {
			t.Fatalf("entry %d is %s (height %d, position %d), want %s", i, e.TxID, e.Height, e.Position, want[i])
		}
	}
	if got[0].Height != 105 || got[0].Position != 1 || got[4].Height != 106 || got[4].Position != 1 {
		t.Fatalf("heights and positions %+v", got)
	}
}
