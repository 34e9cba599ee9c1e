package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/tx"
)

// connectWork is a chain prefix that funds perBlock*blocks outputs and the
// blocks of signed transactions spending them, built once and connected by
// every measurement.
type connectWork struct {
	params  *chaincfg.Params
	prefix  []*block.Block
	blocks  []*block.Block
	txs     int
	sigJobs []sigCheck
}

// sigCheck is one input's signature check, for the verification bound.
type sigCheck struct {
	pub [32]byte
	msg [32]byte
	sig [64]byte
}

func buildConnectWork(nBlocks, perBlock int) *connectWork {
	p := chaincfg.Regtest
	miner := chaintest.NewKey(1)
	bl := chaintest.Builder{Params: p, Miner: miner}
	w := &connectWork{params: p, txs: nBlocks * perBlock}
	parent := p.Genesis()
	for h := uint64(1); h <= 101; h++ {
		b := bl.Next(parent.Header, h, 0)
		w.prefix = append(w.prefix, b)
		parent = b
	}
	// A fan-out transaction gives perBlock*nBlocks spendable outputs.
	outs := make([]tx.TxOut, w.txs)
	for i := range outs {
		outs[i] = tx.TxOut{Amount: (50*tx.UnitsPerCoin - 100_000) / int64(w.txs), PubKey: miner.Pub}
	}
	fan := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(w.prefix[0].Txs[0], 0, miner)}, outs)
	fanOut, _ := fan.OutputTotal()
	fanBlock := bl.Next(parent.Header, 102, 50*tx.UnitsPerCoin-fanOut, fan)
	w.prefix = append(w.prefix, fanBlock)
	parent = fanBlock
	for i := 0; i < nBlocks; i++ {
		var txs []*tx.Tx
		for j := 0; j < perBlock; j++ {
			s := chaintest.SpendOf(fan, uint32(i*perBlock+j), miner)
			prev := []tx.TxOut{s.Output}
			t := chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
			msg, err := tx.SigHash(p.Name, t, prev, 0)
			if err != nil {
				panic(err)
			}
			w.sigJobs = append(w.sigJobs, sigCheck{pub: s.Output.PubKey, msg: msg, sig: t.Inputs[0].Signature})
			txs = append(txs, t)
		}
		b := bl.Next(parent.Header, uint64(103+i), int64(perBlock)*1000, txs...)
		w.blocks = append(w.blocks, b)
		parent = b
	}
	return w
}

// run is one timed measurement: wall time, CPU time of the whole process,
// and wall time the chain spent in its parallel sections and flushing its
// cache to leveldb.
type run struct {
	wall, cpu, parallel, flush time.Duration
}

// cpuTime returns the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure times fn on procs cores.
func measure(procs int, fn func() error) (run, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	runtime.GC()
	wall, cpu, par, flush := time.Now(), cpuTime(), chain.ParallelTime(), chain.FlushTime()
	err := fn()
	return run{wall: time.Since(wall), cpu: cpuTime() - cpu, parallel: chain.ParallelTime() - par, flush: chain.FlushTime() - flush}, err
}

// connect opens a fresh chain with the given signature workers and cache
// bound, connects the prefix untimed, and measures connecting the work
// blocks on procs cores (including the flush of what the chain still holds
// in memory at the end).
func (w *connectWork) connect(workers, procs, cacheBytes int, profile string) (run, error) {
	dir, err := os.MkdirTemp("", "ledger-bench")
	if err != nil {
		return run{}, err
	}
	defer os.RemoveAll(dir)
	open := func() (*chain.Chain, error) {
		return chain.Open(dir, w.params, chain.Options{SigWorkers: workers, NoSync: true, CacheBytes: cacheBytes, Logger: quiet})
	}
	c, err := open()
	if err != nil {
		return run{}, err
	}
	now := w.params.GenesisTime + 1_000_000
	for _, b := range w.prefix {
		if _, err := c.ProcessBlock(b, now); err != nil {
			c.Close()
			return run{}, err
		}
	}
	// Start from a store that holds the prefix, as a long-running node's would.
	if err := c.Close(); err != nil {
		return run{}, err
	}
	if c, err = open(); err != nil {
		return run{}, err
	}
	defer c.Close()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return run{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return run{}, err
		}
		defer pprof.StopCPUProfile()
	}
	return measure(procs, func() error {
		for _, b := range w.blocks {
			if _, err := c.ProcessBlock(b, now); err != nil {
				return err
			}
		}
		return c.Close()
	})
}

// verifyBound times one Schnorr verification per input on one core: the
// rate no single-core connect can beat.
func (w *connectWork) verifyBound() run {
	r, _ := measure(1, func() error {
		for _, j := range w.sigJobs {
			if err := tx.VerifySignature(j.pub, j.msg[:], j.sig); err != nil {
				panic(err)
			}
		}
		return nil
	})
	return r
}

// connectThroughput builds blocks full of signed transactions and measures
// connecting them on one core with one signature worker and on every core
// with one worker per core, rounds times each, keeping the fastest run of
// each (the machine may be shared). One-core figures use CPU time, which
// other load on the machine disturbs least; the speed-up uses wall time.
// The serial fraction is the share of the one-core run spent outside the
// chain's parallel sections, and again as Amdahl's law derives it from the
// measured speed-up.
func connectThroughput(nBlocks, perBlock, rounds int, profile string) error {
	w := buildConnectWork(nBlocks, perBlock)
	cpus := runtime.NumCPU()
	var one, all, bound run
	better := func(a, b run) bool { return a.wall == 0 || b.wall < a.wall }
	for r := 0; r < rounds; r++ {
		if b := w.verifyBound(); bound.cpu == 0 || b.cpu < bound.cpu {
			bound = b
		}
		// One core, with a cache that holds every block: the flush at the end is timed on its own.
		m, err := w.connect(1, 1, 1<<40, profile)
		if err != nil {
			return err
		}
		profile = "" // profile the first one-core run only
		if better(one, m) {
			one = m
		}
		if m, err = w.connect(cpus, cpus, 0, ""); err != nil {
			return err
		}
		if better(all, m) {
			all = m
		}
	}
	rate := func(d time.Duration) float64 { return float64(w.txs) / d.Seconds() }
	share := bound.cpu.Seconds() / one.cpu.Seconds()
	flush := one.flush.Seconds() / one.wall.Seconds()
	serial := 1 - one.parallel.Seconds()/one.wall.Seconds() - flush
	// On n cores the critical path takes s + (1-s)/n of the one-core time, and
	// the background flush needs f of it on its own goroutine: the slower wins.
	project := func(n int) float64 { return 1 / max(serial+(1-serial)/float64(n), flush) }
	speedup := one.wall.Seconds() / all.wall.Seconds()
	fmt.Printf("block connect (%d blocks x %d signed txs, fsync off, best of %d):\n", nBlocks, perBlock, rounds)
	fmt.Printf("  signature-verification bound, 1 core: %8.0f tx/s  (one Schnorr verify per input, CPU time)\n", rate(bound.cpu))
	fmt.Printf("  1 core, 1 worker:                     %8.0f tx/s  (CPU time; %.2f of the bound: signatures %.1f%%, everything else %.1f%%)\n",
		rate(one.cpu), share, 100*share, 100*(1-share))
	fmt.Printf("  serial fraction:                      %8.1f%%  (1-core time outside the parallel sections and the store flush)\n", 100*serial)
	fmt.Printf("  store flush:                          %8.1f%%  (1-core time; in the background while later blocks are checked)\n", 100*flush)
	fmt.Printf("  projected speed-up:                   %8.2fx on 2 cores, %.1fx on 16\n", project(2), project(16))
	fmt.Printf("  1 core, 1 worker (wall):              %8.0f tx/s\n", rate(one.wall))
	fmt.Printf("  %d cores, %d workers (wall):           %8.0f tx/s  (%.2fx the 1-core wall rate)\n", cpus, cpus, rate(all.wall), speedup)
	if cpus > 1 {
		// Amdahl: speedup = 1 / (s + (1-s)/n), so s = (n/speedup - 1) / (n - 1).
		n := float64(cpus)
		s := max(0, (n/speedup-1)/(n-1))
		fmt.Printf("  serial fraction from that speed-up:   %8.1f%%  (projected 16-core speed-up %.1fx)\n", 100*s, amdahl(s, 16))
	}
	fmt.Println()
	return nil
}

// amdahl is the speed-up on n cores of work whose serial fraction is s.
func amdahl(s float64, n int) float64 { return 1 / (s + (1-s)/float64(n)) }
