// Package headerchain is the in-memory tree of block headers shared by the
// full node and the SPV client: every known header linked to its parent, with
// its height and the cumulative work of the chain it ends, plus the
// contextual header rules (difficulty schedule, median-time-past, future
// drift) that both enforce.
//
// It has no goroutines, clocks or I/O: callers pass the current time in, and
// guard an Index with their own lock.
package headerchain

import (
	"math/big"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
)

// Node is one header in the tree.
type Node struct {
	Hash   chainhash.Hash
	Header block.Header
	Height uint64
	// Work is the cumulative work of the chain from genesis up to and including this header.
	Work   *big.Int
	Parent *Node
	// Seq orders nodes by when they were first added; on equal work the earlier wins.
	Seq uint64
	// Flags is free for the owner of the index (the full node keeps block status here).
	Flags uint32
}

// Ancestor returns the node's ancestor at height (itself at its own height), or nil above it.
func (n *Node) Ancestor(height uint64) *Node {
	if height > n.Height {
		return nil
	}
	for n != nil && n.Height > height {
		n = n.Parent
	}
	return n
}

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

// FindFork returns the most recent common ancestor of a and b.
func FindFork(a, b *Node) *Node {
	for a.Height > b.Height {
		a = a.Parent
	}
	for b.Height > a.Height {
		b = b.Parent
	}
	for a != b {
		a, b = a.Parent, b.Parent
	}
	return a
}

// MedianTimePast returns the median timestamp of n and up to 10 of its ancestors.
func (n *Node) MedianTimePast() int64 {
	times := make([]int64, 0, pow.MedianTimeSpan)
	for it := n; it != nil && len(times) < pow.MedianTimeSpan; it = it.Parent {
		times = append(times, it.Header.Time)
	}
	return pow.MedianTimePast(times)
}

// IsAncestorOf reports whether n is on the chain that ends at tip.
func (n *Node) IsAncestorOf(tip *Node) bool {
	return tip != nil && tip.Ancestor(n.Height) == n
}
