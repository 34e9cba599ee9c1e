package wallet

import (
	"sort"
)

// Sizes of the parts of a transaction that coin selection adds (see tx's
// encoding): an input is an outpoint and a signature, an output an amount and a key.
const (
	inputSize  = 32 + 4 + 64
	outputSize = 8 + 32
)

// bnbMaxTries bounds the branch-and-bound search.
const bnbMaxTries = 100_000

// selection is the coins chosen to pay a target, and whether change is worth making.
type selection struct {
	coins []coin
	total int64
}

// selectCoins chooses coins to pay amount at feeRate, for a transaction whose
// size without inputs (and without change) is baseSize. It prefers confirmed
// coins, using the wallet's own unconfirmed change only when confirmed coins
// do not suffice. Within each group it first looks for a set that pays
// without change (branch and bound, as Bitcoin Core: no change output to pay
// for now and to spend later), then for the smallest single coin that leaves
// change above the dust limit, then adds coins largest first. Change below
// DustLimit is never made; it goes to the fee. It returns false when the
// coins cannot pay.
func selectCoins(coins []coin, amount, feeRate int64, baseSize int) (selection, bool) {
	var confirmed, all []coin
	for _, c := range coins {
		if !c.spendable {
			continue
		}
		if c.confirmed() {
			confirmed = append(confirmed, c)
		}
		all = append(all, c)
	}
	for _, group := range [][]coin{confirmed, all} {
		if s, ok := selectFrom(group, amount, feeRate, baseSize); ok {
			return s, true
		}
	}
	return selection{}, false
}

// effective is what a coin adds to a transaction once its input's fee is paid.
func effective(c coin, feeRate int64) int64 { return c.amount - feeRate*inputSize }

func selectFrom(group []coin, amount, feeRate int64, baseSize int) (selection, bool) {
	var useful []coin
	for _, c := range group {
		if effective(c, feeRate) > 0 {
			useful = append(useful, c)
		}
	}
	sort.SliceStable(useful, func(i, j int) bool { return useful[i].amount > useful[j].amount })
	noChange := amount + feeRate*int64(baseSize)
	changeCost := feeRate * (outputSize + inputSize) // make a change output now and spend it later
	if s, ok := branchAndBound(useful, feeRate, noChange, noChange+changeCost); ok {
		return s, true
	}
	// With change: it must come out at DustLimit or more.
	withChange := noChange + feeRate*outputSize + DustLimit
	best := -1
	for i, c := range useful {
		if effective(c, feeRate) >= withChange {
			best = i // the list is largest first: the last that fits is the smallest
		}
	}
	if best >= 0 {
		return selection{coins: []coin{useful[best]}, total: useful[best].amount}, true
	}
	if s, ok := largestFirst(useful, feeRate, withChange); ok {
		return s, true
	}
	// Not enough for change above dust: paying without change is still fine.
	return largestFirst(useful, feeRate, noChange)
}

// largestFirst takes coins in order until their effective values reach target.
func largestFirst(coins []coin, feeRate, target int64) (selection, bool) {
	var s selection
	var eff int64
	for _, c := range coins {
		s.coins = append(s.coins, c)
		s.total += c.amount
		eff += effective(c, feeRate)
		if eff >= target {
			return s, true
		}
	}
	return selection{}, false
}

// branchAndBound looks for coins whose effective values sum to within
// [target, upper], taking the one with the least excess found within
// bnbMaxTries steps. coins are sorted largest first.
func branchAndBound(coins []coin, feeRate, target, upper int64) (selection, bool) {
	remaining := make([]int64, len(coins)+1) // remaining[i] = sum of effective values from i on
	for i := len(coins) - 1; i >= 0; i-- {
		remaining[i] = remaining[i+1] + effective(coins[i], feeRate)
	}
	if remaining[0] < target {
		return selection{}, false
	}
	var best []int
	bestExcess := int64(-1)
	var picked []int
	tries := 0
	var search func(i int, sum int64)
	search = func(i int, sum int64) {
		tries++
		if tries > bnbMaxTries || sum > upper || sum+remaining[i] < target {
			return
		}
		if sum >= target {
			if excess := sum - target; bestExcess < 0 || excess < bestExcess {
				bestExcess = excess
				best = append(best[:0], picked...)
			}
			return
		}
		if i == len(coins) {
			return
		}
		picked = append(picked, i)
		search(i+1, sum+effective(coins[i], feeRate))
		picked = picked[:len(picked)-1]
		if bestExcess == 0 {
			return
		}
		search(i+1, sum)
	}
	search(0, 0)
	if bestExcess < 0 {
		return selection{}, false
	}
	var s selection
	for _, i := range best {
		s.coins = append(s.coins, coins[i])
		s.total += coins[i].amount
	}
	return s, true
}
