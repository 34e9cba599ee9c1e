package headerchain

import (
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
)

// ErrDuplicate reports a header that is already in the index.
var ErrDuplicate = errors.New("header already known")

// Index holds every known header, keyed by hash, and the best (most-work) tip among them.
type Index struct {
	params  *chaincfg.Params
	nodes   map[chainhash.Hash]*Node
	genesis *Node
	best    *Node
	// tips holds the leaves: nodes no other indexed node builds on. Best-tip
	// and descendant searches start from them instead of scanning every node.
	tips map[*Node]struct{}
	seq  uint64
	// Eligible, when set, restricts which nodes may become the best tip
	// (the full node excludes blocks it has found invalid).
	Eligible func(*Node) bool
}

// NewIndex returns an index holding only the genesis header of params.
func NewIndex(params *chaincfg.Params) *Index {
	g := params.Genesis()
	gen := &Node{Hash: g.Hash(), Header: g.Header, Work: pow.Work(g.Header.Difficulty)}
	ix := &Index{params: params, nodes: map[chainhash.Hash]*Node{gen.Hash: gen}, genesis: gen, best: gen,
		tips: map[*Node]struct{}{gen: {}}, seq: 1}
	return ix
}

// Params returns the network parameters the index validates against.
func (ix *Index) Params() *chaincfg.Params { return ix.params }

// Genesis returns the genesis node.
func (ix *Index) Genesis() *Node { return ix.genesis }

// Best returns the tip of the most-work chain.
func (ix *Index) Best() *Node { return ix.best }

// Len returns how many headers the index holds.
func (ix *Index) Len() int { return len(ix.nodes) }

// Lookup returns the node of hash, or nil.
func (ix *Index) Lookup(hash chainhash.Hash) *Node { return ix.nodes[hash] }

// Add validates h against its parent (which must be in the index) and the
// current time, and inserts it. It returns the new node and whether it became
// the best tip. Violations are *rule.Error values.
func (ix *Index) Add(h *block.Header, now int64) (*Node, bool, error) {
	hash := h.Hash()
	if n, ok := ix.nodes[hash]; ok {
		return n, false, fmt.Errorf("header %s: %w", hash, ErrDuplicate)
	}
	if err := CheckDifficultyFloor(ix.params, h); err != nil {
		return nil, false, err
	}
	if err := CheckProofOfWork(h, hash); err != nil {
		return nil, false, err
	}
	parent := ix.nodes[h.Prev]
	if err := CheckContext(ix.params, h, parent, now); err != nil {
		return nil, false, err
	}
	n := ix.insert(hash, *h, parent)
	return n, ix.best == n, nil
}

// AddTrusted inserts a header that was validated before (when reloading from
// disk) without checking it again, as the newest arrival. The parent must
// already be in the index.
func (ix *Index) AddTrusted(h block.Header, flags uint32) (*Node, error) {
	return ix.addTrusted(h, flags, ix.seq)
}

// AddStored inserts a header reloaded from disk, like AddTrusted, with the
// arrival sequence it had when it was stored, so that "first seen wins"
// between equal-work tips survives a restart. Headers must be added parents
// first (in ascending seq order, for instance).
func (ix *Index) AddStored(h block.Header, flags uint32, seq uint64) (*Node, error) {
	return ix.addTrusted(h, flags, seq)
}

func (ix *Index) addTrusted(h block.Header, flags uint32, seq uint64) (*Node, error) {
	hash := h.Hash()
	if n, ok := ix.nodes[hash]; ok {
		return n, nil
	}
	parent := ix.nodes[h.Prev]
	if parent == nil {
		return nil, fmt.Errorf("reload header %s: parent %s not in index", hash, h.Prev)
	}
	if seq <= parent.Seq {
		return nil, fmt.Errorf("reload header %s: arrival sequence %d not after its parent's %d", hash, seq, parent.Seq)
	}
	return ix.insertWith(hash, h, parent, flags, seq), nil
}

func (ix *Index) insert(hash chainhash.Hash, h block.Header, parent *Node) *Node {
	return ix.insertWith(hash, h, parent, 0, ix.seq)
}

func (ix *Index) insertWith(hash chainhash.Hash, h block.Header, parent *Node, flags uint32, seq uint64) *Node {
	n := newNode(hash, h, parent)
	n.Flags = flags
	n.Seq = seq
	if seq >= ix.seq {
		ix.seq = seq + 1
	}
	ix.nodes[hash] = n
	delete(ix.tips, parent)
	ix.tips[n] = struct{}{}
	if ix.eligible(n) && n.MoreWorkThan(ix.best) {
		ix.best = n
	}
	return n
}

func (ix *Index) eligible(n *Node) bool { return ix.Eligible == nil || ix.Eligible(n) }

// RecomputeBest finds the most-work eligible node again; used after nodes
// become ineligible. Work grows along a branch, so the candidates are, for
// each leaf, its highest eligible ancestor: the search costs the number of
// leaves plus the ineligible nodes above the candidates, not the index size.
func (ix *Index) RecomputeBest() *Node {
	best := ix.genesis
	steps := uint64(0)
	for t := range ix.tips {
		n := t
		for n != nil && !ix.eligible(n) {
			n = n.Parent
			steps++
		}
		if n != nil && n.MoreWorkThan(best) {
			best = n
		}
	}
	visits.Add(steps + uint64(len(ix.tips)))
	ix.best = best
	return best
}

// Descendants calls fn once for every indexed node that descends from n (not
// n itself), in no particular order. It costs O(leaves x log n) plus the
// number of descendants, not the index size.
func (ix *Index) Descendants(n *Node, fn func(*Node)) {
	seen := map[*Node]bool{n: true}
	steps := uint64(0)
	for t := range ix.tips {
		if t.Height <= n.Height || t.Ancestor(n.Height) != n {
			continue
		}
		for d := t; !seen[d]; d = d.Parent {
			seen[d] = true
			fn(d)
			steps++
		}
	}
	visits.Add(steps)
}

// Walk calls fn for every node in the index, in no particular order. It
// visits the whole index: keep it off per-block paths.
func (ix *Index) Walk(fn func(*Node)) {
	for _, n := range ix.nodes {
		fn(n)
	}
}

// Tips returns how many leaves (nodes nothing builds on) the index holds.
func (ix *Index) Tips() int { return len(ix.tips) }

// SetBest forces the best tip (the full node sets it to the chain it has connected).
func (ix *Index) SetBest(n *Node) { ix.best = n }

// Locator returns hashes from tip back to genesis, dense near the tip and
// exponentially sparser further back, for a peer to find the fork point.
func Locator(tip *Node) []chainhash.Hash {
	var out []chainhash.Hash
	step := uint64(1)
	for n := tip; n != nil; {
		out = append(out, n.Hash)
		if n.Height == 0 {
			break
		}
		if len(out) >= 10 {
			step *= 2
		}
		next := uint64(0)
		if n.Height > step {
			next = n.Height - step
		}
		n = n.Ancestor(next)
	}
	return out
}
