package chain_test

import (
	"bytes"
	"sort"
	"testing"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/tx"
)

// TestHistoryPageAndSummaryMatchTheFullQueries: every page of a key's
// history, newest first, is the matching slice of HistoryByKey reversed,
// with blocks holding several of its transactions against txid order; and
// the summary adds up UnspentByKey and HistoryByKey.
func TestHistoryPageAndSummaryMatchTheFullQueries(t *testing.T) {
	h := newHarness(t)
	h.extend(110)
	key := chaintest.NewKey(99)
	byTxidDesc := func(txs []*tx.Tx) []*tx.Tx {
		sort.Slice(txs, func(i, j int) bool {
			a, b := txs[i].ID(), txs[j].ID()
			return bytes.Compare(a[:], b[:]) > 0
		})
		return txs
	}
	first := byTxidDesc([]*tx.Tx{h.pay(h.coinbaseSpend(1), 0), h.pay(h.coinbaseSpend(2), 0), h.pay(h.coinbaseSpend(3), 0), h.pay(h.coinbaseSpend(4), 0)})
	h.extend(1, first...)
	spend := chaintest.SignedTx(h.params.Name, []chaintest.Spend{chaintest.SpendOf(first[0], 0, key)},
		[]tx.TxOut{{Amount: first[0].Outputs[0].Amount, PubKey: chaintest.NewKey(98).Pub}})
	h.extend(1, h.pay(h.coinbaseSpend(5), 0), spend)
	h.extend(2, byTxidDesc([]*tx.Tx{h.pay(h.coinbaseSpend(6), 0), h.pay(h.coinbaseSpend(7), 0), h.pay(h.coinbaseSpend(8), 0)})...)

	// All in the write-back cache, all flushed to leveldb, then both.
	checkAddressQueries(t, h, key, 9, 7)
	h.reopen()
	checkAddressQueries(t, h, key, 9, 7)
	// Pending writes over stored ones, one of them deleting a stored output.
	spendStored := chaintest.SignedTx(h.params.Name, []chaintest.Spend{chaintest.SpendOf(first[1], 0, key)},
		[]tx.TxOut{{Amount: first[1].Outputs[0].Amount, PubKey: chaintest.NewKey(98).Pub}})
	h.extend(1, h.pay(h.coinbaseSpend(9), 0), h.pay(h.coinbaseSpend(10), 0), spendStored)
	checkAddressQueries(t, h, key, 12, 8)
}

// checkAddressQueries compares HistoryPage and SummaryByKey with the full
// queries for key, whose history has n entries and which has unspent outputs.
func checkAddressQueries(t *testing.T, h *harness, key chaintest.Key, n, unspent int) {
	t.Helper()
	full, err := h.c.HistoryByKey(key.Pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != n {
		t.Fatalf("history of %d entries, want %d", len(full), n)
	}
	for offset := 0; offset <= n+1; offset++ {
		for limit := 0; limit <= n+1; limit++ {
			page, total, err := h.c.HistoryPage(key.Pub, offset, limit)
			if err != nil {
				t.Fatalf("offset %d limit %d: %v", offset, limit, err)
			}
			if total != n {
				t.Fatalf("offset %d limit %d: total %d, want %d", offset, limit, total, n)
			}
			var want []chain.HistoryEntry
			for i := n - 1 - offset; i >= 0 && len(want) < limit; i-- {
				want = append(want, full[i])
			}
			if len(page) != len(want) {
				t.Fatalf("offset %d limit %d: %d entries, want %d", offset, limit, len(page), len(want))
			}
			for i := range want {
				if page[i] != want[i] {
					t.Fatalf("offset %d limit %d: entry %d is %+v, want %+v", offset, limit, i, page[i], want[i])
				}
			}
		}
	}
	if _, _, err := h.c.HistoryPage(key.Pub, -1, 5); err == nil {
		t.Fatal("a negative offset was accepted")
	}

	utxos, err := h.c.UnspentByKey(key.Pub)
	if err != nil {
		t.Fatal(err)
	}
	var balance int64
	for _, u := range utxos {
		balance += u.UTXO.Output.Amount
	}
	sum, err := h.c.SummaryByKey(key.Pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := (chain.AddressSummary{Balance: balance, Unspent: len(utxos), Txs: n}); sum != want || sum.Unspent != unspent {
		t.Fatalf("summary %+v, want %+v with %d unspent", sum, want, unspent)
	}
	if sum, err := h.c.SummaryByKey(chaintest.NewKey(1234).Pub); err != nil || sum != (chain.AddressSummary{}) {
		t.Fatalf("unused key's summary %+v, %v", sum, err)
	}
}
