package node

import (
	"math/big"
	"sync"
	"time"
)

// progressWindow is how far back the chain-work rate behind the ETA looks.
const progressWindow = 2 * time.Minute

type workSample struct {
	at   time.Time
	work *big.Int
}

// progressEstimator turns observations of the tip's chain work into a
// verification progress and an ETA weighted by work (later blocks are
// harder, so counting blocks would flatter the start of a download). It has
// no clock of its own: callers pass the time.
type progressEstimator struct {
	mu      sync.Mutex
	samples []workSample
}

// observe records the tip's chain work at time now.
func (p *progressEstimator) observe(now time.Time, work *big.Int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.samples = append(p.samples, workSample{at: now, work: new(big.Int).Set(work)})
	cut := 0
	for cut < len(p.samples)-2 && now.Sub(p.samples[cut].at) > progressWindow {
		cut++
	}
	p.samples = p.samples[cut:]
}

// estimate returns the fraction of best's work that ours has (1 when ours is
// at least best) and the time the rest takes at the recent rate; ok is false
// when there is no rate to go by yet.
func (p *progressEstimator) estimate(ours, best *big.Int) (progress float64, eta time.Duration, ok bool) {
	if best == nil || best.Sign() <= 0 || ours.Cmp(best) >= 0 {
		return 1, 0, true
	}
	progress, _ = new(big.Rat).SetFrac(ours, best).Float64()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.samples) < 2 {
		return progress, 0, false
	}
	first, last := p.samples[0], p.samples[len(p.samples)-1]
	elapsed := last.at.Sub(first.at)
	gained := new(big.Int).Sub(last.work, first.work)
	if elapsed <= 0 || gained.Sign() <= 0 {
		return progress, 0, false
	}
	remaining := new(big.Int).Sub(best, ours)
	// eta = remaining / (gained / elapsed), in nanoseconds.
	ns := new(big.Int).Mul(remaining, big.NewInt(int64(elapsed)))
	ns.Quo(ns, gained)
	if !ns.IsInt64() {
		return progress, 0, false
	}
	return progress, time.Duration(ns.Int64()), true
}

// nowTime is the node's wall clock for operator figures (ETAs, status lines).
func nowTime() time.Time { return time.Now() }
