package mempool

import (
	"sort"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// Get returns the pool entry for id, if any.
func (p *Pool) Get(id chainhash.Hash) (Entry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[id]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Count returns how many transactions the pool holds (orphans excluded).
func (p *Pool) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// Bytes returns the total encoded size of the pool's transactions.
func (p *Pool) Bytes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// OrphanCount returns how many orphan transactions are held.
func (p *Pool) OrphanCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.orphans.len()
}

// IDs returns the ids of every pool transaction, in arrival order.
func (p *Pool) IDs() []chainhash.Hash {
	p.mu.Lock()
	defer p.mu.Unlock()
	es := p.sortedBySeq()
	out := make([]chainhash.Hash, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func (p *Pool) sortedBySeq() []*Entry {
	es := make([]*Entry, 0, len(p.entries))
	for _, e := range p.entries {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Seq < es[j].Seq })
	return es
}

// Transactions returns a copy of every pool entry, in arrival order.
func (p *Pool) Transactions() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	es := p.sortedBySeq()
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = *e
	}
	return out
}

// SpentBy returns the pool transaction spending op, if any.
func (p *Pool) SpentBy(op tx.OutPoint) (chainhash.Hash, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, ok := p.spentBy[op]
	return id, ok
}

// EstimateFeeRate suggests a fee rate in units per byte for a transaction to
// be mined soon: the median fee rate of the pool, never below the minimum
// relay fee rate.
func (p *Pool) EstimateFeeRate() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) == 0 {
		return p.cfg.MinFeeRate
	}
	rates := make([]int64, 0, len(p.entries))
	for _, e := range p.entries {
		rates = append(rates, e.Fee/int64(e.Size))
	}
	sort.Slice(rates, func(i, j int) bool { return rates[i] < rates[j] })
	if r := rates[len(rates)/2]; r > p.cfg.MinFeeRate {
		return r
	}
	return p.cfg.MinFeeRate
}

// MinFeeRate returns the minimum relay fee rate in units per byte.
func (p *Pool) MinFeeRate() int64 { return p.cfg.MinFeeRate }
