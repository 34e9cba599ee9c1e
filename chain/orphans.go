package chain

import (
	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
)

// orphanPool holds a bounded number of blocks whose parent is not known yet,
// evicting the oldest when full.
type orphanPool struct {
	max      int
	byHash   map[chainhash.Hash]*block.Block
	byParent map[chainhash.Hash][]chainhash.Hash
	order    []chainhash.Hash
}

func newOrphanPool(max int) *orphanPool {
	return &orphanPool{max: max, byHash: map[chainhash.Hash]*block.Block{}, byParent: map[chainhash.Hash][]chainhash.Hash{}}
}

func (p *orphanPool) has(h chainhash.Hash) bool { _, ok := p.byHash[h]; return ok }

func (p *orphanPool) len() int { return len(p.byHash) }

func (p *orphanPool) add(b *block.Block, h chainhash.Hash) {
	if p.has(h) {
		return
	}
	for len(p.byHash) >= p.max && len(p.order) > 0 {
		p.remove(p.order[0])
	}
	p.byHash[h] = b
	p.byParent[b.Header.Prev] = append(p.byParent[b.Header.Prev], h)
	p.order = append(p.order, h)
}

func (p *orphanPool) remove(h chainhash.Hash) {
	b, ok := p.byHash[h]
	if !ok {
		return
	}
	delete(p.byHash, h)
	siblings := p.byParent[b.Header.Prev]
	for i, s := range siblings {
		if s == h {
			siblings = append(siblings[:i], siblings[i+1:]...)
			break
		}
	}
	if len(siblings) == 0 {
		delete(p.byParent, b.Header.Prev)
	} else {
		p.byParent[b.Header.Prev] = siblings
	}
	for i, o := range p.order {
		if o == h {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

// takeChildren removes and returns the orphans whose parent is parent.
func (p *orphanPool) takeChildren(parent chainhash.Hash) []*block.Block {
	hashes := append([]chainhash.Hash(nil), p.byParent[parent]...)
	out := make([]*block.Block, 0, len(hashes))
	for _, h := range hashes {
		out = append(out, p.byHash[h])
		p.remove(h)
	}
	return out
}

// root returns the earliest missing ancestor hash for the orphan h: the parent
// a peer should be asked for.
func (p *orphanPool) root(h chainhash.Hash) chainhash.Hash {
	for {
		b, ok := p.byHash[h]
		if !ok {
			return h
		}
		h = b.Header.Prev
	}
}
