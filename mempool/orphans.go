package mempool

import (
	"container/list"
	"sort"
	"time"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// orphans holds transactions whose inputs are unknown, indexed by the txids
// they wait for. It is bounded in count and bytes (the oldest goes first
// when full) and forgets an orphan ttl after it arrived.
type orphans struct {
	max      int
	maxBytes int
	ttl      time.Duration
	bytes    int
	seq      uint64
	byID     map[chainhash.Hash]*list.Element           // of *orphan
	waiting  map[chainhash.Hash]map[chainhash.Hash]bool // parent txid -> orphan ids
	order    *list.List                                 // oldest first
}

type orphan struct {
	tx      *tx.Tx
	id      chainhash.Hash
	size    int
	arrived time.Time
	seq     uint64 // arrival order
}

func newOrphans(max, maxBytes int, ttl time.Duration) *orphans {
	return &orphans{
		max: max, maxBytes: maxBytes, ttl: ttl,
		byID:    map[chainhash.Hash]*list.Element{},
		waiting: map[chainhash.Hash]map[chainhash.Hash]bool{},
		order:   list.New(),
	}
}

func (o *orphans) has(id chainhash.Hash) bool { _, ok := o.byID[id]; return ok }

func (o *orphans) len() int { return len(o.byID) }

// add holds t, arrived at now, evicting the oldest orphans to make room.
func (o *orphans) add(t *tx.Tx, id chainhash.Hash, now time.Time) {
	if o.has(id) {
		return
	}
	size := t.Size()
	for o.order.Len() > 0 && (len(o.byID) >= o.max || o.bytes+size > o.maxBytes) {
		o.remove(o.order.Front().Value.(*orphan).id)
	}
	o.byID[id] = o.order.PushBack(&orphan{tx: t, id: id, size: size, arrived: now, seq: o.seq})
	o.seq++
	o.bytes += size
	for _, parent := range parentsOf(t) {
		if o.waiting[parent] == nil {
			o.waiting[parent] = map[chainhash.Hash]bool{}
		}
		o.waiting[parent][id] = true
	}
}

// expire forgets the orphans that arrived more than ttl before now. They
// are kept in arrival order, so it stops at the first one still young.
func (o *orphans) expire(now time.Time) {
	for el := o.order.Front(); el != nil; el = o.order.Front() {
		or := el.Value.(*orphan)
		if now.Sub(or.arrived) <= o.ttl {
			return
		}
		o.remove(or.id)
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
	el, ok := o.byID[id]
	if !ok {
		return
	}
	or := el.Value.(*orphan)
	delete(o.byID, id)
	o.order.Remove(el)
	o.bytes -= or.size
	for _, parent := range parentsOf(or.tx) {
		delete(o.waiting[parent], id)
		if len(o.waiting[parent]) == 0 {
			delete(o.waiting, parent)
		}
	}
}

// takeChildren removes and returns the orphans waiting for parent, oldest
// first.
func (o *orphans) takeChildren(parent chainhash.Hash) []*tx.Tx {
	ids := o.waiting[parent]
	if len(ids) == 0 {
		return nil
	}
	els := make([]*list.Element, 0, len(ids))
	for id := range ids {
		els = append(els, o.byID[id])
	}
	sort.Slice(els, func(i, j int) bool { return els[i].Value.(*orphan).seq < els[j].Value.(*orphan).seq })
	out := make([]*tx.Tx, 0, len(els))
	for _, el := range els {
		or := el.Value.(*orphan)
		out = append(out, or.tx)
		o.remove(or.id)
	}
	return out
}
