package headerchain

import (
	"encoding/binary"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
)

// grow inserts count headers above parent into ix without validating them
// (the walks under test do not care about proof of work), tagging each with
// a distinct nonce so branches do not collide.
func grow(ix *Index, parent *Node, count int, tag uint32) []*Node {
	out := make([]*Node, 0, count)
	for i := 0; i < count; i++ {
		h := block.Header{Version: CurrentVersion, Prev: parent.Hash, Time: parent.Header.Time + 60,
			Difficulty: ix.params.GenesisDifficulty, Nonce: tag<<24 | uint32(i)}
		parent = ix.insert(h.Hash(), h, parent)
		out = append(out, parent)
	}
	return out
}

// naiveAncestor walks parent by parent: the reference Ancestor must agree with.
func naiveAncestor(n *Node, height uint64) *Node {
	if height > n.Height {
		return nil
	}
	for n.Height > height {
		n = n.Parent
	}
	return n
}

func TestAncestorMatchesParentWalk(t *testing.T) {
	ix := NewIndex(chaincfg.Regtest)
	trunk := grow(ix, ix.Genesis(), 3000, 1)
	branch := grow(ix, trunk[1234], 700, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		from := trunk[rng.IntN(len(trunk))]
		if i%2 == 1 {
			from = branch[rng.IntN(len(branch))]
		}
		h := rng.Uint64N(from.Height + 2) // includes one height above the node
		if got, want := from.Ancestor(h), naiveAncestor(from, h); got != want {
			t.Fatalf("Ancestor(%d) of node at %d differs from the parent walk", h, from.Height)
		}
	}
	if fork := FindFork(trunk[2999], branch[699]); fork != trunk[1234] {
		t.Fatalf("fork at height %d, want 1235", fork.Height)
	}
	if !trunk[1234].IsAncestorOf(branch[0]) || trunk[1235].IsAncestorOf(branch[0]) {
		t.Fatal("IsAncestorOf disagrees with the tree")
	}
}

// The walks a block's validation needs cost O(log n) links at any height:
// counted, not timed.
func TestWalkCostIsLogarithmicInHeight(t *testing.T) {
	ix := NewIndex(chaincfg.Regtest)
	trunk := grow(ix, ix.Genesis(), 200_000, 1)
	tip := trunk[len(trunk)-1]
	limit := 8 * bits.Len64(tip.Height) // 144 links at 200,000; a parent walk takes up to 200,000
	worst := 0
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		from := trunk[len(trunk)/2+rng.IntN(len(trunk)/2)]
		_, steps := from.ancestor(rng.Uint64N(from.Height + 1))
		worst = max(worst, steps)
	}
	if worst > limit {
		t.Fatalf("an ancestor lookup followed %d links at height ~%d; want at most %d", worst, tip.Height, limit)
	}
	if _, steps := tip.ancestor(1); steps > limit {
		t.Fatalf("reaching block 1 from %d followed %d links, want at most %d", tip.Height, steps, limit)
	}
	before := Visits()
	if got, want := AnchorTime(tip), trunk[0].Header.Time; got != want {
		t.Fatalf("anchor time %d, want block 1's %d", got, want)
	}
	Locator(tip)
	if n := Visits() - before; n > uint64(limit*limit) {
		t.Fatalf("anchor time and locator at height %d followed %d links, want O(log^2 n)", tip.Height, n)
	}
}

func TestAnchorTimeIsBlockOneOfEachBranch(t *testing.T) {
	ix := NewIndex(chaincfg.Regtest)
	if AnchorTime(ix.Genesis()) != 0 {
		t.Fatal("genesis anchor time not zero")
	}
	a := grow(ix, ix.Genesis(), 50, 1)
	b := grow(ix, ix.Genesis(), 50, 2) // another block 1, one second later
	for _, n := range []*Node{a[0], a[49], b[0], b[49]} {
		if got, want := AnchorTime(n), naiveAncestor(n, 1).Header.Time; got != want {
			t.Fatalf("anchor time at %d is %d, want %d", n.Height, got, want)
		}
	}
	if AnchorTime(a[49]) == 0 {
		t.Fatal("anchor time not set")
	}
}

// RecomputeBest and Descendants work from the leaves and agree with a scan of every node.
func TestBestAndDescendantsFromLeaves(t *testing.T) {
	ix := NewIndex(chaincfg.Regtest)
	invalid := map[*Node]bool{}
	ix.Eligible = func(n *Node) bool { return !invalid[n] }
	trunk := grow(ix, ix.Genesis(), 100, 1)
	side := grow(ix, trunk[40], 80, 2)  // ends at 121: the best
	twig := grow(ix, side[10], 5, 3)    // ends at 56
	equal := grow(ix, trunk[40], 80, 4) // same work as side, seen later
	if got := ix.RecomputeBest(); got != side[79] {
		t.Fatalf("best at %d (seq %d), want the side branch's tip", got.Height, got.Seq)
	}
	if ix.Tips() != 4 {
		t.Fatalf("%d leaves, want 4", ix.Tips())
	}
	var got []*Node
	ix.Descendants(side[5], func(n *Node) { got = append(got, n) })
	want := 0
	ix.Walk(func(n *Node) {
		if n != side[5] && n.Height > side[5].Height && naiveAncestor(n, side[5].Height) == side[5] {
			want++
		}
	})
	if len(got) != want || want != 74+5 {
		t.Fatalf("%d descendants, want %d (scan says %d)", len(got), 79, want)
	}
	// Invalidate the side branch from side[5] up: the equal-work branch wins.
	invalid[side[5]] = true
	for _, n := range got {
		invalid[n] = true
	}
	if best := ix.RecomputeBest(); best != equal[79] {
		t.Fatalf("best at %d after invalidation, want the other branch's tip", best.Height)
	}
	invalid[equal[0]] = true
	ix.Descendants(equal[0], func(n *Node) { invalid[n] = true })
	if best := ix.RecomputeBest(); best != trunk[99] {
		t.Fatalf("best at %d, want the trunk's tip", best.Height)
	}
	_ = twig
}

func TestAddStoredKeepsArrivalOrder(t *testing.T) {
	ix := NewIndex(chaincfg.Regtest)
	a := grow(ix, ix.Genesis(), 3, 1)
	b := grow(ix, ix.Genesis(), 3, 2)
	// Reload b's branch first but with its original, later sequence numbers.
	re := NewIndex(chaincfg.Regtest)
	for _, n := range append(append([]*Node{}, b...), a...) {
		if _, err := re.AddStored(n.Header, 0, n.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if re.Best().Hash != a[2].Hash {
		t.Fatal("equal-work tie went to the branch seen later")
	}
	if _, err := re.AddStored(grow(ix, a[2], 1, 9)[0].Header, 0, a[2].Seq); err == nil {
		t.Fatal("a child with a sequence not after its parent's was accepted")
	}
	var unknown chainhash.Hash
	binary.BigEndian.PutUint64(unknown[:], 7)
	if _, err := re.AddStored(block.Header{Prev: unknown}, 0, 100); err == nil {
		t.Fatal("a header with an unknown parent was accepted")
	}
}

func TestIndexKeepsOneHeapObjectPerHeader(t *testing.T) {
	const headers = 20_000
	ix := NewIndex(chaincfg.Regtest)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tip := grow(ix, ix.Genesis(), headers, 1)[headers-1]
	runtime.GC()
	runtime.ReadMemStats(&after)
	if ix.Len() != headers+1 || tip.Height != headers {
		t.Fatalf("setup: %d headers indexed, tip at %d", ix.Len(), tip.Height)
	}
	// The node with its work and the work's digits, and a share of the
	// index's map.
	perHeader := float64(after.HeapObjects-before.HeapObjects) / headers
	if perHeader > 1.1 {
		t.Errorf("%.2f live heap objects per indexed header, want about 1", perHeader)
	}
	want := new(big.Int).Mul(big.NewInt(headers+1), pow.Work(chaincfg.Regtest.GenesisDifficulty))
	if tip.Work.Cmp(want) != 0 {
		t.Errorf("tip work %s, want %s", tip.Work, want)
	}
	runtime.KeepAlive(ix)
}

func TestChainWorkAboveTheNodesDigitsStaysExact(t *testing.T) {
	ix := NewIndex(chaincfg.Regtest)
	parent := grow(ix, ix.Genesis(), 1, 2)[0]
	// A parent whose work already fills the node's digits: the child's
	// needs more, and gets them apart.
	huge := new(big.Int).Lsh(big.NewInt(3), 318)
	parent.Work = huge
	h := block.Header{Version: CurrentVersion, Prev: parent.Hash, Time: parent.Header.Time + 60, Difficulty: parent.Header.Difficulty}
	child := ix.insert(h.Hash(), h, parent)
	want := new(big.Int).Add(huge, pow.Work(h.Difficulty))
	if child.Work.Cmp(want) != 0 {
		t.Errorf("child work %s, want %s", child.Work, want)
	}
	if huge.Cmp(new(big.Int).Lsh(big.NewInt(3), 318)) != 0 {
		t.Errorf("the parent's work changed to %s", huge)
	}
}
