package pow

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/ledgerd/ledger/chainhash"
)

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func TestTargetIsExactForWholeBits(t *testing.T) {
	for _, bits := range []uint{0, 1, 8, 20, 255} {
		if got := Target(Difficulty(bits) * One); got.Cmp(pow2(256-bits)) != 0 {
			t.Fatalf("Target(%d bits) = %s, want 2^%d", bits, got.Text(16), 256-bits)
		}
		if got := Work(Difficulty(bits) * One); got.Cmp(pow2(bits)) != 0 {
			t.Fatalf("Work(%d bits) = %s, want 2^%d", bits, got, bits)
		}
	}
}

func TestTargetFallsStrictlyWithEverySixteenthOfABit(t *testing.T) {
	prev := Target(0)
	for d := Difficulty(One / 16); d <= 40*One; d += One / 16 {
		cur := Target(d)
		if cur.Cmp(prev) >= 0 {
			t.Fatalf("Target(%s) = %s is not below Target of the step before", d, cur.Text(16))
		}
		prev = cur
	}
}

func TestTargetOfHalfABitIsTheSquareRootOfTwoBelow(t *testing.T) {
	got, _ := new(big.Float).SetInt(Target(20*One + One/2)).Float64()
	want := math.Pow(2, 256-20.5)
	if math.Abs(got/want-1) > 1e-9 {
		t.Fatalf("Target(20.5) = %g, want %g", got, want)
	}
}

func TestHashMeetsAgreesWithTheBigTarget(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		d := Difficulty(r.Intn(int(24 * One)))
		var h chainhash.Hash
		r.Read(h[:])
		// Bias towards hashes near the target by zeroing a leading run.
		zero := int(d>>FracBits) + r.Intn(3) - 1
		for b := 0; b < zero && b < 256; b++ {
			h[b/8] &^= 1 << (7 - b%8)
		}
		want := new(big.Int).SetBytes(h[:]).Cmp(Target(d)) < 0
		if got := HashMeets(h, d); got != want {
			t.Fatalf("HashMeets(%s, %s) = %v, big comparison says %v", h, d, got, want)
		}
	}
}

func TestHashMeetsAtTheBoundary(t *testing.T) {
	for _, d := range []Difficulty{One, 8 * One, 20*One + One/3, 17*One + 12345} {
		target := Target(d)
		below := new(big.Int).Sub(target, big.NewInt(1))
		var atH, belowH chainhash.Hash
		target.FillBytes(atH[:])
		below.FillBytes(belowH[:])
		if !HashMeets(belowH, d) {
			t.Fatalf("%s: target-1 does not meet", d)
		}
		if HashMeets(atH, d) {
			t.Fatalf("%s: the target itself meets", d)
		}
	}
}

func TestWorkGrowsWithDifficulty(t *testing.T) {
	// Work is a whole number of hashes, so it resolves 1/8 bit from 8 bits up.
	prev := Work(8 * One)
	for d := 8*One + One/8; d < 64*One; d += One / 8 {
		w := Work(d)
		if w.Cmp(prev) <= 0 {
			t.Fatalf("Work(%s) = %s does not exceed the step before", d, w)
		}
		prev = w
	}
}

var testRetarget = RetargetParams{TargetSpacing: 10, HalfLife: 600, Min: One, Max: MaxDifficulty}

func TestNextDifficulty(t *testing.T) {
	const anchor = 20 * One
	for _, tc := range []struct {
		name       string
		p          RetargetParams
		height     uint64
		parentTime int64
		want       Difficulty
	}{
		{"on schedule keeps the anchor", testRetarget, 100, 1000, anchor},
		{"one half-life behind lowers one bit", testRetarget, 100, 1000 + 600, anchor - One},
		{"one half-life ahead raises one bit", testRetarget, 100, 1000 - 600, anchor + One},
		{"half a half-life behind lowers half a bit", testRetarget, 100, 1000 + 300, anchor - One/2},
		{"a second behind floors the fraction", testRetarget, 100, 1001, anchor - 109},
		{"a second ahead floors towards more difficulty", testRetarget, 100, 999, anchor + 110},
		{"far behind clamps at the minimum", testRetarget, 100, math.MaxInt64, One},
		{"far ahead clamps at the maximum", testRetarget, math.MaxUint64, math.MinInt64, MaxDifficulty},
		{"no retarget keeps the anchor", RetargetParams{NoRetarget: true}, 5, 1 << 40, anchor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextDifficulty(tc.p, anchor, 0, tc.height, tc.parentTime); got != tc.want {
				t.Fatalf("got %s (%d), want %s (%d)", got, got, tc.want, tc.want)
			}
		})
	}
}

// TestRetargetConverges simulates miners whose hash rate quadruples half-way:
// block times follow the expected hashes at the required difficulty, and the
// average spacing settles back on the target.
func TestRetargetConverges(t *testing.T) {
	p := RetargetParams{TargetSpacing: 10, HalfLife: 600, Min: One, Max: MaxDifficulty}
	anchor := 20 * One
	rate := math.Pow(2, 20) / 10 // exactly on schedule at the anchor difficulty
	now := int64(0)
	var times []int64
	for h := uint64(0); h < 4000; h++ {
		if h == 2000 {
			rate *= 4
		}
		d := NextDifficulty(p, anchor, 0, h, now)
		solve := math.Pow(2, d.Bits()) / rate
		now += int64(math.Round(solve))
		times = append(times, now)
	}
	spacing := float64(times[3999]-times[3499]) / 500
	if spacing < 9 || spacing > 11 {
		t.Fatalf("average spacing over the last 500 blocks is %.2f s, want 10 +- 10%%", spacing)
	}
}

func TestMedianTimePast(t *testing.T) {
	for _, tc := range []struct {
		times []int64
		want  int64
	}{
		{nil, 0},
		{[]int64{5}, 5},
		{[]int64{3, 1, 2}, 2},
		{[]int64{4, 1, 3, 2}, 3},
		{[]int64{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 6},
	} {
		if got := MedianTimePast(tc.times); got != tc.want {
			t.Fatalf("MedianTimePast(%v) = %d, want %d", tc.times, got, tc.want)
		}
	}
}

func BenchmarkHashMeetsWhole(b *testing.B) {
	h := chainhash.Hash{0, 0, 1}
	for b.Loop() {
		HashMeets(h, 20*One)
	}
}

func BenchmarkHashMeetsFractional(b *testing.B) {
	h := chainhash.Hash{0, 0, 0x0b}
	for b.Loop() {
		HashMeets(h, 20*One+One/3)
	}
}

func BenchmarkNextDifficulty(b *testing.B) {
	for b.Loop() {
		NextDifficulty(testRetarget, 20*One, 0, 1000, 12345)
	}
}
