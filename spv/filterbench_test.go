package spv

import (
	"context"
	"sync"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/tx"
)

const (
	benchBlocks     = 10_000
	benchOutputs    = 10  // unrelated outputs per block
	benchPayEvery   = 100 // one block in this many pays the wallet
	benchWalletGap  = 10  // 10 receive + 10 change keys before the first payment
	benchWalletKeys = 2 * benchWalletGap
)

var (
	filterChainOnce sync.Once
	filterChain     []*block.Block
)

// filterBenchChain returns 10,000 blocks whose coinbases pay 10 unrelated
// keys each, and every 100th also the wallet's first receive key.
func filterBenchChain(b *testing.B) []*block.Block {
	filterChainOnce.Do(func() {
		_, keys := walletKeys(b)
		mine, _ := keys.Derive(false, 0)
		parent := params.Genesis()
		for h := uint64(1); h <= benchBlocks; h++ {
			cb := &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: h}}
			amount := params.Subsidy(h) / (benchOutputs + 1)
			for i := 0; i < benchOutputs; i++ {
				cb.Outputs = append(cb.Outputs, tx.TxOut{Amount: amount, PubKey: chaintest.NewKey(h*benchOutputs + uint64(i)).Pub})
			}
			if h%benchPayEvery == 0 {
				cb.Outputs = append(cb.Outputs, tx.TxOut{Amount: amount, PubKey: mine})
			}
			blk := chaintest.NewBlock(parent.Header, parent.Header.Time+1, params.GenesisDifficulty, []*tx.Tx{cb})
			filterChain = append(filterChain, blk)
			parent = blk
		}
	})
	return filterChain
}

// BenchmarkFilterWalletSync measures a fresh light wallet's sync of 10,000
// blocks with unrelated traffic from one local peer: headers, filter
// headers, filters, and the blocks that match. It reports the filters'
// size, the bytes downloaded per 1,000 blocks, and the false-positive rate.
func BenchmarkFilterWalletSync(b *testing.B) {
	n := newFullNode(b)
	n.submit(b, filterBenchChain(b)...)
	_, keys := walletKeys(b)
	keys.Gap = benchWalletGap
	b.ResetTimer()
	var res *WalletSync
	for i := 0; i < b.N; i++ {
		c, err := Open(b.TempDir(), params, quiet)
		if err != nil {
			b.Fatal(err)
		}
		c.now = func() int64 { return now }
		if res, err = c.SyncWallet(context.Background(), []string{n.addr()}, keys, nil); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.StopTimer()
	st := res.Stats
	payments := uint64(benchBlocks / benchPayEvery)
	if st.Blocks != benchBlocks+1 || st.MatchedBlocks < payments || len(res.History) != int(payments) {
		b.Fatalf("sync found %d txs in %d matched blocks of %d: %+v", len(res.History), st.MatchedBlocks, st.Blocks, st)
	}
	total := st.HeaderBytes + st.FilterHeaderBytes + st.FilterBytes + st.BlockBytes
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/10k-blocks")
	b.ReportMetric(float64(st.FilterBytes)/float64(st.Blocks), "filter-bytes/block")
	b.ReportMetric(float64(total)/float64(st.Blocks)*1000, "bytes/1k-blocks")
	b.ReportMetric(float64(st.BlockBytes)/float64(st.Blocks)*1000, "block-bytes/1k-blocks")
	b.ReportMetric(float64(st.MatchedBlocks-payments)/float64(st.Blocks-payments), "false-positive-rate")
}
