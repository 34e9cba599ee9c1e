package stratum

import (
	"math"
	"time"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/pow"
)

// VardiffConfig steers each worker's share difficulty toward one share per
// TargetInterval.
type VardiffConfig struct {
	// Initial is a new worker's share difficulty; Min and Max bound it.
	Initial, Min, Max pow.Difficulty
	// TargetInterval is the wanted time between one worker's shares.
	TargetInterval time.Duration
	// RetargetShares and RetargetTime end a measuring window: the difficulty
	// is reconsidered after that many shares or that much time, whichever
	// comes first.
	RetargetShares int
	RetargetTime   time.Duration
}

// Steps bound one retarget, in bits: a flood of shares raises the
// difficulty fast, a quiet worker's falls gently. Changes under hysteresis
// bits are not worth a message.
const (
	maxStepUp   = 16.0
	maxStepDown = 4.0
	hysteresis  = 0.5
)

// DefaultVardiff returns the vardiff settings for a network. Shares start at
// 16 bits (65,536 hashes: well under a second for one CPU core) and never
// go below 8 bits, so a new worker sends a burst at most; on regtest, whose
// blocks need one bit, every share is then also a block.
func DefaultVardiff(p *chaincfg.Params) VardiffConfig {
	return VardiffConfig{
		Initial:        16 * pow.One,
		Min:            8 * pow.One,
		Max:            pow.MaxDifficulty,
		TargetInterval: 5 * time.Second,
		RetargetShares: 8,
		RetargetTime:   30 * time.Second,
	}
}

func (c *VardiffConfig) fill(p *chaincfg.Params) {
	d := DefaultVardiff(p)
	if c.Initial == 0 {
		c.Initial = d.Initial
	}
	if c.Min == 0 {
		c.Min = d.Min
	}
	if c.Max == 0 {
		c.Max = d.Max
	}
	if c.TargetInterval <= 0 {
		c.TargetInterval = d.TargetInterval
	}
	if c.RetargetShares <= 0 {
		c.RetargetShares = d.RetargetShares
	}
	if c.RetargetTime <= 0 {
		c.RetargetTime = d.RetargetTime
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
}

// vardiff is one worker's share difficulty. It has no clock: callers pass
// the time of each event.
type vardiff struct {
	cfg    VardiffConfig
	diff   pow.Difficulty
	since  time.Time
	shares int
}

func newVardiff(cfg VardiffConfig, now time.Time) *vardiff {
	return &vardiff{cfg: cfg, diff: cfg.Initial, since: now}
}

// update counts shares new shares found by now and returns the share
// difficulty and whether it changed. At the end of a measuring window the
// difficulty moves by log2 of how much faster than wanted shares came.
func (v *vardiff) update(now time.Time, shares int) (pow.Difficulty, bool) {
	v.shares += shares
	elapsed := now.Sub(v.since)
	if v.shares < v.cfg.RetargetShares && elapsed < v.cfg.RetargetTime {
		return v.diff, false
	}
	elapsed = max(elapsed, time.Microsecond)
	// With no share in the window the worker is at least this slow.
	observed := elapsed / time.Duration(max(v.shares, 1))
	delta := math.Log2(float64(v.cfg.TargetInterval) / float64(observed))
	delta = min(max(delta, -maxStepDown), maxStepUp)
	v.since, v.shares = now, 0
	if math.Abs(delta) < hysteresis {
		return v.diff, false
	}
	bits := min(max(v.diff.Bits()+delta, v.cfg.Min.Bits()), v.cfg.Max.Bits())
	next := pow.FromBits(bits)
	if next == v.diff {
		return v.diff, false
	}
	v.diff = next
	return next, true
}

// shareDifficulty is the difficulty a worker's shares of a job must meet:
// its vardiff, but never more than the block's, since a share harder than a
// block would hide blocks from the pool. The exception is a network whose
// blocks are easier than the share floor (regtest), where every share is a
// block anyway.
func shareDifficulty(worker, blockDiff, floor pow.Difficulty) pow.Difficulty {
	if blockDiff >= floor && worker > blockDiff {
		return blockDiff
	}
	return worker
}
