// Command bench measures the node's hot paths and prints figures: block
// connection throughput with signature checks on one core and on all, the
// miner's hash rate per core against the naive double-SHA-256 loop and its
// scaling across cores, and Merkle proof sizes and verification times.
// Ratios compare figures measured in the same run.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/miner/hashcore"
	"github.com/ledgerd/ledger/tx"
)

func main() {
	blocks := flag.Int("blocks", 20, "blocks of transactions to connect")
	perBlock := flag.Int("txs", 200, "transactions per block")
	hashTime := flag.Duration("hash-time", 2*time.Second, "how long each hash-rate measurement runs")
	flag.Parse()
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if err := connectThroughput(*blocks, *perBlock); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	hashRates(*hashTime)
	merkleProofs()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// connectThroughput builds blocks full of signed transactions and times
// connecting them with one signature worker and with one per CPU.
func connectThroughput(nBlocks, perBlock int) error {
	p := chaincfg.Regtest
	miner := chaintest.NewKey(1)
	bl := chaintest.Builder{Params: p, Miner: miner}
	// A fan-out transaction gives perBlock*nBlocks spendable outputs.
	var prefix []*block.Block
	parent := p.Genesis()
	for h := uint64(1); h <= 101; h++ {
		b := bl.Next(parent.Header, h, 0)
		prefix = append(prefix, b)
		parent = b
	}
	total := nBlocks * perBlock
	outs := make([]tx.TxOut, total)
	for i := range outs {
		outs[i] = tx.TxOut{Amount: (50*tx.UnitsPerCoin - 100_000) / int64(total), PubKey: miner.Pub}
	}
	fan := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(prefix[0].Txs[0], 0, miner)}, outs)
	fanOut, _ := fan.OutputTotal()
	fanBlock := bl.Next(parent.Header, 102, 50*tx.UnitsPerCoin-fanOut, fan)
	prefix = append(prefix, fanBlock)
	parent = fanBlock
	var work []*block.Block
	for i := 0; i < nBlocks; i++ {
		var txs []*tx.Tx
		for j := 0; j < perBlock; j++ {
			k := i*perBlock + j
			s := chaintest.SpendOf(fan, uint32(k), miner)
			txs = append(txs, chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}}))
		}
		b := bl.Next(parent.Header, uint64(103+i), int64(perBlock)*1000, txs...)
		work = append(work, b)
		parent = b
	}
	rate := func(workers int) (float64, error) {
		dir, err := os.MkdirTemp("", "ledger-bench")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		c, err := chain.Open(dir, p, chain.Options{SigWorkers: workers, NoSync: true, Logger: quiet})
		if err != nil {
			return 0, err
		}
		defer c.Close()
		now := p.GenesisTime + 1_000_000
		for _, b := range prefix {
			if _, err := c.ProcessBlock(b, now); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		for _, b := range work {
			if _, err := c.ProcessBlock(b, now); err != nil {
				return 0, err
			}
		}
		return float64(total) / time.Since(start).Seconds(), nil
	}
	one, err := rate(1)
	if err != nil {
		return err
	}
	all, err := rate(runtime.NumCPU())
	if err != nil {
		return err
	}
	fmt.Printf("block connect (%d blocks x %d signed txs, fsync off):\n", nBlocks, perBlock)
	fmt.Printf("  1 signature worker:   %8.0f tx/s\n", one)
	fmt.Printf("  %d signature workers:  %8.0f tx/s  (%.2fx)\n\n", runtime.NumCPU(), all, all/one)
	return nil
}

// hashRates measures the naive loop and the miner's search on one core, then
// the search on 1..NumCPU goroutines.
func hashRates(d time.Duration) {
	var header [hashcore.HeaderSize]byte
	copy(header[:], "ledger benchmark header")
	var impossible [32]byte
	measure := func(threads int, search func(start uint32, count uint64) uint64) float64 {
		var total atomic.Uint64
		var stop atomic.Bool
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < threads; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				n := uint32(w) << 28
				for !stop.Load() {
					total.Add(search(n, 1<<16))
					n += 1 << 16
				}
			}(w)
		}
		time.Sleep(d)
		stop.Store(true)
		wg.Wait()
		return float64(total.Load()) / time.Since(start).Seconds()
	}
	naiveLoop := func(start uint32, count uint64) uint64 {
		h := header
		for i := uint64(0); i < count; i++ {
			n := start + uint32(i)
			h[80], h[81], h[82], h[83] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
			first := chainhashSum(h[:])
			second := chainhashSum(first[:])
			if second[0] == 0xff && second[1] == 0xff && second[2] == 0xff && second[3] == 0xff && second[4] == 0xff {
				return i
			}
		}
		return count
	}
	naive := measure(1, naiveLoop)
	tmpl := hashcore.NewTemplate(header)
	search := func(start uint32, count uint64) uint64 {
		_, _, _, tried := tmpl.Search(impossible, start, count, nil)
		return tried
	}
	one := measure(1, search)
	fmt.Printf("hashing (%s):\n", hashcore.Implementation())
	fmt.Printf("  naive sha256(sha256(header)), 1 core: %6.2f MH/s\n", naive/1e6)
	fmt.Printf("  miner search, 1 core:                 %6.2f MH/s  (%.2fx naive)\n", one/1e6, one/naive)
	for threads := 2; threads <= runtime.NumCPU(); threads++ {
		r := measure(threads, search)
		fmt.Printf("  miner search, %d cores:                %6.2f MH/s  (%.2fx one core)\n", threads, r/1e6, r/one)
		// The naive loop's scaling shows what the machine itself allows.
		rn := measure(threads, naiveLoop)
		fmt.Printf("  naive loop, %d cores:                  %6.2f MH/s  (%.2fx one core)\n", threads, rn/1e6, rn/naive)
	}
	fmt.Println()
}

func chainhashSum(b []byte) [32]byte { return sha256.Sum256(b) }

// merkleProofs prints proof sizes and verification times for blocks of 1, 1k and 10k transactions.
func merkleProofs() {
	fmt.Println("merkle proofs (leaf in the middle of the block):")
	for _, n := range []int{1, 1000, 10000} {
		leaves := make([]chainhash.Hash, n)
		for i := range leaves {
			leaves[i] = chainhash.Hash{byte(i), byte(i >> 8), byte(i >> 16)}
		}
		root := merkle.Root(leaves)
		p, _ := merkle.BuildProof(leaves, n/2)
		enc, _ := p.MarshalBinary()
		const rounds = 20000
		start := time.Now()
		for i := 0; i < rounds; i++ {
			if p.Verify(root, leaves[n/2]) != nil {
				panic("proof does not verify")
			}
		}
		fmt.Printf("  %5d txs: proof %4d bytes, verify %6.2f us\n", n, len(enc), float64(time.Since(start).Microseconds())/rounds)
	}
}
