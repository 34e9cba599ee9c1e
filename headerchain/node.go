// Package headerchain is the in-memory tree of block headers shared by the
// full node and the SPV client: every known header linked to its parent, with
// its height and the cumulative work of the chain it ends, plus the
// contextual header rules (difficulty schedule, median-time-past, future
// drift) that both enforce.
//
// Every per-header operation costs O(1) or O(log n) in the chain's height:
// a node carries its chain's retarget anchor and a skip pointer, so no rule
// walks back to the genesis.
//
// It has no goroutines, clocks or I/O: callers pass the current time in, and
// guard an Index with their own lock.
package headerchain

import (
	"math/big"
	"math/bits"
	"sync/atomic"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
)

// visits counts the node links followed by every walk in this package.
var visits atomic.Uint64

// Visits returns how many node links this package's walks (ancestor
// lookups, fork search, median time, best-tip and descendant searches) have
// followed since the program started: a machine-independent cost measure for
// tests and benchmarks.
func Visits() uint64 { return visits.Load() }

// Node is one header in the tree.
type Node struct {
	Hash   chainhash.Hash
	Header block.Header
	Height uint64
	// Work is the cumulative work of the chain from genesis up to and
	// including this header. It is shared: callers must not modify it.
	Work   *big.Int
	Parent *Node
	// Seq orders nodes by when they were first added; on equal work the earlier wins.
	Seq uint64
	// Flags is free for the owner of the index (the full node keeps block status here).
	Flags uint32

	// skip points to the ancestor at skipHeight(Height), so Ancestor needs
	// O(log n) steps instead of one per block.
	skip *Node
	// anchorTime is the time of block 1 on this node's chain (0 for the genesis).
	anchorTime int64
}

// workWords is how many machine words a node keeps for its chain work's
// digits: 320 bits. big.Int's Add needs one word more than its larger
// operand, so every chain work below 2^256 (any real chain's) is computed
// in them; a larger one is still exact, in digits allocated apart.
const workWords = 320 / bits.UintSize

// nodeWithWork is a node allocated together with its chain work and the
// work's digits: one heap object per header instead of three, which the
// garbage collector marks in every cycle for as long as the index holds
// them (a long chain's index holds hundreds of thousands).
type nodeWithWork struct {
	node   Node
	work   big.Int
	digits [workWords]big.Word
}

// newNode links the header h (whose hash is hash) below parent, deriving its
// height, cumulative work, skip pointer and retarget anchor from the parent.
func newNode(hash chainhash.Hash, h block.Header, parent *Node) *Node {
	a := &nodeWithWork{}
	a.work.SetBits(a.digits[:0]).Add(parent.Work, pow.Work(h.Difficulty))
	a.node = Node{Hash: hash, Header: h, Height: parent.Height + 1, Parent: parent, Work: &a.work}
	n := &a.node
	n.skip = parent.Ancestor(skipHeight(n.Height))
	n.anchorTime = parent.anchorTime
	if n.Height == 1 {
		n.anchorTime = h.Time
	}
	return n
}

// skipHeight is the height a node at height h skips back to: far enough that
// following skips and parents reaches any ancestor in O(log h) steps, and
// chosen so that skips of nearby nodes land on different heights.
func skipHeight(h uint64) uint64 {
	if h < 2 {
		return 0
	}
	clearLowest := func(x uint64) uint64 { return x & (x - 1) }
	if h&1 == 1 {
		return clearLowest(clearLowest(h-1)) + 1
	}
	return clearLowest(h)
}

// Ancestor returns the node's ancestor at height (itself at its own height),
// or nil above it. It takes O(log n) steps.
func (n *Node) Ancestor(height uint64) *Node {
	a, steps := n.ancestor(height)
	visits.Add(uint64(steps))
	return a
}

// ancestor is Ancestor, also returning how many links it followed.
func (n *Node) ancestor(height uint64) (*Node, int) {
	if height > n.Height {
		return nil, 0
	}
	steps := 0
	for n != nil && n.Height > height {
		// Take the skip unless it overshoots, or the parent's skip is a
		// better jump that still does not overshoot.
		sh := skipHeight(n.Height)
		prev := skipHeight(n.Height - 1)
		if n.skip != nil && (sh == height || (sh > height && !(prev+2 < sh && prev >= height))) {
			n = n.skip
		} else {
			n = n.Parent
		}
		steps++
	}
	return n, steps
}

// AnchorTime returns the time of block 1 on the chain ending at n, the
// retargeting anchor (zero when n is the genesis). It is O(1).
func AnchorTime(n *Node) int64 { return n.anchorTime }

// MoreWorkThan reports whether n ends a better chain than other: more
// cumulative work, or equal work and seen first. A nil other is always beaten.
func (n *Node) MoreWorkThan(other *Node) bool {
	if other == nil {
		return true
	}
	switch n.Work.Cmp(other.Work) {
	case 1:
		return true
	case -1:
		return false
	}
	return n.Seq < other.Seq
}

// FindFork returns the most recent common ancestor of a and b, in steps
// proportional to the fork's depth plus O(log n).
func FindFork(a, b *Node) *Node {
	if a.Height > b.Height {
		a = a.Ancestor(b.Height)
	} else if b.Height > a.Height {
		b = b.Ancestor(a.Height)
	}
	steps := uint64(0)
	for a != b {
		a, b = a.Parent, b.Parent
		steps++
	}
	visits.Add(steps)
	return a
}

// MedianTimePast returns the median timestamp of n and up to 10 of its ancestors.
func (n *Node) MedianTimePast() int64 {
	times := make([]int64, 0, pow.MedianTimeSpan)
	for it := n; it != nil && len(times) < pow.MedianTimeSpan; it = it.Parent {
		times = append(times, it.Header.Time)
	}
	visits.Add(uint64(len(times)))
	return pow.MedianTimePast(times)
}

// IsAncestorOf reports whether n is on the chain that ends at tip, in O(log n) steps.
func (n *Node) IsAncestorOf(tip *Node) bool {
	return tip != nil && tip.Ancestor(n.Height) == n
}
