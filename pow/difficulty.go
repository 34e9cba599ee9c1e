// Package pow holds the proof-of-work rules: what a difficulty means as a
// target, whether a block hash meets it, how much work a block represents,
// how difficulty retargets, and the median-time-past rule. Everything here
// is a pure function: no clocks, no I/O.
//
// Difficulty is a count of leading zero bits in 16.16 fixed point: a block
// of difficulty d must hash below 2^(256-d), so it takes 2^d hashes on
// average. Fractional bits let retargeting move smoothly.
package pow

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/ledgerd/ledger/chainhash"
)

// Difficulty is the required number of leading zero bits times 2^16.
type Difficulty uint32

// FracBits is the number of fractional bits in a Difficulty.
const FracBits = 16

// One is a difficulty of exactly one bit.
const One Difficulty = 1 << FracBits

// MaxDifficulty is the highest difficulty a block may carry.
const MaxDifficulty Difficulty = 255 << FracBits

// FromBits converts a bit count to a Difficulty, rounding down. For
// parameters and tests; consensus code never uses floating point.
func FromBits(b float64) Difficulty {
	if b <= 0 {
		return 0
	}
	if b >= float64(MaxDifficulty)/float64(One) {
		return MaxDifficulty
	}
	return Difficulty(math.Floor(b * float64(One)))
}

// Bits returns the difficulty as a number of bits.
func (d Difficulty) Bits() float64 { return float64(d) / float64(One) }

// String formats the difficulty in bits with four decimals.
func (d Difficulty) String() string { return fmt.Sprintf("%.4f", d.Bits()) }

// two256 is 2^256.
var two256 = new(big.Int).Lsh(big.NewInt(1), 256)

// fracScale is the fixed-point scale of the fractional multiplier.
const fracScale = 32

// fracMultiplier returns floor(2^32 * 2^(-f/65536)) for f in [0, 65536),
// computed with integers only: 2^(-f/65536) is the product of 2^(-1/2^i) for
// every bit i of f, and those 16 constants are fixed. The result is
// deterministic on every platform and strictly decreasing in f.
func fracMultiplier(f uint32) *big.Int {
	m := new(big.Int).Lsh(big.NewInt(1), 64) // 1.0 with 64 fractional bits
	for i := 0; i < FracBits; i++ {
		if f&(1<<(FracBits-1-i)) != 0 {
			m.Mul(m, rootOfHalf[i])
			m.Rsh(m, 64)
		}
	}
	return m.Rsh(m, 64-fracScale)
}

// rootOfHalf[i] is floor(2^64 * 2^(-1/2^(i+1))): 2^-1/2, 2^-1/4, ..., 2^-1/65536.
var rootOfHalf = func() []*big.Int {
	out := make([]*big.Int, FracBits)
	for i := range out {
		// Computed once with big.Float at 256 bits of precision; a fixed table
		// would do equally well, and this makes its derivation plain.
		x := new(big.Float).SetPrec(256).SetMantExp(big.NewFloat(1).SetPrec(256), 64)
		root := new(big.Float).SetPrec(256).SetFloat64(0.5)
		for j := 0; j <= i; j++ {
			root.Sqrt(root)
		}
		x.Mul(x, root)
		v, _ := x.Int(nil)
		out[i] = v
	}
	return out
}()

// Target returns 2^(256 - d) for difficulty d: a hash meets d when it is
// below the target. Integral difficulties give exact powers of two.
func Target(d Difficulty) *big.Int {
	i := uint(d >> FracBits)
	f := uint32(d) & (1<<FracBits - 1)
	t := new(big.Int).Lsh(big.NewInt(1), 256-i)
	if f == 0 {
		return t
	}
	t.Mul(t, fracMultiplier(f))
	return t.Rsh(t, fracScale)
}

// LeadingZeroBits counts the zero bits at the start of h read big-endian.
func LeadingZeroBits(h chainhash.Hash) int {
	for i, b := range h {
		if b != 0 {
			return i*8 + bits.LeadingZeros8(b)
		}
	}
	return 256
}

// HashMeets reports whether h, read as a big-endian number, is below Target(d).
func HashMeets(h chainhash.Hash, d Difficulty) bool {
	lz := LeadingZeroBits(h)
	whole := int(d >> FracBits)
	if uint32(d)&(1<<FracBits-1) == 0 {
		return lz >= whole
	}
	switch {
	case lz < whole:
		return false
	case lz > whole:
		return true // below 2^(256-whole-1) <= Target(d)
	}
	return new(big.Int).SetBytes(h[:]).Cmp(Target(d)) < 0
}

// Work returns the expected number of hashes to meet d: 2^256 / Target(d),
// exactly 2^d for integral d. The chain with the most summed work wins.
func Work(d Difficulty) *big.Int {
	return new(big.Int).Quo(two256, Target(d))
}
