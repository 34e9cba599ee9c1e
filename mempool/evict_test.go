package mempool

import (
	"math/rand/v2"
	"testing"

	"github.com/ledgerd/ledger/chaincfg"
)

// TestEvictionQueueMatchesFullScan checks the eviction queue against the
// rule it replaces (a scan of every entry for the lowest fee rate, latest
// arrival among equals) through random additions and removals.
func TestEvictionQueueMatchesFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := New(chaincfg.Regtest, nil, Config{MaxBytes: 1 << 40})
	next := 0
	for step := 0; step < 3000; step++ {
		if len(p.entries) == 0 || rng.IntN(3) > 0 {
			e := syntheticEntry(next)
			e.Fee = int64(e.Size) * int64(1+rng.IntN(20)) // many equal rates
			next++
			p.addEntry(e)
		} else {
			for _, e := range p.entries { // an arbitrary entry
				p.removeOne(e)
				break
			}
		}
		var want *Entry
		for _, e := range p.entries {
			if want == nil || e.FeeRate() < want.FeeRate() || (e.FeeRate() == want.FeeRate() && e.Seq > want.Seq) {
				want = e
			}
		}
		if got := p.byRate.worst(); got != want {
			t.Fatalf("step %d: queue names %v to evict, a full scan %v", step, got, want)
		}
		if len(p.byRate) != len(p.entries) {
			t.Fatalf("step %d: queue holds %d, pool %d", step, len(p.byRate), len(p.entries))
		}
		for i, s := range p.byRate {
			if s.e.evictIdx != i {
				t.Fatalf("step %d: entry at %d records position %d", step, i, s.e.evictIdx)
			}
		}
	}
}
