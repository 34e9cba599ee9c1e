package mempool

import (
	"container/heap"
	"sort"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// Select chooses transactions for a block template of at most maxBytes by
// ancestor-package fee rate, as Bitcoin Core's miner does: it repeatedly
// takes the transaction whose fees together with those of its not yet
// selected unconfirmed ancestors, over their total size, is highest, and
// adds that whole package, parents first. A child paying a high fee thus
// carries its low-fee parent into the block (child pays for parent). The
// result is in a valid block order; it returns the transactions and their total fees.
func (p *Pool) Select(maxBytes int) ([]*tx.Tx, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &selection{p: p, included: map[chainhash.Hash]bool{}, failed: map[chainhash.Hash]bool{}, version: map[chainhash.Hash]int{}}
	s.h = make(candidates, 0, len(p.entries))
	for _, e := range p.entries {
		s.h = append(s.h, s.score(e))
	}
	heap.Init(&s.h)
	var out []*tx.Tx
	var fees int64
	size, misses := 0, 0
	for s.h.Len() > 0 {
		c := heap.Pop(&s.h).(candidate)
		if s.included[c.e.ID] || s.failed[c.e.ID] || c.version != s.version[c.e.ID] {
			continue // selected already, or a stale score
		}
		if size+c.size > maxBytes {
			s.failed[c.e.ID] = true
			// As Bitcoin Core: once the block is nearly full and many
			// packages in a row did not fit, stop looking.
			if misses++; misses > selectMaxMisses && maxBytes-size < selectNearlyFull {
				break
			}
			continue
		}
		misses = 0
		pkg := s.pending(c.e)
		for _, e := range pkg {
			s.included[e.ID] = true
			out = append(out, e.Tx)
			fees += e.Fee
			size += e.Size
		}
		// Descendants of what was just selected now have smaller packages: rescore them.
		for _, e := range pkg {
			for _, d := range p.descendantsOf(e) {
				if !s.included[d.ID] && !s.failed[d.ID] {
					s.version[d.ID]++
					s.push(d)
				}
			}
		}
	}
	return out, fees
}

// Select stops after selectMaxMisses packages in a row did not fit in the
// last selectNearlyFull bytes of the block.
const (
	selectMaxMisses  = 1000
	selectNearlyFull = 4000
)

// selection is the state of one Select run.
type selection struct {
	p        *Pool
	h        candidates
	included map[chainhash.Hash]bool
	failed   map[chainhash.Hash]bool
	version  map[chainhash.Hash]int // bumped when a transaction's package changes
}

// pending returns e with its ancestors not selected yet, parents before children.
func (s *selection) pending(e *Entry) []*Entry {
	if len(e.parents) == 0 {
		return []*Entry{e}
	}
	anc := s.p.ancestorsOf(e.parents)
	pkg := make([]*Entry, 0, len(anc)+1)
	depth := map[chainhash.Hash]int{e.ID: len(anc)}
	for _, a := range anc {
		if !s.included[a.ID] {
			pkg = append(pkg, a)
			depth[a.ID] = len(s.p.ancestorsOf(a.parents))
		}
	}
	pkg = append(pkg, e)
	// An ancestor has strictly fewer ancestors than its descendant, so this is a topological order.
	sort.SliceStable(pkg, func(i, j int) bool {
		a, b := pkg[i], pkg[j]
		if depth[a.ID] != depth[b.ID] {
			return depth[a.ID] < depth[b.ID]
		}
		return a.Seq < b.Seq
	})
	return pkg
}

func (s *selection) push(e *Entry) { heap.Push(&s.h, s.score(e)) }

// score rates e by its pending package.
func (s *selection) score(e *Entry) candidate {
	c := candidate{e: e, version: s.version[e.ID], fee: e.Fee, size: e.Size}
	if len(e.parents) == 0 {
		return c
	}
	c.fee, c.size = 0, 0
	for _, m := range s.pending(e) {
		c.fee += m.Fee
		c.size += m.Size
	}
	return c
}

// candidate is a transaction scored by its pending package.
type candidate struct {
	e       *Entry
	fee     int64
	size    int
	version int
}

// candidates is a max-heap by package fee rate, older first on ties.
type candidates []candidate

func (h candidates) Len() int { return len(h) }
func (h candidates) Less(i, j int) bool {
	if c := rateCmp(h[i].fee, h[i].size, h[j].fee, h[j].size); c != 0 {
		return c > 0
	}
	return h[i].e.Seq < h[j].e.Seq
}
func (h candidates) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candidates) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candidates) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
