package mempool

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// Defaults of the unconfirmed-chain limits, as Bitcoin Core's: a
// transaction with its unconfirmed ancestors counts at most 25 transactions
// and 101 kB, and no pool transaction gets more than 25 in its family below.
const (
	DefaultMaxAncestors    = 25
	DefaultMaxDescendants  = 25
	DefaultMaxPackageBytes = 101_000
)

// ErrTooLongChain reports a transaction whose chain of unconfirmed
// ancestors or descendants would exceed the pool's limits.
var ErrTooLongChain = errors.New("too long a chain of unconfirmed transactions")

// children returns the pool transactions spending an output of e.
func (p *Pool) children(e *Entry) []*Entry {
	var out []*Entry
	for i := range e.Tx.Outputs {
		if id, ok := p.spentBy[tx.OutPoint{TxID: e.ID, Index: uint32(i)}]; ok {
			if c, ok := p.entries[id]; ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// ancestorsOf returns every pool transaction reachable through parents
// (the given direct pool parents and theirs, transitively).
func (p *Pool) ancestorsOf(parents map[chainhash.Hash]bool) map[chainhash.Hash]*Entry {
	out := map[chainhash.Hash]*Entry{}
	var queue []chainhash.Hash
	for id := range parents {
		queue = append(queue, id)
	}
	for ; len(queue) > 0; queue = queue[1:] {
		e, ok := p.entries[queue[0]]
		if !ok || out[e.ID] != nil {
			continue
		}
		out[e.ID] = e
		for parent := range e.parents {
			queue = append(queue, parent)
		}
	}
	return out
}

// descendantsOf returns every pool transaction that spends an output of e,
// directly or through other pool transactions (e itself excluded).
func (p *Pool) descendantsOf(e *Entry) map[chainhash.Hash]*Entry {
	var out map[chainhash.Hash]*Entry // allocated at the first descendant: most transactions have none
	for queue := p.children(e); len(queue) > 0; queue = queue[1:] {
		c := queue[0]
		if out[c.ID] != nil {
			continue
		}
		if out == nil {
			out = map[chainhash.Hash]*Entry{}
		}
		out[c.ID] = c
		queue = append(queue, p.children(c)...)
	}
	return out
}

// checkChainLimits refuses e when it would have too many unconfirmed
// ancestors, too large an ancestor package, or give an ancestor too many
// descendants. Transactions in leaving are about to be replaced and not counted.
func (p *Pool) checkChainLimits(e *Entry, leaving map[chainhash.Hash]*Entry) error {
	anc := p.ancestorsOf(e.parents)
	if n := len(anc) + 1; n > p.cfg.MaxAncestors {
		return fmt.Errorf("%w: it would have %d unconfirmed ancestors counting itself, limit %d; wait for a block to confirm its parents",
			ErrTooLongChain, n, p.cfg.MaxAncestors)
	}
	size := e.Size
	for _, a := range anc {
		size += a.Size
	}
	if size > p.cfg.MaxPackageBytes {
		return fmt.Errorf("%w: with its unconfirmed ancestors it makes %d bytes, limit %d; wait for a block to confirm its parents",
			ErrTooLongChain, size, p.cfg.MaxPackageBytes)
	}
	for _, a := range anc {
		n := 2 // the ancestor itself and e
		for id := range p.descendantsOf(a) {
			if leaving[id] == nil {
				n++
			}
		}
		if n > p.cfg.MaxDescendants {
			return fmt.Errorf("%w: unconfirmed ancestor %s would have %d descendants counting itself, limit %d; wait for a block",
				ErrTooLongChain, a.ID, n, p.cfg.MaxDescendants)
		}
	}
	return nil
}

// rateCmp compares the fee rates fee1/size1 and fee2/size2 exactly (fees
// non-negative, sizes positive): -1, 0 or 1.
func rateCmp(fee1 int64, size1 int, fee2 int64, size2 int) int {
	h1, l1 := bits.Mul64(uint64(fee1), uint64(size2))
	h2, l2 := bits.Mul64(uint64(fee2), uint64(size1))
	switch {
	case h1 != h2:
		return cmp(h1, h2)
	default:
		return cmp(l1, l2)
	}
}

func cmp(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *Config) fillPolicy() {
	if c.MaxAncestors <= 0 {
		c.MaxAncestors = DefaultMaxAncestors
	}
	if c.MaxDescendants <= 0 {
		c.MaxDescendants = DefaultMaxDescendants
	}
	if c.MaxPackageBytes <= 0 {
		c.MaxPackageBytes = DefaultMaxPackageBytes
	}
	if c.MaxReplaced <= 0 {
		c.MaxReplaced = DefaultMaxReplaced
	}
}
