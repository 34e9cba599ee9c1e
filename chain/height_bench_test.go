package chain_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/internal/longchain"
)

// newHeightChain opens a regtest chain (no fsync) that a longchain.Grower
// extends with coinbase-only blocks, for measuring how the cost of a block
// changes with height.
func newHeightChain(tb testing.TB) (*chain.Chain, *longchain.Grower) {
	tb.Helper()
	// A small write-back cache flushes every few hundred blocks, so each
	// measured window includes its share of flushes.
	c, err := chain.Open(tb.TempDir(), chaincfg.Regtest, chain.Options{NoSync: true, SigWorkers: 1, CacheBytes: 256 << 10, Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() }) // a second Close after the benchmark's is harmless
	return c, longchain.New(c)
}

// connectTimed connects blocks, which must extend g's tip, and returns how long that took.
func connectTimed(tb testing.TB, g *longchain.Grower, blocks []*block.Block) time.Duration {
	tb.Helper()
	start := time.Now()
	if err := g.Connect(blocks); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// grow connects blocks up to height.
func grow(tb testing.TB, g *longchain.Grower, height uint64) {
	tb.Helper()
	if err := g.Grow(height); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkConnectAtHeight reports blocks/s connecting 2,000 blocks at
// heights 1,001-3,000 and 10,000 at heights 195,001-205,000
// (LEDGER_BENCH_HIGH moves the latter's centre), and their ratio: the cost
// of a block must not grow with height (the goal is a ratio of at least
// 0.9). Rates are per second of the process's CPU time (connecting, the
// cache's flushes and leveldb's compactions in the window), which load from
// other processes on a shared machine disturbs less than wall time; wall
// rates are reported too. Each window ends with its blocks flushed to leveldb.
func BenchmarkConnectAtHeight(b *testing.B) {
	high := uint64(200_000)
	if v := os.Getenv("LEDGER_BENCH_HIGH"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n < 20_000 {
			b.Fatalf("LEDGER_BENCH_HIGH=%q: want a height of at least 20000", v)
		}
		high = n
	}
	measure := func(from uint64, window int) (cpuRate, wallRate float64) {
		c, g := newHeightChain(b)
		grow(b, g, from)
		blocks := g.Build(window)
		runtime.GC()
		cpu0, wall0 := cpuTime(b), time.Now()
		connectTimed(b, g, blocks)
		if err := c.Close(); err != nil { // flushes the write-back cache
			b.Fatal(err)
		}
		cpu, wall := cpuTime(b)-cpu0, time.Since(wall0)
		return float64(window) / cpu.Seconds(), float64(window) / wall.Seconds()
	}
	for range b.N {
		lowCPU, lowWall := measure(1_000, 2_000)
		highCPU, highWall := measure(high-5_000, 10_000)
		b.ReportMetric(lowCPU, "blocks/cpu-s@2k")
		b.ReportMetric(highCPU, fmt.Sprintf("blocks/cpu-s@%dk", high/1000))
		b.ReportMetric(highCPU/lowCPU, "ratio")
		b.ReportMetric(lowWall, "blocks/s@2k")
		b.ReportMetric(highWall, fmt.Sprintf("blocks/s@%dk", high/1000))
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The links the chain follows in its block index per connected block stay
// bounded as the chain grows: counted, not timed, so it holds on any machine.
// (Walking to block 1 for the retarget anchor once cost a link per block of height.)
func TestIndexVisitsPerBlockDoNotGrowWithHeight(t *testing.T) {
	c, g := newHeightChain(t)
	perBlock := func(n int) float64 {
		blocks := g.Build(n)
		before := headerchain.Visits()
		connectTimed(t, g, blocks)
		c.Tip()
		c.Locator()
		return float64(headerchain.Visits()-before) / float64(n)
	}
	grow(t, g, 100)
	low := perBlock(100)
	grow(t, g, 3_000)
	high := perBlock(100)
	// Skip pointers make ancestor lookups O(log n): 30 times the height may
	// cost a few more links, never 30 times as many.
	t.Logf("index links per block: %.1f at height ~100, %.1f at ~3,000", low, high)
	if high > 2*low+10 {
		t.Fatalf("%.1f index links per block at height ~3,000 against %.1f at ~100", high, low)
	}
}
