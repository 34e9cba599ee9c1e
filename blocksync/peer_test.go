package blocksync

import (
	"encoding/binary"
	"testing"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
)

// pendingNodes returns n header nodes at heights first, first+1, ...
// (only the fields the pending list reads).
func pendingNodes(first, n int) []*headerchain.Node {
	out := make([]*headerchain.Node, n)
	for i := range out {
		h := uint64(first + i)
		var hash chainhash.Hash
		binary.LittleEndian.PutUint64(hash[:], h) // heights from 1: no zero hash
		out[i] = &headerchain.Node{Hash: hash, Height: h}
	}
	return out
}

// checkPending fails unless p's pending headers are want, each found at its position.
func checkPending(t *testing.T, p *peerState, want []*headerchain.Node, gone []*headerchain.Node) {
	t.Helper()
	if len(p.pending) != len(want) || len(p.pendingSet) != len(want) {
		t.Fatalf("%d pending, %d indexed; want %d", len(p.pending), len(p.pendingSet), len(want))
	}
	for i, n := range want {
		if p.pending[i] != n {
			t.Fatalf("pending[%d] is height %d, want %d", i, p.pending[i].Height, n.Height)
		}
		if at, ok := p.pendingIndex(n.Hash); !ok || at != i {
			t.Fatalf("height %d indexed at %d (%v), want %d", n.Height, at, ok, i)
		}
	}
	for _, n := range gone {
		if _, ok := p.pendingIndex(n.Hash); ok {
			t.Fatalf("dropped height %d is still indexed", n.Height)
		}
	}
}

// The pending list keeps every header findable at its position through
// appends, trims from the front and truncations from the back.
func TestPendingIndexFollowsTrimsAndTruncations(t *testing.T) {
	nodes := pendingNodes(1, 30)
	hasBelow := func(height uint64) func(chainhash.Hash) bool {
		return func(h chainhash.Hash) bool { return binary.LittleEndian.Uint64(h[:]) <= height }
	}
	p := newPeerState("p")
	p.appendPending(nodes[:10])
	checkPending(t, p, nodes[:10], nil)
	p.trimPending(hasBelow(3)) // heights 1-3 connected
	checkPending(t, p, nodes[3:10], nodes[:3])
	p.appendPending(nodes[10:20])
	checkPending(t, p, nodes[3:20], nodes[:3])
	p.trimPending(hasBelow(3)) // nothing new connected
	checkPending(t, p, nodes[3:20], nodes[:3])
	at, ok := p.pendingIndex(nodes[14].Hash) // a reorg of the peer's headers after height 15
	if !ok {
		t.Fatal("height 15 not pending")
	}
	p.truncatePending(at + 1)
	checkPending(t, p, nodes[3:15], append(append([]*headerchain.Node{}, nodes[:3]...), nodes[15:]...))
	p.appendPending(nodes[15:30])
	p.trimPending(hasBelow(25))
	checkPending(t, p, nodes[25:30], nodes[:25])
	p.trimPending(hasBelow(30))
	checkPending(t, p, nil, nodes)
	p.appendPending(pendingNodes(31, 5))
	p.clearPending()
	checkPending(t, p, nil, nodes)
}

// Trimming the header of each connected block costs what it drops, not what
// is left: a long sync holds all of a chain's headers pending (tens of
// thousands) and trims at every block, which re-indexing the rest made
// quadratic in the chain's length. Counted by allocations: re-indexing
// copied the list at every trim.
func TestTrimmingOneHeaderDoesNotCopyThePendingList(t *testing.T) {
	const n = 20_000
	p := newPeerState("p")
	p.appendPending(pendingNodes(1, n))
	connected := uint64(0)
	has := func(h chainhash.Hash) bool { return binary.LittleEndian.Uint64(h[:]) <= connected }
	allocs := testing.AllocsPerRun(1_000, func() {
		connected++
		p.trimPending(has)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per trimmed header with %d pending, want 0", allocs, n)
	}
	if want := n - int(connected); connected < 1_000 || len(p.pending) != want {
		t.Fatalf("%d headers pending after %d trims, want %d", len(p.pending), connected, want)
	}
}
