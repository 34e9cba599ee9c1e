package mempool

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// syntheticEntry returns a pool entry spending an output nobody else
// spends, with a fee rate that varies with i. It is never validated: the
// benchmarks below measure the pool's bookkeeping, not script checks.
func syntheticEntry(i int) *Entry {
	var prev chainhash.Hash
	binary.LittleEndian.PutUint64(prev[:], uint64(i)+1)
	t := &tx.Tx{Version: 1, Inputs: []tx.TxIn{{Prev: tx.OutPoint{TxID: prev}}}, Outputs: []tx.TxOut{{Amount: 1000}}}
	size := t.Size()
	return &Entry{Tx: t, ID: t.ID(), Fee: int64(size) * int64(1+i%97), Size: size, parents: map[chainhash.Hash]bool{}}
}

func benchPool(b *testing.B, cfg Config) *Pool {
	c, err := chain.Open(b.TempDir(), chaincfg.Regtest, chain.Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return New(chaincfg.Regtest, c, cfg)
}

func (p *Pool) addEntry(e *Entry) {
	e.Seq = p.seq
	p.seq++
	p.add(e)
}

// BenchmarkRemoveMined measures what a connected block costs the pool per
// transaction it mines, at several pool sizes: the figure must not grow
// with the size of the pool.
func BenchmarkRemoveMined(b *testing.B) {
	const batch = 100
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("pool=%d", n), func(b *testing.B) {
			p := benchPool(b, Config{MaxBytes: 1 << 40})
			for i := 0; i < n; i++ {
				p.addEntry(syntheticEntry(i))
			}
			mined := make([]*Entry, batch)
			blk := &block.Block{Txs: make([]*tx.Tx, batch+1)}
			blk.Txs[0] = &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: 1}}
			next := 0
			for b.Loop() {
				b.StopTimer()
				for j := range mined {
					mined[j] = p.entries[syntheticEntry((next+j)%n).ID]
					blk.Txs[j+1] = mined[j].Tx
				}
				b.StartTimer()
				p.ApplyChanges([]chain.Change{{Block: blk, Height: 1, Connected: true}})
				b.StopTimer()
				if p.Count() != n-batch {
					b.Fatalf("pool holds %d after mining %d of %d", p.Count(), batch, n)
				}
				for _, e := range mined {
					e.parents = map[chainhash.Hash]bool{}
					p.addEntry(e)
				}
				next = (next + batch) % n
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/tx")
		})
	}
}

// BenchmarkEvict measures admitting a transaction into a full pool, which
// evicts the lowest fee rate, at several pool sizes.
func BenchmarkEvict(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("pool=%d", n), func(b *testing.B) {
			size := syntheticEntry(0).Size
			p := benchPool(b, Config{MaxBytes: n * size})
			for i := 0; i < n; i++ {
				p.addEntry(syntheticEntry(i))
			}
			i := n
			for b.Loop() {
				e := syntheticEntry(i)
				e.Fee = int64(size) * 200 // above every rate in the pool
				i++
				p.addEntry(e)
				p.evict()
			}
			if p.Count() != n {
				b.Fatalf("pool holds %d, want %d", p.Count(), n)
			}
		})
	}
}
