package e2e

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/node"
	"github.com/ledgerd/ledger/tx"
)

// BenchmarkSyncFullBlocks measures a node syncing full blocks of signed
// transactions from one local peer, and the same blocks connected in
// process (all cores, the node's store options), so the ratio shows what the
// network path costs on top of validation. LEDGER_BENCH_SYNC_BLOCKS and
// LEDGER_BENCH_SYNC_TXS set the size (default 200 blocks x 1,000 txs; the
// generation signs every transaction, about 170 us each per core);
// LEDGER_BENCH_SYNC_CPUPROFILE names a file for the syncing node's CPU profile
// (and, with ".inprocess" added, one for the in-process connect's).
func BenchmarkSyncFullBlocks(b *testing.B) {
	nBlocks, perBlock := envInt("LEDGER_BENCH_SYNC_BLOCKS", 200), envInt("LEDGER_BENCH_SYNC_TXS", 1000)
	blocks, txs := fullBlocks(nBlocks, perBlock)
	tip := uint64(len(blocks))

	// The source node's store, built in process: this is also the in-process connect measurement.
	src := &proc{t: b, name: "src", dir: filepath.Join(b.TempDir(), "src")}
	c, err := chain.Open(filepath.Join(src.dir, node.ChainDir), regtest, chain.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	now := regtest.GenesisTime + int64(tip) + 1_000_000
	start, startCPU := time.Now(), selfCPU(b)
	if path := os.Getenv("LEDGER_BENCH_SYNC_CPUPROFILE"); path != "" {
		// The in-process connect's profile, to set beside the node's.
		f, err := os.Create(path + ".inprocess")
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	// Each block's successor is prepared while it is connected, as the node's sync does.
	c.Prepare(blocks[0])
	for i, blk := range blocks {
		if i+1 < len(blocks) {
			c.Prepare(blocks[i+1])
		}
		if _, err := c.ProcessBlock(blk, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	pprof.StopCPUProfile()
	inProcess := float64(txs) / time.Since(start).Seconds()
	inProcessCPU := selfCPU(b) - startCPU

	src.args = []string{"run", "--network", "regtest", "--datadir", src.dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0"}
	src.start()
	b.Cleanup(src.stop)
	if h := src.status().Height; h != tip {
		b.Fatalf("source node opened at height %d, want %d", h, tip)
	}
	b.ResetTimer()
	// The full blocks follow 101 coinbase-only blocks and the first fan-out.
	lastLight := tip - uint64(nBlocks)
	var elapsed, toFull, syncCPU, srcCPU time.Duration
	for i := 0; i < b.N; i++ {
		start, srcStart := time.Now(), procCPU(b, src)
		args := []string{"--peer", src.addr()}
		if path := os.Getenv("LEDGER_BENCH_SYNC_CPUPROFILE"); path != "" {
			args = append(args, "--cpuprofile", path) // the last sync's profile is kept
		}
		dst := startNode(b, "dst"+strconv.Itoa(i), args...)
		var reachedFull time.Duration
		for h := dst.status().Height; h < tip; h = dst.status().Height {
			if reachedFull == 0 && h >= lastLight {
				reachedFull = time.Since(start)
			}
			if time.Since(start) > 30*time.Minute {
				b.Fatalf("sync stalled at height %d of %d", h, tip)
			}
			time.Sleep(20 * time.Millisecond)
		}
		toFull += reachedFull
		elapsed += time.Since(start)
		srcCPU += procCPU(b, src) - srcStart
		dst.stop()
		syncCPU += dst.cmd.ProcessState.UserTime() + dst.cmd.ProcessState.SystemTime()
	}
	rate := float64(txs) / (elapsed.Seconds() / float64(b.N))
	b.ReportMetric(rate, "tx/s")
	b.ReportMetric(inProcess, "in-process-tx/s")
	b.ReportMetric(rate/inProcess, "ratio")
	// Seconds from starting the node until it held every block before the
	// full ones: its start, the headers and 102 small blocks.
	b.ReportMetric(toFull.Seconds()/float64(b.N), "start-s")
	// CPU seconds: of connecting in process, and of the syncing node (from
	// its start to its stop) and the serving node during a sync. Both nodes
	// share the machine's cores, so the server's CPU is taken from the sync.
	b.ReportMetric(inProcessCPU.Seconds(), "in-process-cpu-s")
	b.ReportMetric(syncCPU.Seconds()/float64(b.N), "sync-cpu-s")
	b.ReportMetric(srcCPU.Seconds()/float64(b.N), "server-cpu-s")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// fullBlocks builds a regtest chain: 101 blocks to mature a coinbase, then
// nBlocks blocks each carrying perBlock one-input transactions that spend
// the outputs of a fan-out transaction in the block before, and the next
// fan-out (which spends a matured coinbase). It returns the blocks and how
// many transactions they hold in all.
func fullBlocks(nBlocks, perBlock int) ([]*block.Block, int) {
	miner := chaintest.NewKey(1)
	bl := chaintest.Builder{Params: regtest, Miner: miner}
	var blocks []*block.Block
	parent := regtest.Genesis()
	add := func(fees int64, txs ...*tx.Tx) {
		b := bl.Next(parent.Header, uint64(len(blocks)+1), fees, txs...)
		blocks = append(blocks, b)
		parent = b
	}
	for len(blocks) < 101 {
		add(0)
	}
	fanOut := func(coinbase *tx.Tx) *tx.Tx {
		outs := make([]tx.TxOut, perBlock)
		for i := range outs {
			outs[i] = tx.TxOut{Amount: (coinbase.Outputs[0].Amount - 10_000) / int64(perBlock), PubKey: miner.Pub}
		}
		return chaintest.SignedTx(regtest.Name, []chaintest.Spend{chaintest.SpendOf(coinbase, 0, miner)}, outs)
	}
	fan := fanOut(blocks[0].Txs[0])
	add(fanFee(fan, blocks[0].Txs[0]), fan)
	for i := 0; i < nBlocks; i++ {
		txs := make([]*tx.Tx, perBlock+1)
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < runtime.NumCPU(); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					s := chaintest.SpendOf(fan, uint32(j), miner)
					txs[j] = chaintest.SignedTx(regtest.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
				}
			}()
		}
		for j := 0; j < perBlock; j++ {
			next <- j
		}
		close(next)
		wg.Wait()
		coinbase := blocks[i+1].Txs[0]
		txs[perBlock] = fanOut(coinbase)
		add(int64(perBlock)*1000+fanFee(txs[perBlock], coinbase), txs...)
		fan = txs[perBlock]
	}
	count := 0
	for _, b := range blocks {
		count += len(b.Txs)
	}
	return blocks, count
}

// fanFee is the fee a fan-out transaction spending coinbase pays.
func fanFee(fan, coinbase *tx.Tx) int64 {
	out, _ := fan.OutputTotal()
	return coinbase.Outputs[0].Amount - out
}
