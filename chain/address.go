package chain

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// Address queries for pages that show one key at a time (the explorer):
// they read the address indexes without building the whole history or
// UTXO list, so a key paid in every block stays cheap to show.

// AddressSummary is what the main chain holds for one key.
type AddressSummary struct {
	// Balance is the total of the key's unspent outputs, Unspent their number.
	Balance int64
	Unspent int
	// Txs counts the transactions that pay to or spend from the key.
	Txs int
}

// SummaryByKey returns pub's balance and the size of its history.
func (c *Chain) SummaryByKey(pub [32]byte) (AddressSummary, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var s AddressSummary
	err := c.eachKeyUTXO(pub, false, func(_ tx.OutPoint, u *UTXO) {
		s.Balance += u.Output.Amount
		s.Unspent++
	})
	if err != nil {
		return AddressSummary{}, err
	}
	err = c.store.iterateUnordered(key(prefixAddrTx, pub[:]), func(k, _ []byte) error {
		if len(k) != 1+32+8+32 {
			return fmt.Errorf("%w: address history key of %d bytes", ErrCorruptStore, len(k))
		}
		s.Txs++
		return nil
	})
	return s, err
}

// HistoryPage returns up to limit entries of pub's main-chain history,
// newest first, skipping the offset newest, and the history's length. It
// looks up the position in its block only of the entries at the heights
// the page covers, where chain order needs it.
func (c *Chain) HistoryPage(pub [32]byte, offset, limit int) ([]HistoryEntry, int, error) {
	if offset < 0 || limit < 0 {
		return nil, 0, fmt.Errorf("history page: offset %d, limit %d", offset, limit)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var all []HistoryEntry
	err := c.store.iterateUnordered(key(prefixAddrTx, pub[:]), func(k, _ []byte) error {
		rest := k[1+32:]
		if len(rest) != 8+32 {
			return fmt.Errorf("%w: address history key of %d bytes", ErrCorruptStore, len(k))
		}
		all = append(all, HistoryEntry{Height: binary.BigEndian.Uint64(rest[:8]), TxID: chainhash.Hash(rest[8:])})
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	// Order by height, then txid, as the keys are.
	slices.SortFunc(all, func(a, b HistoryEntry) int {
		if c := cmp.Compare(a.Height, b.Height); c != 0 {
			return c
		}
		return bytes.Compare(a.TxID[:], b.TxID[:])
	})
	n := len(all)
	if offset >= n || limit == 0 {
		return nil, n, nil
	}
	// The page is all[lo..hi] in chain order, reversed. Entries of one
	// height are ordered by position, so widen to whole heights, place
	// those entries, and the page is the same slice of the sorted range.
	lo, hi := max(0, n-offset-limit), n-1-offset
	from, to := lo, hi
	for from > 0 && all[from-1].Height == all[from].Height {
		from--
	}
	for to < n-1 && all[to+1].Height == all[to].Height {
		to++
	}
	for i := from; i <= to; i++ {
		v, ok, err := c.store.get(key(prefixTx, all[i].TxID[:]))
		if err != nil {
			return nil, 0, fmt.Errorf("look up tx %s: %w", all[i].TxID, err)
		}
		if !ok {
			return nil, 0, fmt.Errorf("%w: address history names unindexed tx %s", ErrCorruptStore, all[i].TxID)
		}
		loc, err := decodeTxLocation(v)
		if err != nil {
			return nil, 0, err
		}
		all[i].Position = int(loc.Position)
	}
	span := all[from : to+1]
	sort.Slice(span, func(i, j int) bool { return span[i].Before(span[j]) })
	page := make([]HistoryEntry, 0, hi-lo+1)
	for i := hi; i >= lo; i-- {
		page = append(page, all[i])
	}
	return page, n, nil
}

// eachKeyUTXO calls fn for each of pub's unspent outputs: in key order, or
// in none (cheaper) unless ordered. The caller holds c.mu.
func (c *Chain) eachKeyUTXO(pub [32]byte, ordered bool, fn func(tx.OutPoint, *UTXO)) error {
	iterate := c.store.iterateUnordered
	if ordered {
		iterate = c.store.iterate
	}
	return iterate(key(prefixAddrUTX, pub[:]), func(k, _ []byte) error {
		op, err := addrUTXOOutPoint(k)
		if err != nil {
			return err
		}
		u, err := c.store.utxo(op)
		if err != nil {
			return err
		}
		if u == nil {
			return fmt.Errorf("%w: address index names spent output %s:%d", ErrCorruptStore, op.TxID, op.Index)
		}
		fn(op, u)
		return nil
	})
}

// addrUTXOOutPoint reads the outpoint of an unspent-output index key.
func addrUTXOOutPoint(k []byte) (op tx.OutPoint, err error) {
	rest := k[min(len(k), 1+32):]
	if len(rest) != 36 {
		return op, fmt.Errorf("%w: address utxo key of %d bytes", ErrCorruptStore, len(k))
	}
	return tx.OutPoint{TxID: chainhash.Hash(rest[:32]), Index: binary.BigEndian.Uint32(rest[32:])}, nil
}
