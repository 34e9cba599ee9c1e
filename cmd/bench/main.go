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

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/miner/hashcore"
)

func main() {
	if child, err := runChildFromEnv(); child {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		return
	}
	blocks := flag.Int("blocks", 40, "blocks of transactions to connect")
	perBlock := flag.Int("txs", 500, "transactions per block")
	rounds := flag.Int("rounds", 3, "connect measurements of each kind (their medians are reported)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the first one-core connect run to this file")
	connectOnly := flag.Bool("connect-only", false, "measure block connection only")
	scaleCache := flag.Int("scale-cache", 2<<20, "chain cache bytes of the steady-state speed-up runs (small enough for the blocks to fill it several times)")
	hashTime := flag.Duration("hash-time", 2*time.Second, "how long each hash-rate measurement runs")
	noPrepare := flag.Bool("no-prepare", false, "connect each block without preparing its successor (chain.Prepare) while it is processed, to measure what preparing gains")
	turn := flag.Duration("turn", 200*time.Millisecond, "how long each process of an interleaved measurement (steady speed-up, signatures alone) runs before the other takes its turn")
	flag.Parse()
	if err := checkFlags(*blocks, *perBlock, *rounds, *scaleCache, *hashTime, *turn); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	opts := connectOptions{blocks: *blocks, perBlock: *perBlock, rounds: *rounds, scaleCache: *scaleCache, profile: *profile, prepare: !*noPrepare, turn: *turn}
	if err := connectThroughput(opts); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	if *connectOnly {
		return
	}
	hashRates(*hashTime)
	merkleProofs()
}

// checkFlags refuses sizes the measurements cannot be taken with.
func checkFlags(blocks, perBlock, rounds, scaleCache int, hashTime, turn time.Duration) error {
	for _, f := range []struct {
		name  string
		value int
	}{{"-blocks", blocks}, {"-txs", perBlock}, {"-rounds", rounds}, {"-scale-cache", scaleCache}} {
		if f.value < 1 {
			return fmt.Errorf("%s must be at least 1, got %d", f.name, f.value)
		}
	}
	for _, f := range []struct {
		name  string
		value time.Duration
	}{{"-hash-time", hashTime}, {"-turn", turn}} {
		if f.value <= 0 {
			return fmt.Errorf("%s must be positive, got %s", f.name, f.value)
		}
	}
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

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
