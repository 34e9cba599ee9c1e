package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
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
	// Fan-out transactions, one per block after the prefix, each spending an
	// early coinbase, give perBlock*nBlocks spendable outputs.
	const perFan = 20_000 // outputs of one fan-out transaction: about 800 kB
	var fans []*tx.Tx
	for first := 0; first < w.txs; first += perFan {
		n := min(perFan, w.txs-first)
		outs := make([]tx.TxOut, n)
		for i := range outs {
			outs[i] = tx.TxOut{Amount: (50*tx.UnitsPerCoin - 100_000) / perFan, PubKey: miner.Pub}
		}
		fan := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(w.prefix[len(fans)].Txs[0], 0, miner)}, outs)
		fanOut, _ := fan.OutputTotal()
		b := bl.Next(parent.Header, uint64(102+len(fans)), 50*tx.UnitsPerCoin-fanOut, fan)
		w.prefix = append(w.prefix, b)
		parent = b
		fans = append(fans, fan)
	}
	height := uint64(102 + len(fans))
	for i := 0; i < nBlocks; i++ {
		var txs []*tx.Tx
		for j := 0; j < perBlock; j++ {
			k := i*perBlock + j
			s := chaintest.SpendOf(fans[k/perFan], uint32(k%perFan), miner)
			prev := []tx.TxOut{s.Output}
			t := chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
			msg, err := tx.SigHash(p.Name, t, prev, 0)
			if err != nil {
				panic(err)
			}
			w.sigJobs = append(w.sigJobs, sigCheck{pub: s.Output.PubKey, msg: msg, sig: t.Inputs[0].Signature})
			txs = append(txs, t)
		}
		b := bl.Next(parent.Header, height+uint64(i), int64(perBlock)*1000, txs...)
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
	flushes                    int64
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
	wall, cpu, par, flush, flushes := time.Now(), cpuTime(), chain.ParallelTime(), chain.FlushTime(), chain.Flushes()
	err := fn()
	return run{wall: time.Since(wall), cpu: cpuTime() - cpu, parallel: chain.ParallelTime() - par,
		flush: chain.FlushTime() - flush, flushes: chain.Flushes() - flushes}, err
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
// connecting them, rounds times each way:
//
//   - on one core with one signature worker and a cache that holds every
//     block, so that the store flush at the end is timed on its own. Its
//     CPU time (the least of the rounds), which other load on the machine
//     disturbs least, gives the
//     rate against the signature-verification bound; its split between the
//     chain's parallel sections, the flush and the rest gives the serial
//     fraction.
//   - the speed-up with one flush at the end: every core and one worker per
//     core, with the default cache (which holds every block too), against
//     the wall time of the one-core run.
//   - the speed-up in the steady state of a long sync: one worker on one
//     core and one worker per core on every core, both with a cache of
//     scaleCache bytes, which the blocks fill several times, so that the
//     store flushes in the background while later blocks are checked, as it
//     does through a long sync; the last flush still ends each run.
//
// The machine may be shared, and a speed-up needs the cores to be free: each
// round measures the machine's own scaling (a SHA-256 loop on one goroutine
// and on one per core) before and after its runs, and the speed-ups printed
// are those of the round in which the machine scaled best, with that figure.
func connectThroughput(nBlocks, perBlock, rounds, scaleCache int, profile string) error {
	w := buildConnectWork(nBlocks, perBlock)
	cpus := runtime.NumCPU()
	var one, bound run
	type pairs struct {
		machine                      float64 // the machine's scaling around the round, the lower of two
		one, all, scaleOne, scaleAll run
	}
	var best pairs
	for r := 0; r < rounds; r++ {
		if b := w.verifyBound(); bound.cpu == 0 || b.cpu < bound.cpu {
			bound = b
		}
		round := pairs{machine: machineScaling(cpus)}
		runs := []struct {
			into                     *run
			workers, procs, cacheCap int
			profile                  string
		}{
			{&round.one, 1, 1, 1 << 40, profile}, // profile the first one-core run only
			{&round.all, cpus, cpus, 0, ""},
			{&round.scaleOne, 1, 1, scaleCache, ""},
			{&round.scaleAll, cpus, cpus, scaleCache, ""},
		}
		profile = ""
		for _, c := range runs {
			m, err := w.connect(c.workers, c.procs, c.cacheCap, c.profile)
			if err != nil {
				return err
			}
			*c.into = m
		}
		round.machine = min(round.machine, machineScaling(cpus))
		if one.wall == 0 || round.one.cpu < one.cpu {
			one = round.one
		}
		if best.machine == 0 || round.machine > best.machine {
			best = round
		}
	}
	rate := func(d time.Duration) float64 { return float64(w.txs) / d.Seconds() }
	share := bound.cpu.Seconds() / one.cpu.Seconds()
	flush := one.flush.Seconds() / one.wall.Seconds()
	serial := 1 - one.parallel.Seconds()/one.wall.Seconds() - flush
	// On n cores the critical path takes s + (1-s)/n of the one-core time, and
	// the background flush needs f of it on its own goroutine: the slower wins.
	project := func(n int) float64 { return 1 / max(serial+(1-serial)/float64(n), flush) }
	fmt.Printf("block connect (%d blocks x %d signed txs, fsync off, %d rounds):\n", nBlocks, perBlock, rounds)
	fmt.Printf("  signature-verification bound, 1 core: %8.0f tx/s  (one Schnorr verify per input, CPU time)\n", rate(bound.cpu))
	fmt.Printf("  1 core, 1 worker:                     %8.0f tx/s  (CPU time; %.2f of the bound: signatures %.1f%%, everything else %.1f%%)\n",
		rate(one.cpu), share, 100*share, 100*(1-share))
	fmt.Printf("  serial fraction:                      %8.1f%%  (1-core time outside the parallel sections and the store flush)\n", 100*serial)
	fmt.Printf("  store flush:                          %8.1f%%  (1-core time; in the background while later blocks are checked)\n", 100*flush)
	fmt.Printf("  projected speed-up:                   %8.2fx on 2 cores, %.1fx on 16\n", project(2), project(16))
	fmt.Printf("  speed-ups of the round in which the machine scaled best: %.2fx on %d cores (SHA-256 loop)\n", best.machine, cpus)
	speedup := func(title string, one, all run) {
		s := one.wall.Seconds() / all.wall.Seconds()
		fmt.Printf("  %s\n", title)
		fmt.Printf("    1 core, 1 worker (wall):            %8.0f tx/s  (store flushes: %d)\n", rate(one.wall), one.flushes)
		fmt.Printf("    %d cores, %d workers (wall):         %8.0f tx/s  (%.2fx the 1-core wall rate; store flushes: %d)\n", cpus, cpus, rate(all.wall), s, all.flushes)
		if cpus > 1 {
			// Amdahl: speedup = 1 / (s + (1-s)/n), so s = (n/speedup - 1) / (n - 1).
			n := float64(cpus)
			f := min(1, max(0, (n/s-1)/(n-1)))
			fmt.Printf("    serial fraction from that speed-up: %8.1f%%  (projected 16-core speed-up %.1fx)\n", 100*f, amdahl(f, 16))
		}
	}
	speedup("with one store flush, at the end (the default cache holds every block):", best.one, best.all)
	speedup(fmt.Sprintf("in the steady state (a %d KiB cache: the store flushes in the background):", scaleCache>>10), best.scaleOne, best.scaleAll)
	fmt.Println()
	return nil
}

// machineScaling returns how many times more SHA-256 compressions procs
// goroutines do than one in the same time (about 0.1 s each): what the
// machine, and whatever else runs on it, lets a process gain from its cores.
func machineScaling(procs int) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	const n = 100_000
	loop := func() {
		var h [32]byte
		for i := 0; i < n; i++ {
			h = sha256.Sum256(h[:])
		}
	}
	start := time.Now()
	loop()
	one := time.Since(start)
	start = time.Now()
	var wg sync.WaitGroup
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop()
		}()
	}
	wg.Wait()
	return float64(procs) * one.Seconds() / time.Since(start).Seconds()
}

// amdahl is the speed-up on n cores of work whose serial fraction is s.
func amdahl(s float64, n int) float64 { return 1 / (s + (1-s)/float64(n)) }
