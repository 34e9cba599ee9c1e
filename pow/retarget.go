package pow

import (
	"math/big"
	"sort"
)

// RetargetParams set how difficulty follows the block interval.
type RetargetParams struct {
	// TargetSpacing is the intended number of seconds between blocks.
	TargetSpacing int64
	// HalfLife is how many seconds behind (ahead of) schedule lower (raise) the difficulty by one bit.
	HalfLife int64
	// Min and Max clamp the result.
	Min, Max Difficulty
	// NoRetarget fixes the difficulty at the anchor's (regtest).
	NoRetarget bool
}

// NextDifficulty returns the difficulty of the block after a parent at
// parentHeight (counted from the anchor, which has height 0) with time
// parentTime, for an anchor block of difficulty anchor and time anchorTime.
//
// This is ASERT (absolutely scheduled exponentially rising targets) in the
// log domain: the target doubles for every HalfLife seconds the chain is
// behind its ideal schedule (anchorTime + TargetSpacing * height) and halves
// for every HalfLife it is ahead. Since a Difficulty is already log2 of the
// target, that is a straight line: d = anchor - (parentTime - anchorTime -
// TargetSpacing*parentHeight) * 2^16 / HalfLife, floored, then clamped.
//
// Why it resists timestamp manipulation: the result depends only on the
// parent's own timestamp and height against a fixed anchor, not on a window
// whose edges a miner can game (as Bitcoin's 2016-block window can be by
// time-warp attacks). A lie in one timestamp shifts the next block's
// difficulty once, by at most the lie divided by the half-life, and the
// following honest timestamp undoes it; the median-time-past rule bounds
// lies into the past and the future-drift limit bounds lies into the future.
// The rule is memoryless and converges on the target spacing for any hash rate.
func NextDifficulty(p RetargetParams, anchor Difficulty, anchorTime int64, parentHeight uint64, parentTime int64) Difficulty {
	if p.NoRetarget {
		return anchor
	}
	// exponent = parentTime - anchorTime - spacing*height, in big integers so
	// that hostile timestamps anywhere in int64 cannot overflow.
	exp := new(big.Int).Sub(big.NewInt(parentTime), big.NewInt(anchorTime))
	sched := new(big.Int).Mul(big.NewInt(p.TargetSpacing), new(big.Int).SetUint64(parentHeight))
	exp.Sub(exp, sched)
	exp.Mul(exp, big.NewInt(int64(One)))
	hl := p.HalfLife
	if hl <= 0 {
		hl = 1
	}
	// Floor division (big.Int.Div rounds toward negative infinity for positive divisors).
	exp.Div(exp, big.NewInt(hl))
	next := new(big.Int).Sub(big.NewInt(int64(anchor)), exp)
	lo, hi := int64(p.Min), int64(p.Max)
	if hi == 0 {
		hi = int64(MaxDifficulty)
	}
	switch {
	case next.Cmp(big.NewInt(lo)) < 0:
		return Difficulty(lo)
	case next.Cmp(big.NewInt(hi)) > 0:
		return Difficulty(hi)
	}
	return Difficulty(next.Int64())
}

// MedianTimeSpan is how many recent blocks the median time past is taken over.
const MedianTimeSpan = 11

// MedianTimePast returns the median of times (the upper middle for an even
// count, as bitcoind takes sorted[n/2]); 0 for none. A block's time must be
// after the median time past of the blocks before it.
func MedianTimePast(times []int64) int64 {
	if len(times) == 0 {
		return 0
	}
	sorted := append([]int64(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}
