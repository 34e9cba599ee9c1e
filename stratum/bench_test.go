package stratum

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// BenchmarkCheckShare is the node's cost of validating one share of a job
// whose block holds 2,000 transactions (an 11-hash Merkle branch).
func BenchmarkCheckShare(b *testing.B) {
	txs := []*tx.Tx{{Version: 1, Coinbase: &tx.Coinbase{Height: 9}, Outputs: []tx.TxOut{{Amount: 1}}}}
	for i := 0; i < 2000; i++ {
		txs = append(txs, &tx.Tx{Version: 1, Inputs: []tx.TxIn{{Prev: tx.OutPoint{Index: uint32(i)}}}, Outputs: []tx.TxOut{{Amount: 5}}})
	}
	blk := &block.Block{Header: block.Header{Version: 1, Prev: chainhash.Hash{1}, Time: 1_800_000_000, Difficulty: 40 * pow.One}, Txs: txs}
	w := newWork(&miner.Template{Block: blk, Height: 9})
	j := w.job("1", Solo{}.Outputs([32]byte{7}, w.reward), true)
	en1 := []byte{0, 0, 0, 1}
	s := &Share{Worker: "w", JobID: "1", Time: j.Time}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Nonce = uint32(i)
		checkShare(j, w, en1, s, 8*pow.One)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shares/s")
}

// BenchmarkServerShares is shares per second through the whole server path
// on loopback: one miner pipelining submits, each decoded, validated and
// answered (most are below the share difficulty, which costs the same).
func BenchmarkServerShares(b *testing.B) {
	ts := startServer(b, 30*pow.One, func(c *Config) { c.Limits.ShareRate, c.Limits.ShareBurst = 1e9, 1e9 })
	c := dial(b, ts.addr, addrA)
	j, _ := nextJob(b, c, 0)
	done := make(chan int)
	go func() {
		n := 0
		for n < b.N {
			ev, err := c.Next()
			if err != nil {
				break
			}
			if ev.Result != nil {
				n++
			}
		}
		done <- n
	}()
	b.ResetTimer()
	s := &Share{Worker: addrA, JobID: j.ID, Time: j.Time}
	for i := 0; i < b.N; i++ {
		s.Nonce = uint32(i)
		if _, err := c.Submit(s); err != nil {
			b.Fatal(err)
		}
	}
	if n := <-done; n != b.N {
		b.Fatalf("%d results for %d shares", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shares/s")
}

// BenchmarkNewTipLatency is the time from the node announcing a new tip to
// the last of 100 connected workers reading its clean job.
func BenchmarkNewTipLatency(b *testing.B) {
	const workers = 100
	ts := startServer(b, 30*pow.One, func(c *Config) { c.Limits.MaxConns = 2 * workers })
	clients := make([]*Client, workers)
	for i := range clients {
		clients[i] = dial(b, ts.addr, addrA)
		nextJob(b, clients[i], 0)
	}
	var latencies []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tip := chainhash.Hash{byte(i), byte(i >> 8), 0xee}
		var wg sync.WaitGroup
		arrived := make([]time.Time, workers)
		start := time.Now()
		for k, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j, _ := nextJob(b, c, 0)
					if j.Clean && j.Prev == tip {
						arrived[k] = time.Now()
						return
					}
				}
			}()
		}
		ts.chain.advance(tip)
		wg.Wait()
		var last time.Time
		for _, at := range arrived {
			if at.After(last) {
				last = at
			}
		}
		latencies = append(latencies, last.Sub(start))
	}
	b.StopTimer()
	sort.Slice(latencies, func(i, k int) bool { return latencies[i] < latencies[k] })
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "ms-max")
}
