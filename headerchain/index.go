package headerchain

import (
	"errors"
	"fmt"
	"math/big"

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
	seq     uint64
	// Eligible, when set, restricts which nodes may become the best tip
	// (the full node excludes blocks it has found invalid).
	Eligible func(*Node) bool
}

// NewIndex returns an index holding only the genesis header of params.
func NewIndex(params *chaincfg.Params) *Index {
	g := params.Genesis()
	gen := &Node{Hash: g.Hash(), Header: g.Header, Work: pow.Work(g.Header.Difficulty)}
	ix := &Index{params: params, nodes: map[chainhash.Hash]*Node{gen.Hash: gen}, genesis: gen, best: gen, seq: 1}
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

// AnchorTime returns the time of block 1 on the chain ending at n, the
// retargeting anchor (zero when n is the genesis).
func AnchorTime(n *Node) int64 {
	if a := n.Ancestor(1); a != nil {
		return a.Header.Time
	}
	return 0
}

// Add validates h against its parent (which must be in the index) and the
// current time, and inserts it. It returns the new node and whether it became
// the best tip. Violations are *rule.Error values.
func (ix *Index) Add(h *block.Header, now int64) (*Node, bool, error) {
	hash := h.Hash()
	if n, ok := ix.nodes[hash]; ok {
		return n, false, fmt.Errorf("header %s: %w", hash, ErrDuplicate)
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
// disk) without checking it again. The parent must already be in the index.
func (ix *Index) AddTrusted(h block.Header, flags uint32) (*Node, error) {
	hash := h.Hash()
	if n, ok := ix.nodes[hash]; ok {
		return n, nil
	}
	parent := ix.nodes[h.Prev]
	if parent == nil {
		return nil, fmt.Errorf("reload header %s: parent %s not in index", hash, h.Prev)
	}
	n := ix.insert(hash, h, parent)
	n.Flags = flags
	return n, nil
}

func (ix *Index) insert(hash chainhash.Hash, h block.Header, parent *Node) *Node {
	work := new(big.Int).Add(parent.Work, pow.Work(h.Difficulty))
	n := &Node{Hash: hash, Header: h, Height: parent.Height + 1, Work: work, Parent: parent, Seq: ix.seq}
	ix.seq++
	ix.nodes[hash] = n
	if ix.eligible(n) && n.MoreWorkThan(ix.best) {
		ix.best = n
	}
	return n
}

func (ix *Index) eligible(n *Node) bool { return ix.Eligible == nil || ix.Eligible(n) }

// RecomputeBest scans every node for the most-work eligible tip; used after
// nodes become ineligible.
func (ix *Index) RecomputeBest() *Node {
	best := ix.genesis
	for _, n := range ix.nodes {
		if ix.eligible(n) && n.MoreWorkThan(best) {
			best = n
		}
	}
	ix.best = best
	return best
}

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

// Walk calls fn for every node in the index, in no particular order.
func (ix *Index) Walk(fn func(*Node)) {
	for _, n := range ix.nodes {
		fn(n)
	}
}
