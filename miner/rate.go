package miner

import (
	"sync"
	"sync/atomic"
	"time"
)

// rateMeter turns per-thread hash counters into rates over a sliding window.
type rateMeter struct {
	mu       sync.Mutex
	counters []atomic.Uint64
	window   time.Duration
	samples  []rateSample
}

type rateSample struct {
	at     time.Time
	counts []uint64
}

func newRateMeter(counters []atomic.Uint64, window time.Duration) *rateMeter {
	return &rateMeter{counters: counters, window: window}
}

func (r *rateMeter) sample(now time.Time) {
	s := rateSample{at: now, counts: make([]uint64, len(r.counters))}
	for i := range r.counters {
		s.counts[i] = r.counters[i].Load()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) >= r.window {
		r.samples = r.samples[1:]
	}
}

// rates returns the total and per-thread hashes per second between the oldest and newest samples.
func (r *rateMeter) rates() (float64, []float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	per := make([]float64, len(r.counters))
	if len(r.samples) < 2 {
		return 0, per
	}
	first, last := r.samples[0], r.samples[len(r.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0, per
	}
	var total float64
	for i := range per {
		per[i] = float64(last.counts[i]-first.counts[i]) / secs
		total += per[i]
	}
	return total, per
}
