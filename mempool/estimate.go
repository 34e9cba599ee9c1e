package mempool

import (
	"sort"

	"github.com/ledgerd/ledger/chain"
)

// Fee estimation by confirmation target, from what recent blocks confirmed:
// the pool remembers, for each transaction a connected block mined out of
// it, its fee rate and how many blocks it waited. For a target of T blocks
// the estimate is the lowest fee rate at which (nearly) every transaction
// paying at least that much was mined within T blocks, counting as failures
// the pool transactions that have already waited longer than T.
const (
	// EstimateBlocks is how many recent blocks the estimate looks at.
	EstimateBlocks = 100
	// MaxEstimateTarget is the longest confirmation target estimated.
	MaxEstimateTarget = EstimateBlocks / 2
	// estimateSuccess is the share of transactions at or above a fee rate
	// that must have been mined within the target for that rate to count.
	estimateSuccess = 0.85
	// estimateMinSamples is how many transactions a rate needs at or above
	// it before its success share is trusted.
	estimateMinSamples = 3
)

// feeSample is one mined transaction: fee rate (units per 1000 bytes) and blocks waited.
type feeSample struct {
	rate   int64
	waited uint64
}

// blockFees is what one connected block mined out of the pool.
type blockFees struct {
	height  uint64
	samples []feeSample
}

// feeHistory holds the samples of the last EstimateBlocks blocks.
type feeHistory struct{ blocks []blockFees }

// recordBlock notes the pool transactions that ch (a connected block) mines.
// It must run before they leave the pool.
func (p *Pool) recordBlock(ch chain.Change) {
	h := &p.feeHist
	for len(h.blocks) > 0 && h.blocks[len(h.blocks)-1].height >= ch.Height {
		h.blocks = h.blocks[:len(h.blocks)-1] // a reorg replaced these blocks
	}
	bf := blockFees{height: ch.Height}
	for _, t := range ch.Block.Txs[1:] {
		if e, ok := p.entries[t.ID()]; ok && ch.Height > e.Height {
			bf.samples = append(bf.samples, feeSample{rate: e.FeeRate(), waited: ch.Height - e.Height})
		}
	}
	h.blocks = append(h.blocks, bf)
	if len(h.blocks) > EstimateBlocks {
		h.blocks = append(h.blocks[:0], h.blocks[len(h.blocks)-EstimateBlocks:]...)
	}
}

// Estimate is a fee rate suggestion for a confirmation target.
type Estimate struct {
	// FeeRate is in units per byte, never below the minimum relay fee rate.
	FeeRate int64
	// Target is the confirmation target in blocks it was made for (clamped to [1, MaxEstimateTarget]).
	Target int
	// Samples is how many recently mined transactions it rests on; with none,
	// FeeRate is the pool's median fee rate or the minimum.
	Samples int
}

// EstimateFee suggests a fee rate for a transaction to be mined within
// target blocks, from the transactions the last EstimateBlocks blocks
// confirmed out of this pool.
func (p *Pool) EstimateFee(target int) Estimate {
	target = max(1, min(target, MaxEstimateTarget))
	p.mu.Lock()
	tip := p.chain.Tip().Height
	type outcome struct {
		rate int64
		ok   bool
	}
	var all []outcome
	mined := 0
	for _, b := range p.feeHist.blocks {
		for _, s := range b.samples {
			all = append(all, outcome{s.rate, s.waited <= uint64(target)})
			mined++
		}
	}
	for _, e := range p.entries {
		if tip+1-e.Height > uint64(target) {
			all = append(all, outcome{e.FeeRate(), false}) // waited longer than the target already
		}
	}
	p.mu.Unlock()
	if mined == 0 {
		return Estimate{FeeRate: p.EstimateFeeRate(), Target: target}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].rate > all[j].rate })
	best := all[0].rate // with no rate passing, the highest seen
	found := false
	ok := 0
	for i, o := range all {
		if o.ok {
			ok++
		}
		if i+1 < len(all) && all[i+1].rate == o.rate {
			continue // judge a rate once all samples at it are counted
		}
		n := i + 1
		if n < min(estimateMinSamples, len(all)) {
			continue
		}
		if float64(ok) >= estimateSuccess*float64(n) {
			best, found = o.rate, true
		} else if found {
			break
		}
	}
	rate := (best + 999) / 1000
	return Estimate{FeeRate: max(rate, p.cfg.MinFeeRate), Target: target, Samples: mined}
}
