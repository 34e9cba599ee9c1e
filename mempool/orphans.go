package mempool

import (
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// orphans holds a bounded number of transactions whose inputs are unknown,
// indexed by the txids they wait for; the oldest is evicted when full.
type orphans struct {
	max     int
	byID    map[chainhash.Hash]*tx.Tx
	waiting map[chainhash.Hash][]chainhash.Hash // parent txid -> orphan ids
	order   []chainhash.Hash
}

func newOrphans(max int) *orphans {
	return &orphans{max: max, byID: map[chainhash.Hash]*tx.Tx{}, waiting: map[chainhash.Hash][]chainhash.Hash{}}
}

func (o *orphans) has(id chainhash.Hash) bool { _, ok := o.byID[id]; return ok }

func (o *orphans) len() int { return len(o.byID) }

func (o *orphans) add(t *tx.Tx, id chainhash.Hash) {
	if o.has(id) {
		return
	}
	for len(o.byID) >= o.max && len(o.order) > 0 {
		o.remove(o.order[0])
	}
	o.byID[id] = t
	o.order = append(o.order, id)
	for _, parent := range parentsOf(t) {
		o.waiting[parent] = append(o.waiting[parent], id)
	}
}

func parentsOf(t *tx.Tx) []chainhash.Hash {
	seen := map[chainhash.Hash]bool{}
	var out []chainhash.Hash
	for _, in := range t.Inputs {
		if !seen[in.Prev.TxID] {
			seen[in.Prev.TxID] = true
			out = append(out, in.Prev.TxID)
		}
	}
	return out
}

func (o *orphans) remove(id chainhash.Hash) {
	t, ok := o.byID[id]
	if !ok {
		return
	}
	delete(o.byID, id)
	for _, parent := range parentsOf(t) {
		list := o.waiting[parent]
		for i, w := range list {
			if w == id {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(o.waiting, parent)
		} else {
			o.waiting[parent] = list
		}
	}
	for i, w := range o.order {
		if w == id {
			o.order = append(o.order[:i], o.order[i+1:]...)
			break
		}
	}
}

// takeChildren removes and returns the orphans waiting for parent.
func (o *orphans) takeChildren(parent chainhash.Hash) []*tx.Tx {
	ids := append([]chainhash.Hash(nil), o.waiting[parent]...)
	var out []*tx.Tx
	for _, id := range ids {
		if t, ok := o.byID[id]; ok {
			out = append(out, t)
			o.remove(id)
		}
	}
	return out
}
