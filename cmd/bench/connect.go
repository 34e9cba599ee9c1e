package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
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
	prepare bool // prepare each block's successor while it is processed
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
	// Hash each fan-out transaction once, not once per output spent.
	fanIDs := make([]chainhash.Hash, len(fans))
	for i, fan := range fans {
		fanIDs[i] = fan.ID()
	}
	for i := 0; i < nBlocks; i++ {
		var txs []*tx.Tx
		for j := 0; j < perBlock; j++ {
			k := i*perBlock + j
			fan, index := k/perFan, uint32(k%perFan)
			s := chaintest.Spend{OutPoint: tx.OutPoint{TxID: fanIDs[fan], Index: index}, Output: fans[fan].Outputs[index], Key: miner}
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
	wall, cpu, parallel, flush, flushWrite time.Duration
	flushes                                int64
}

// cpuTime returns the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure times fn on procs cores: GOMAXPROCS is procs, and every thread
// of the process is kept on procs CPUs.
func measure(procs int, fn func() error) (r run, err error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	if procs < runtime.NumCPU() {
		restore, pinErr := pinThreads(procs)
		if pinErr != nil {
			return run{}, pinErr
		}
		defer func() { err = errors.Join(err, restore()) }()
	}
	runtime.GC()
	wall, cpu, par, flush, write, flushes := time.Now(), cpuTime(), chain.ParallelTime(), chain.FlushTime(), chain.FlushWriteTime(), chain.Flushes()
	err = fn()
	return run{wall: time.Since(wall), cpu: cpuTime() - cpu, parallel: chain.ParallelTime() - par,
		flush: chain.FlushTime() - flush, flushWrite: chain.FlushWriteTime() - write, flushes: chain.Flushes() - flushes}, err
}

// connectRun is one connect measurement.
type connectRun struct {
	workers, procs, cacheBytes int
	dir                        string          // the store's directory; a fresh temporary one when empty
	profile                    string          // write a CPU profile of the measured part here, when set
	start                      func() error    // called as the measured part begins, when set
	between                    func(block int) // called after each block, its time left out, when set
}

// connect opens a fresh chain with r's signature workers and cache bound,
// connects the prefix untimed, and measures connecting the work blocks on
// r.procs cores (including the flush of what the chain still holds in
// memory at the end). The time of r.between is left out of the run's
// figures and returned on its own.
func (w *connectWork) connect(r connectRun) (measured, paused run, err error) {
	dir := r.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ledger-bench"); err != nil {
			return run{}, run{}, err
		}
		defer os.RemoveAll(dir)
	}
	open := func() (*chain.Chain, error) {
		return chain.Open(dir, w.params, chain.Options{SigWorkers: r.workers, NoSync: true, CacheBytes: r.cacheBytes, Logger: quiet})
	}
	c, err := open()
	if err != nil {
		return run{}, run{}, err
	}
	now := w.params.GenesisTime + 1_000_000
	for _, b := range w.prefix {
		if _, err := c.ProcessBlock(b, now); err != nil {
			c.Close()
			return run{}, run{}, err
		}
	}
	// Start from a store that holds the prefix, as a long-running node's would.
	if err := c.Close(); err != nil {
		return run{}, run{}, err
	}
	if c, err = open(); err != nil {
		return run{}, run{}, err
	}
	defer c.Close()
	if r.profile != "" {
		f, err := os.Create(r.profile)
		if err != nil {
			return run{}, run{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return run{}, run{}, err
		}
		defer pprof.StopCPUProfile()
	}
	measured, err = measure(r.procs, func() error {
		if r.start != nil {
			if err := r.start(); err != nil {
				return err
			}
		}
		// As the sync does, each block's successor is prepared while the
		// block is processed (with one worker, Prepare does nothing).
		if w.prepare {
			c.Prepare(w.blocks[0])
		}
		for i, b := range w.blocks {
			if w.prepare && i+1 < len(w.blocks) {
				c.Prepare(w.blocks[i+1])
			}
			if _, err := c.ProcessBlock(b, now); err != nil {
				return err
			}
			if r.between != nil {
				wall, cpu := time.Now(), cpuTime()
				// Labelled, so that a profile of the run can leave it out
				// (go tool pprof -tagignore bench=bound).
				pprof.Do(context.Background(), pprof.Labels("bench", "bound"), func(context.Context) { r.between(i) })
				paused.wall += time.Since(wall)
				paused.cpu += cpuTime() - cpu
			}
		}
		return c.Close()
	})
	measured.wall -= paused.wall
	measured.cpu -= paused.cpu
	return measured, paused, err
}

// verifyBound checks the signatures of block i, one Schnorr verification
// per input on the caller's goroutine: the work no single-core connect can
// do without.
func (w *connectWork) verifyBound(i int) {
	per := len(w.sigJobs) / len(w.blocks)
	checkSigs(w.sigJobs[i*per : (i+1)*per])
}

// checkSigs makes one Schnorr verification per job. The jobs are the
// bench's own valid signatures: one that fails is a bug of the bench.
func checkSigs(jobs []sigCheck) {
	for _, j := range jobs {
		if err := tx.VerifySignature(j.pub, j.msg[:], j.sig); err != nil {
			panic(err)
		}
	}
}

// connectOptions are the settings of connectThroughput.
type connectOptions struct {
	blocks, perBlock, rounds int
	scaleCache               int    // cache bytes of the steady-state runs
	profile                  string // CPU profile of the first one-core run
	prepare                  bool   // prepare each block's successor while it is processed
	// turn is how long a child of an interleaved measurement runs before
	// it is frozen and the other runs: long against the few microseconds
	// a switch takes, short against the seconds over which other load on
	// a shared machine moves its speed.
	turn time.Duration
}

// scalingRunning is about how long each child of an interleaved scaling
// measurement (signatures alone, the machine's SHA-256 loop) runs, in turns.
const scalingRunning = 3 * time.Second

// connectThroughput builds blocks full of signed transactions and measures
// connecting them, rounds times each way:
//
//   - on one core with one signature worker and the node's default cache,
//     which the blocks fill about once, so that the store flushes in the
//     background as it does through a long sync, and the cache's maps are
//     reused after the first flush. Its CPU time, which other load on the
//     machine disturbs least, against one Schnorr verification per input on
//     the same core, each block's checked again right after the block is
//     connected (and left out of the run's time), gives the rate against the
//     signature-verification bound.
//   - on one core with one signature worker and a cache that holds every
//     block, so that the store flush at the end is timed on its own: its
//     split between the chain's parallel sections, the flush and the rest
//     gives the serial fraction. Its rate against the bound, measured the
//     same way, is printed too: a cache that never flushes grows its maps
//     the whole run and ends with one large flush, which costs more per
//     block.
//   - the speed-up with one flush at the end: every core and one worker per
//     core, with the default cache, against the wall time of the one-core
//     run with a cache that holds every block.
//   - the speed-up in the steady state of a long sync: one worker on one
//     core against one worker per core on every core, both with a cache of
//     o.scaleCache bytes, which the blocks fill several times, so that the
//     store flushes in the background while later blocks are checked, as it
//     does through a long sync. The two run interleaved (see interleave),
//     as two processes that take turns, until the faster has connected
//     every block; each one's rate is over the blocks it connected in its
//     own running time.
//   - how signature checks alone scale, the ceiling of the steady speed-up
//     (its work is ~90% signature checks): one goroutine on one core
//     against one per core on every core, each going round its share of
//     the blocks' checks, interleaved the same way for scalingRunning each.
//     The machine's SHA-256 loop is a poorer guide to it: the field
//     arithmetic of a verification scales differently on a host whose cores
//     share execution units.
//
// Runs with more than one worker prepare each block's successor while the
// block is processed (chain.Prepare), as the node's sync does; -no-prepare
// turns that off, to measure what it gains.
//
// The machine may be shared: each round also measures the machine's own
// scaling, a SHA-256 loop on one goroutine and on one per core,
// interleaved the same way. Every round's figures are printed, then their medians,
// and the medians of the rounds in which the machine itself scaled within
// 5% of its core count, when there are any.
func connectThroughput(o connectOptions) error {
	w := buildConnectWork(o.blocks, o.perBlock)
	w.prepare = o.prepare
	cpus := runtime.NumCPU()
	ahead := "each block's successor prepared while it is processed"
	if !o.prepare {
		ahead = "no block prepared ahead"
	}
	fmt.Printf("block connect (%d blocks x %d signed txs, fsync off, %d rounds; speed-ups on %d cores, steady state with a %d KiB cache; %s; steady state and signatures alone interleaved in turns of %s):\n",
		o.blocks, o.perBlock, o.rounds, cpus, o.scaleCache>>10, ahead, o.turn)
	saved, err := os.CreateTemp("", "ledger-bench-work")
	if err != nil {
		return err
	}
	saved.Close()
	defer os.Remove(saved.Name())
	if err := w.save(saved.Name()); err != nil {
		return err
	}
	work := childSpec{Work: saved.Name(), NoPrepare: !o.prepare}
	var all, quiet []roundFigures
	profile := o.profile
	for r := 0; r < o.rounds; r++ {
		machine, err := interleavedScaling(work, "sha", cpus, o.turn)
		if err != nil {
			return fmt.Errorf("the machine's scaling: %w", err)
		}
		var one, bound, whole, wholeBound, end run
		runs := []struct {
			into     *run
			paused   *run
			settings connectRun
		}{
			// The one-core runs check each block's signatures again after
			// connecting it, timed apart: the bound, measured in the same
			// moments as the connect, so that the machine's speed, which
			// other load on it moves, cancels out of their ratio.
			{&one, &bound, connectRun{workers: 1, procs: 1, profile: profile, between: w.verifyBound}}, // profile the first one-core run only
			{&whole, &wholeBound, connectRun{workers: 1, procs: 1, cacheBytes: 1 << 40, between: w.verifyBound}},
			{&end, nil, connectRun{workers: cpus, procs: cpus}},
		}
		profile = ""
		for _, c := range runs {
			m, paused, err := w.connect(c.settings)
			if err != nil {
				return err
			}
			*c.into = m
			if c.paused != nil {
				*c.paused = paused
			}
		}
		sigUp, err := interleavedScaling(work, "sigs", cpus, o.turn)
		if err != nil {
			return fmt.Errorf("signatures alone: %w", err)
		}
		steady, steadyAll, err := interleavedSteady(work, cpus, o.scaleCache, o.turn)
		if err != nil {
			return fmt.Errorf("steady state: %w", err)
		}
		f := roundFigures{
			machine:    machine,
			sigUp:      sigUp,
			boundRate:  float64(w.txs) / bound.cpu.Seconds(),
			oneRate:    float64(w.txs) / one.cpu.Seconds(),
			ofBound:    bound.cpu.Seconds() / one.cpu.Seconds(),
			wholeOf:    wholeBound.cpu.Seconds() / whole.cpu.Seconds(),
			flush:      whole.flush.Seconds() / whole.wall.Seconds(),
			flushWrite: whole.flushWrite.Seconds() / whole.wall.Seconds(),
			endUp:      whole.wall.Seconds() / end.wall.Seconds(),
			steadyUp:   steadyAll.rate() / steady.rate(),
			idle:       1 - steadyAll.cpu.Seconds()/(float64(cpus)*steadyAll.running.Seconds()),
			cpuCost:    (steadyAll.cpu.Seconds() / float64(steadyAll.units)) / (steady.cpu.Seconds() / float64(steady.units)),
			flushes:    steadyAll.flushes,
		}
		f.serial = 1 - whole.parallel.Seconds()/whole.wall.Seconds() - f.flush
		fmt.Printf("  round %d: %s\n", r+1, f)
		all = append(all, f)
		if f.machine >= 0.95*float64(cpus) {
			quiet = append(quiet, f)
		}
	}
	fmt.Printf("  median of all rounds: %s\n", medianFigures(all))
	if len(quiet) > 0 {
		fmt.Printf("  median of the %d rounds in which the machine scaled %.2fx or more: %s\n", len(quiet), 0.95*float64(cpus), medianFigures(quiet))
	}
	m := medianFigures(all)
	// On n cores the critical path takes s + (1-s)/n of the one-core time, and
	// the background flushes need w of it in leveldb's one writer (their
	// sorting is spread over the workers): the slower wins.
	project := func(n int) float64 { return 1 / max(m.serial+(1-m.serial)/float64(n), m.flushWrite) }
	fmt.Printf("  projected from the medians' serial fraction and flush write: %.2fx on 2 cores, %.1fx on 16\n", project(2), project(16))
	fmt.Println()
	return nil
}

// interleavedScaling returns how many times faster a child of kind ("sigs"
// or "sha") works on cpus cores than on one, the two interleaved in turns
// of turn for about scalingRunning each.
func interleavedScaling(work childSpec, kind string, cpus int, turn time.Duration) (float64, error) {
	one := work
	one.Kind, one.Procs = kind, 1
	all := one
	all.Procs = cpus
	r1, rAll, err := interleave(one, all, turn, max(1, int(scalingRunning/turn)))
	if err != nil {
		return 0, err
	}
	return rAll.rate() / r1.rate(), nil
}

// interleavedSteady measures the steady state of a long sync (see
// connectThroughput): work's blocks connected with one worker on one core
// and with one worker per core on cpus cores, each with a cache of cache
// bytes, interleaved in turns of turn until the faster has connected every
// block.
func interleavedSteady(work childSpec, cpus, cache int, turn time.Duration) (one, all childResult, err error) {
	specs := [2]childSpec{work, work}
	for i, procs := range []int{1, cpus} {
		dir, err := os.MkdirTemp("", "ledger-bench")
		if err != nil {
			return childResult{}, childResult{}, err
		}
		defer os.RemoveAll(dir)
		specs[i].Kind, specs[i].Procs, specs[i].Cache, specs[i].Dir = "connect", procs, cache, dir
	}
	return interleave(specs[0], specs[1], turn, 0)
}

// roundFigures are one round's connect figures.
type roundFigures struct {
	machine            float64 // the machine's own scaling in the round
	boundRate, oneRate float64 // tx/s of CPU time: signature checks alone, and connecting, on one core
	ofBound            float64 // oneRate / boundRate
	wholeOf            float64 // the same, with a cache that holds every block
	serial, flush      float64 // shares of the wall time of the one-core run with a cache that holds every block
	flushWrite         float64 // the part of flush in leveldb's one writer
	endUp, steadyUp    float64 // speed-ups: one flush at the end, and in the steady state
	// The steady speed-up is cores x (1 - idle) / cpuCost: idle is the share
	// of the all-core run's core time no goroutine used (serial steps, waits
	// at the end of parallel sections), cpuCost its CPU time per block over
	// the one-core run's (work added by running in parallel, and cores
	// slowed by each other).
	idle, cpuCost float64
	// sigUp is how many times faster the machine checks signatures alone
	// on every core than on one, measured in the same round.
	sigUp   float64
	flushes int64 // store flushes of the steady-state run on every core, while it was measured
}

func (f roundFigures) String() string {
	return fmt.Sprintf("machine %.2fx | bound %.0f tx/s, 1 core %.0f tx/s = %.3f of it (%.3f with a cache that holds every block) | serial %.1f%%, flush %.1f%% (%.1f%% in one writer) | speed-up %.2fx with one flush at the end, %.2fx steady (%d flushes; idle %.1f%%, CPU %.3fx) | signatures alone %.2fx",
		f.machine, f.boundRate, f.oneRate, f.ofBound, f.wholeOf, 100*f.serial, 100*f.flush, 100*f.flushWrite, f.endUp, f.steadyUp, f.flushes, 100*f.idle, f.cpuCost, f.sigUp)
}

// medianFigures returns the median of each figure over rounds, taken on its own.
func medianFigures(rounds []roundFigures) roundFigures {
	median := func(get func(roundFigures) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = get(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return roundFigures{
		machine:    median(func(r roundFigures) float64 { return r.machine }),
		boundRate:  median(func(r roundFigures) float64 { return r.boundRate }),
		oneRate:    median(func(r roundFigures) float64 { return r.oneRate }),
		ofBound:    median(func(r roundFigures) float64 { return r.ofBound }),
		wholeOf:    median(func(r roundFigures) float64 { return r.wholeOf }),
		serial:     median(func(r roundFigures) float64 { return r.serial }),
		flush:      median(func(r roundFigures) float64 { return r.flush }),
		flushWrite: median(func(r roundFigures) float64 { return r.flushWrite }),
		endUp:      median(func(r roundFigures) float64 { return r.endUp }),
		steadyUp:   median(func(r roundFigures) float64 { return r.steadyUp }),
		sigUp:      median(func(r roundFigures) float64 { return r.sigUp }),
		idle:       median(func(r roundFigures) float64 { return r.idle }),
		cpuCost:    median(func(r roundFigures) float64 { return r.cpuCost }),
		flushes:    int64(median(func(r roundFigures) float64 { return float64(r.flushes) })),
	}
}
