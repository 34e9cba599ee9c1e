package merkle

import (
	"crypto/sha256"
	"math/rand"
	"testing"

	"github.com/ledgerd/ledger/chainhash"
)

func leavesN(n int, seed int64) []chainhash.Hash {
	r := rand.New(rand.NewSource(seed))
	out := make([]chainhash.Hash, n)
	for i := range out {
		r.Read(out[i][:])
	}
	return out
}

// recursiveRoot is RFC 6962's definition, written independently of Root.
func recursiveRoot(leaves []chainhash.Hash) chainhash.Hash {
	if len(leaves) == 1 {
		return sha256.Sum256(append([]byte{0}, leaves[0][:]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := recursiveRoot(leaves[:k]), recursiveRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestRootMatchesRFC6962Definition(t *testing.T) {
	for n := 1; n <= 200; n++ {
		leaves := leavesN(n, int64(n))
		if Root(leaves) != recursiveRoot(leaves) {
			t.Fatalf("n=%d: root differs from the recursive definition", n)
		}
	}
}

func TestSmallTreesByHand(t *testing.T) {
	a, b, c := chainhash.Hash{1}, chainhash.Hash{2}, chainhash.Hash{3}
	la := sha256.Sum256(append([]byte{0}, a[:]...))
	lb := sha256.Sum256(append([]byte{0}, b[:]...))
	lc := sha256.Sum256(append([]byte{0}, c[:]...))
	ab := sha256.Sum256(append(append([]byte{1}, la[:]...), lb[:]...))
	abc := sha256.Sum256(append(append([]byte{1}, ab[:]...), lc[:]...))
	for _, tc := range []struct {
		leaves []chainhash.Hash
		want   chainhash.Hash
	}{
		{[]chainhash.Hash{a}, la},
		{[]chainhash.Hash{a, b}, ab},
		{[]chainhash.Hash{a, b, c}, abc},
	} {
		if got := Root(tc.leaves); got != tc.want {
			t.Fatalf("%d leaves: root %s, want %s", len(tc.leaves), got, tc.want)
		}
	}
	if Root(nil) != chainhash.Zero {
		t.Fatal("root of no leaves is not zero")
	}
}

func TestNoLeafNodeConfusionOrDuplicationMalleability(t *testing.T) {
	a, b, c := chainhash.Hash{1}, chainhash.Hash{2}, chainhash.Hash{3}
	inner := InnerHash(LeafHash(a), LeafHash(b))
	if Root([]chainhash.Hash{a, b}) == Root([]chainhash.Hash{inner}) {
		t.Fatal("a leaf equal to an inner node gives the same root")
	}
	if Root([]chainhash.Hash{a, b, c}) == Root([]chainhash.Hash{a, b, c, c}) {
		t.Fatal("duplicating the last leaf keeps the root")
	}
}

func TestEveryProofOfEveryLeafVerifies(t *testing.T) {
	for n := 1; n <= 200; n++ {
		leaves := leavesN(n, int64(n))
		root := Root(leaves)
		for i := range leaves {
			p, err := BuildProof(leaves, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(root, leaves[i]); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if bits := len(p.Siblings); n > 1 && (bits < 1 || 1<<(bits-1) >= n) {
				t.Fatalf("n=%d i=%d: %d siblings is not about log2(n)", n, i, bits)
			}
		}
	}
}

func TestAnyChangedBitFails(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 1; n <= 40; n++ {
		leaves := leavesN(n, int64(n))
		root := Root(leaves)
		for i := range leaves {
			p, _ := BuildProof(leaves, i)
			for bit := 0; bit < 256; bit += 1 + r.Intn(16) {
				leaf := leaves[i]
				leaf[bit/8] ^= 1 << (bit % 8)
				if p.Verify(root, leaf) == nil {
					t.Fatalf("n=%d i=%d: flipped leaf bit %d verifies", n, i, bit)
				}
				badRoot := root
				badRoot[bit/8] ^= 1 << (bit % 8)
				if p.Verify(badRoot, leaves[i]) == nil {
					t.Fatalf("n=%d i=%d: flipped root bit %d verifies", n, i, bit)
				}
				for s := range p.Siblings {
					q := Proof{Index: p.Index, LeafCount: p.LeafCount, Siblings: append([]chainhash.Hash(nil), p.Siblings...)}
					q.Siblings[s][bit/8] ^= 1 << (bit % 8)
					if q.Verify(root, leaves[i]) == nil {
						t.Fatalf("n=%d i=%d: flipped bit %d of sibling %d verifies", n, i, bit, s)
					}
				}
			}
			for _, q := range []Proof{
				{Index: p.Index ^ 1, LeafCount: p.LeafCount, Siblings: p.Siblings},
				{Index: p.Index, LeafCount: p.LeafCount + 1, Siblings: p.Siblings},
				{Index: p.Index, LeafCount: p.LeafCount, Siblings: append(append([]chainhash.Hash(nil), p.Siblings...), chainhash.Hash{})},
			} {
				// A different (index, count) describing the very same path from leaf
				// to root proves the same inclusion; any other shape must fail.
				if q.Verify(root, leaves[i]) == nil && directions(q) != directions(p) {
					t.Fatalf("n=%d i=%d: altered proof %+v verifies", n, i, q)
				}
			}
		}
	}
}

// directions renders the left/right turns of a proof's path, leaf first.
func directions(p Proof) string {
	var out []byte
	index, n := uint64(p.Index), uint64(p.LeafCount)
	for n > 1 {
		k := uint64(split(int(n)))
		if index < k {
			out = append([]byte{'L'}, out...)
			n = k
		} else {
			out = append([]byte{'R'}, out...)
			index -= k
			n -= k
		}
	}
	return string(out) + "/" + string(rune('0'+len(p.Siblings)))
}

func TestProofEncodingRoundTrip(t *testing.T) {
	leaves := leavesN(37, 5)
	for i := range leaves {
		p, _ := BuildProof(leaves, i)
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var q Proof
		if err := q.UnmarshalBinary(b); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if q.Verify(Root(leaves), leaves[i]) != nil {
			t.Fatal("decoded proof does not verify")
		}
		if err := q.UnmarshalBinary(append(b, 0)); err == nil {
			t.Fatal("trailing byte accepted")
		}
	}
}

func FuzzProofUnmarshal(f *testing.F) {
	p, _ := BuildProof(leavesN(9, 1), 4)
	b, _ := p.MarshalBinary()
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Proof
		if err := p.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := p.MarshalBinary()
		if err != nil || string(again) != string(data) {
			t.Fatalf("decoded proof does not re-encode to its input")
		}
	})
}

func FuzzProofVerify(f *testing.F) {
	f.Add(uint16(10), uint16(3), int64(1), uint8(0))
	f.Fuzz(func(t *testing.T, n, index uint16, seed int64, flip uint8) {
		count := int(n%300) + 1
		i := int(index) % count
		leaves := leavesN(count, seed)
		p, err := BuildProof(leaves, i)
		if err != nil {
			t.Fatal(err)
		}
		root := Root(leaves)
		if err := p.Verify(root, leaves[i]); err != nil {
			t.Fatalf("valid proof rejected: %v", err)
		}
		if len(p.Siblings) > 0 {
			p.Siblings[int(flip)%len(p.Siblings)][flip%32] ^= 1 << (flip % 8)
			if p.Verify(root, leaves[i]) == nil {
				t.Fatal("mutated proof verifies")
			}
		}
	})
}

func benchRoot(b *testing.B, n int) {
	leaves := leavesN(n, 1)
	for b.Loop() {
		Root(leaves)
	}
}

func benchProof(b *testing.B, n int) {
	leaves := leavesN(n, 1)
	for i := 0; b.Loop(); i++ {
		BuildProof(leaves, i%n)
	}
}

func benchVerify(b *testing.B, n int) {
	leaves := leavesN(n, 1)
	root := Root(leaves)
	p, _ := BuildProof(leaves, n/3)
	enc, _ := p.MarshalBinary()
	b.ReportMetric(float64(len(enc)), "proof-bytes")
	for b.Loop() {
		if p.Verify(root, leaves[n/3]) != nil {
			b.Fatal("proof does not verify")
		}
	}
}

func BenchmarkRoot1k(b *testing.B)        { benchRoot(b, 1000) }
func BenchmarkRoot10k(b *testing.B)       { benchRoot(b, 10000) }
func BenchmarkBuildProof1k(b *testing.B)  { benchProof(b, 1000) }
func BenchmarkBuildProof10k(b *testing.B) { benchProof(b, 10000) }
func BenchmarkVerify1k(b *testing.B)      { benchVerify(b, 1000) }
func BenchmarkVerify10k(b *testing.B)     { benchVerify(b, 10000) }

// The root of a tree cut into pieces of 2^k leaves, each hashed apart, is
// the root of the whole tree, for every size and cut.
func TestRootOfPiecesIsTheRoot(t *testing.T) {
	leaves := make([]chainhash.Hash, 300)
	for i := range leaves {
		leaves[i][0], leaves[i][1] = byte(i), byte(i>>8)
	}
	for n := 1; n <= len(leaves); n++ {
		want := Root(leaves[:n])
		for k := 0; k <= 9; k++ {
			piece := 1 << k
			var roots []chainhash.Hash
			for lo := 0; lo < n; lo += piece {
				roots = append(roots, Root(leaves[lo:min(n, lo+piece)]))
			}
			if got := RootOfPieces(roots); got != want {
				t.Fatalf("%d leaves in pieces of %d: root %s, want %s", n, piece, got, want)
			}
		}
	}
	if RootOfPieces(nil) != chainhash.Zero {
		t.Fatal("no pieces: want the zero hash")
	}
}
