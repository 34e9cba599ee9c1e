package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/internal/longchain"
	"github.com/ledgerd/ledger/node"
)

// BenchmarkSyncAtHeight measures a node process syncing a run of 2,000
// coinbase-only regtest blocks over p2p from one local peer, once with its
// chain at height 2,000 and once at 200,000, and reports both rates and their
// ratio (issue 12: the later rate must be at least 0.9 of the earlier).
// LEDGER_BENCH_HIGH moves the upper height and LEDGER_BENCH_SYNC_WINDOW the
// run's length. The chains are built in process (the time to build the
// higher one is reported); the syncing node is a fresh copy of a store
// at the lower height, the serving node's store reaches the run's end. With
// -benchtime Nx the two heights alternate N times and the rates are totals.
// Besides wall-clock rates it reports blocks per CPU second of both
// processes, which load from other jobs disturbs less.
func BenchmarkSyncAtHeight(b *testing.B) {
	high := uint64(envInt("LEDGER_BENCH_HIGH", 200_000))
	window := uint64(envInt("LEDGER_BENCH_SYNC_WINDOW", 2_000))
	const low = 2_000
	if high < 10*low {
		b.Fatalf("LEDGER_BENCH_HIGH=%d: want at least %d", high, 10*low)
	}
	lowSet := newSyncStores(b, "low", low, window)
	highSet := newSyncStores(b, "high", high, window)

	var lowRun, highRun syncRun
	b.ResetTimer()
	for i := range b.N {
		lowRun.add(lowSet.sync(b, i))
		highRun.add(highSet.sync(b, i))
	}
	b.StopTimer()
	b.ReportMetric(highSet.gen.Seconds(), "gen-s@"+kilo(high))
	b.ReportMetric(highSet.genCPU.Seconds(), "gen-cpu-s@"+kilo(high))
	b.ReportMetric(lowRun.rate(window), "blocks/s@"+kilo(low))
	b.ReportMetric(highRun.rate(window), "blocks/s@"+kilo(high))
	b.ReportMetric(highRun.rate(window)/lowRun.rate(window), "ratio")
	b.ReportMetric(lowRun.cpuRate(window), "blocks/cpu-s@"+kilo(low))
	b.ReportMetric(highRun.cpuRate(window), "blocks/cpu-s@"+kilo(high))
	b.ReportMetric(highRun.cpuRate(window)/lowRun.cpuRate(window), "cpu-ratio")
}

func kilo(h uint64) string { return strconv.FormatUint(h/1000, 10) + "k" }

// syncRun sums the wall and CPU time of sync runs.
type syncRun struct {
	n         int
	wall, cpu time.Duration
}

func (r *syncRun) add(o syncRun) { r.n += o.n; r.wall += o.wall; r.cpu += o.cpu }

func (r *syncRun) rate(window uint64) float64 {
	return float64(window) * float64(r.n) / r.wall.Seconds()
}

func (r *syncRun) cpuRate(window uint64) float64 {
	return float64(window) * float64(r.n) / r.cpu.Seconds()
}

// syncStores is a serving node running on a chain at base+window and the
// store, at base, that each syncing node starts from.
type syncStores struct {
	name       string
	base, tip  uint64
	victimTmpl string // a chain directory at height base
	src        *proc
	// gen and genCPU are the wall and CPU time building both stores took.
	gen, genCPU time.Duration
}

// newSyncStores builds a chain to base and on to base+window in process,
// keeping a copy of the store at base, and starts the serving node on the
// longer one.
func newSyncStores(b *testing.B, name string, base, window uint64) *syncStores {
	b.Helper()
	start, cpu0 := time.Now(), selfCPU(b)
	dir := filepath.Join(b.TempDir(), name)
	s := &syncStores{name: name, base: base, tip: base + window, victimTmpl: filepath.Join(dir, "victim-chain")}
	srcDir := filepath.Join(dir, "src")
	srcChain := filepath.Join(srcDir, node.ChainDir)
	// No fsync; a small write-back cache, which generates fastest (a large
	// one makes flushes costly and leaves leveldb more compaction to do).
	opts := chain.Options{NoSync: true, SigWorkers: 1, CacheBytes: 256 << 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c, err := chain.Open(srcChain, regtest, opts)
	if err != nil {
		b.Fatal(err)
	}
	g := longchain.New(c)
	if err := g.Grow(base); err != nil {
		b.Fatal(err)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.CopyFS(s.victimTmpl, os.DirFS(srcChain)); err != nil {
		b.Fatalf("copy the store at %d: %v", base, err)
	}
	if c, err = chain.Open(srcChain, regtest, opts); err != nil {
		b.Fatal(err)
	}
	g.Attach(c)
	if err := g.Grow(s.tip); err != nil {
		b.Fatal(err)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	s.gen, s.genCPU = time.Since(start), selfCPU(b)-cpu0
	s.src = startNodeIn(b, name+"-src", srcDir)
	if h := s.src.status().Height; h != s.tip {
		b.Fatalf("serving node opened at height %d, want %d", h, s.tip)
	}
	return s
}

// sync starts a node on a fresh copy of the store at base, connects it to
// the serving node and times it until it reaches the serving node's tip.
// Copying the store and starting the node are outside the timing.
func (s *syncStores) sync(b *testing.B, round int) syncRun {
	b.Helper()
	b.StopTimer()
	name := fmt.Sprintf("%s-dst%d", s.name, round)
	dir := filepath.Join(b.TempDir(), name)
	if err := os.CopyFS(filepath.Join(dir, node.ChainDir), os.DirFS(s.victimTmpl)); err != nil {
		b.Fatalf("copy the store at %d: %v", s.base, err)
	}
	dst := startNodeIn(b, name, dir)
	defer dst.stop()
	if h := dst.status().Height; h != s.base {
		b.Fatalf("syncing node opened at height %d, want %d", h, s.base)
	}
	waitIdle(b, dst)
	waitIdle(b, s.src)
	b.StartTimer()
	cpu0 := procCPU(b, dst) + procCPU(b, s.src)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err := dst.client.AddPeer(ctx, s.src.addr())
	cancel()
	if err != nil {
		b.Fatalf("add peer: %v", err)
	}
	for {
		h := dst.status().Height
		if h >= s.tip {
			break
		}
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("sync from %d stalled at height %d of %d\n%s", s.base, h, s.tip, dst.logTail())
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := syncRun{n: 1, wall: time.Since(start)}
	r.cpu = procCPU(b, dst) + procCPU(b, s.src) - cpu0
	return r
}

// startNodeIn runs `node run` on regtest in dir, which may hold a chain store already.
func startNodeIn(b *testing.B, name, dir string) *proc {
	b.Helper()
	p := &proc{t: b, name: name, dir: dir}
	p.args = []string{"run", "--network", "regtest", "--datadir", dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0"}
	p.start()
	b.Cleanup(p.stop)
	return p
}

// procCPU returns the CPU time (user and system) a node process has used so
// far, from /proc/<pid>/stat, in clock ticks of 10 ms (Linux's USER_HZ).
func procCPU(b *testing.B, p *proc) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		b.Fatalf("%s CPU time: %v", p.name, err)
	}
	// Fields after the command name, which ends at the last ')': state is
	// field 3, utime and stime are fields 14 and 15.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 13 {
		b.Fatalf("%s CPU time: short /proc stat %q", p.name, data)
	}
	var ticks uint64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			b.Fatalf("%s CPU time: %v", p.name, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// selfCPU returns the CPU time (user and system) this process has used.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// waitIdle waits until a node process uses (almost) no CPU, so that work left
// from opening its store (leveldb compacting the tables that building the
// chain left) does not fall into a measurement. It gives up after a minute.
func waitIdle(b *testing.B, p *proc) {
	b.Helper()
	const interval, busy = 500 * time.Millisecond, 30 * time.Millisecond
	deadline := time.Now().Add(time.Minute)
	last := procCPU(b, p)
	for time.Now().Before(deadline) {
		time.Sleep(interval)
		now := procCPU(b, p)
		if now-last < busy {
			return
		}
		b.Logf("%s still busy: %v of CPU in %v", p.name, now-last, interval)
		last = now
	}
	b.Logf("%s did not go idle within a minute; measuring anyway", p.name)
}
