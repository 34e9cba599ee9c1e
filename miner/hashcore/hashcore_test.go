package hashcore

import (
	"math/rand"
	"sync/atomic"
	"testing"

	"github.com/ledgerd/ledger/chainhash"
)

func randomHeader(r *rand.Rand) [HeaderSize]byte {
	var h [HeaderSize]byte
	r.Read(h[:])
	return h
}

// withGeneric runs f with the portable compression functions in use.
func withGeneric(f func()) {
	c, d, d2 := compress, double, double2
	compress, double, double2 = blockGeneric, doubleGeneric, double2Generic
	defer func() { compress, double, double2 = c, d, d2 }()
	f()
}

func TestHashIsDoubleSHA256OfTheHeader(t *testing.T) {
	t.Run(Implementation(), checkTemplateHashes)
	t.Run("generic", func(t *testing.T) { withGeneric(func() { checkTemplateHashes(t) }) })
}

func TestSearchAgreesWithTheNaiveLoop(t *testing.T) {
	t.Run(Implementation(), checkSearchAgainstNaive)
	t.Run("generic", func(t *testing.T) { withGeneric(func() { checkSearchAgainstNaive(t) }) })
}

// checkSearchAgainstNaive is the property: over random headers, starts and
// odd and even counts, Search returns what the plain loop returns.
func checkSearchAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	var target [32]byte
	target[0] = 0x02
	for i := 0; i < 20; i++ {
		h := randomHeader(r)
		start := r.Uint32() >> 1
		count := uint64(1 + r.Intn(5000))
		n1, h1, ok1, tried1 := NewTemplate(h).Search(target, start, count, nil)
		n2, h2, ok2, tried2 := SearchNaive(h, target, start, count)
		if n1 != n2 || h1 != h2 || ok1 != ok2 || tried1 != tried2 {
			t.Fatalf("header %d: midstate search (%d %v %d) and naive loop (%d %v %d) disagree", i, n1, ok1, tried1, n2, ok2, tried2)
		}
	}
}

// checkTemplateHashes is the property: for random headers and nonces the
// midstate hash equals the plain double SHA-256.
func checkTemplateHashes(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		h := randomHeader(r)
		nonce := r.Uint32()
		want := h
		want[NonceOffset], want[NonceOffset+1], want[NonceOffset+2], want[NonceOffset+3] = byte(nonce), byte(nonce>>8), byte(nonce>>16), byte(nonce>>24)
		if got := NewTemplate(h).Hash(nonce); got != chainhash.DoubleSHA256(want[:]) {
			t.Fatalf("header %d: template hash differs from double SHA-256", i)
		}
	}
}

func TestSearchFindsTheFirstSolution(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	tmpl := NewTemplate(randomHeader(r))
	var target [32]byte
	target[0] = 0x01 // about one nonce in 256 meets it
	nonce, hash, found, tried := tmpl.Search(target, 1000, 1<<20, nil)
	if !found {
		t.Fatal("no solution in 2^20 nonces for an 8-bit target")
	}
	if hash != tmpl.Hash(nonce) || hash[0] != 0 {
		t.Fatalf("returned hash %s does not belong to nonce %d or miss the target", hash, nonce)
	}
	for n := uint32(1000); n < nonce; n++ {
		if h := tmpl.Hash(n); h[0] == 0 {
			t.Fatalf("nonce %d meets the target before %d", n, nonce)
		}
	}
	if tried != uint64(nonce-1000)+1 {
		t.Fatalf("tried %d, want %d", tried, nonce-1000+1)
	}
}

func TestSearchStopsAtTheEndOfTheNonceSpace(t *testing.T) {
	tmpl := NewTemplate([HeaderSize]byte{})
	var impossible [32]byte
	_, _, found, tried := tmpl.Search(impossible, ^uint32(0)-9, 1000, nil)
	if found || tried != 10 {
		t.Fatalf("found=%v tried=%d, want the last 10 nonces only", found, tried)
	}
}

func TestSearchHonoursStop(t *testing.T) {
	tmpl := NewTemplate([HeaderSize]byte{})
	var impossible [32]byte
	var stop atomic.Bool
	stop.Store(true)
	if _, _, found, tried := tmpl.Search(impossible, 0, 1<<30, &stop); found || tried > 2*stopCheckInterval {
		t.Fatalf("search ran %d nonces after stop", tried)
	}
}

func BenchmarkNaive(b *testing.B) {
	var impossible [32]byte
	_, _, _, tried := SearchNaive([HeaderSize]byte{1, 2, 3}, impossible, 0, uint64(b.N))
	b.ReportMetric(float64(tried)/b.Elapsed().Seconds(), "H/s")
}

func BenchmarkSearchGeneric(b *testing.B) {
	withGeneric(func() { BenchmarkSearch(b) })
}

func BenchmarkSearch(b *testing.B) {
	tmpl := NewTemplate([HeaderSize]byte{1, 2, 3})
	var impossible [32]byte
	b.ResetTimer()
	_, _, _, tried := tmpl.Search(impossible, 0, uint64(b.N), nil)
	b.ReportMetric(float64(tried)/b.Elapsed().Seconds(), "H/s")
}

func TestTwoLaneHashMatchesOneLaneHashes(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 2000; i++ {
		tmpl := NewTemplate(randomHeader(r))
		tails := [2][64]byte{tmpl.tail, tmpl.tail}
		r.Read(tails[0][:HeaderSize-64])
		r.Read(tails[1][:HeaderSize-64])
		var outs [2][8]uint32
		double2(&tmpl.mid, &tails, &outs)
		for lane := range tails {
			var want [8]uint32
			doubleGeneric(&tmpl.mid, &tails[lane], &want)
			if outs[lane] != want {
				t.Fatalf("case %d lane %d: %s two-lane hash differs from the generic one", i, lane, Implementation())
			}
		}
	}
}
