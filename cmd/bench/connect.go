package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
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

// connect opens a fresh chain with the given signature workers and
// GOMAXPROCS, connects the prefix untimed, and returns how long connecting
// the work blocks took.
func (w *connectWork) connect(workers, procs int, profile string) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "ledger-bench")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	c, err := chain.Open(dir, w.params, chain.Options{SigWorkers: workers, NoSync: true, Logger: quiet})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	now := w.params.GenesisTime + 1_000_000
	for _, b := range w.prefix {
		if _, err := c.ProcessBlock(b, now); err != nil {
			return 0, err
		}
	}
	runtime.GC()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	for _, b := range w.blocks {
		if _, err := c.ProcessBlock(b, now); err != nil {
			return 0, err
		}
	}
	// Count a flush of whatever the chain still holds in memory.
	if err := c.Close(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// verifyBound times one Schnorr verification per input on one core: the
// rate no single-core connect can beat.
func (w *connectWork) verifyBound() time.Duration {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	start := time.Now()
	for _, j := range w.sigJobs {
		if err := tx.VerifySignature(j.pub, j.msg[:], j.sig); err != nil {
			panic(err)
		}
	}
	return time.Since(start)
}

// connectThroughput builds blocks full of signed transactions and times
// connecting them on one core with one signature worker and on every core
// with one worker per core, rounds times each, keeping the fastest run of
// each (the machine may be shared). It derives the serial fraction from the
// speed-up by Amdahl's law and compares the one-core rate with the
// signature-verification bound measured in the same run.
func connectThroughput(nBlocks, perBlock, rounds int, profile string) error {
	w := buildConnectWork(nBlocks, perBlock)
	cpus := runtime.NumCPU()
	var one, all, bound time.Duration
	best := func(d *time.Duration, v time.Duration) {
		if *d == 0 || v < *d {
			*d = v
		}
	}
	for r := 0; r < rounds; r++ {
		best(&bound, w.verifyBound())
		d, err := w.connect(1, 1, profile)
		if err != nil {
			return err
		}
		profile = "" // profile the first one-core run only
		best(&one, d)
		if d, err = w.connect(cpus, cpus, ""); err != nil {
			return err
		}
		best(&all, d)
	}
	rate := func(d time.Duration) float64 { return float64(w.txs) / d.Seconds() }
	speedup := one.Seconds() / all.Seconds()
	fmt.Printf("block connect (%d blocks x %d signed txs, fsync off, best of %d):\n", nBlocks, perBlock, rounds)
	fmt.Printf("  signature-verification bound, 1 core: %8.0f tx/s  (one Schnorr verify per input)\n", rate(bound))
	fmt.Printf("  1 core, 1 worker:                     %8.0f tx/s  (%.2f of the bound; signatures %.1f%%, everything else %.1f%% of its time)\n",
		rate(one), bound.Seconds()/one.Seconds(), 100*bound.Seconds()/one.Seconds(), 100*(1-bound.Seconds()/one.Seconds()))
	fmt.Printf("  %d cores, %d workers:                  %8.0f tx/s  (%.2fx)\n", cpus, cpus, rate(all), speedup)
	if cpus > 1 {
		// Amdahl: speedup = 1 / (s + (1-s)/n), so s = (n/speedup - 1) / (n - 1).
		n := float64(cpus)
		s := max(0, (n/speedup-1)/(n-1))
		fmt.Printf("  serial fraction:                      %8.1f%%  (projected 16-core speed-up %.1fx)\n", 100*s, 1/(s+(1-s)/16))
	}
	fmt.Println()
	return nil
}
