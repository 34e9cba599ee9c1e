package chain

import (
	"fmt"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/tx"
)

// connectLikeBatch returns the writes a block of n one-input, one-output
// transactions makes to the UTXO set and the address indexes, paying keys
// distinct addresses in turn (1: every output pays one address).
func connectLikeBatch(block, n, keys int) *leveldb.Batch {
	b := new(leveldb.Batch)
	for i := range n {
		var pub [32]byte
		k := i % keys
		pub[0], pub[1] = byte(k), byte(k>>8)
		spent := tx.OutPoint{Index: uint32(i)}
		spent.TxID[0], spent.TxID[1], spent.TxID[2] = byte(i), byte(i>>8), byte(block)
		created := tx.OutPoint{}
		created.TxID[0], created.TxID[1], created.TxID[2], created.TxID[3] = byte(i), byte(i>>8), byte(block), 1
		b.Put(outpointKey(prefixUTXO, created), make([]byte, 50))
		b.Put(appendAddrUTXOKey(nil, pub, created), nil)
		b.Delete(outpointKey(prefixUTXO, spent))
		b.Delete(appendAddrUTXOKey(nil, pub, spent))
		b.Put(key(prefixTx, created.TxID[:]), make([]byte, 40))
		b.Put(appendAddrHistoryKey(nil, pub, uint64(block), created.TxID), nil)
	}
	return b
}

// BenchmarkCacheApply measures entering blocks' writes into a cache layer
// on one goroutine, ten blocks per layer (emptied and reused as after a
// flush), for blocks that pay one address and blocks that pay many.
func BenchmarkCacheApply(b *testing.B) {
	for _, keys := range []int{1, 500} {
		b.Run(fmt.Sprintf("addresses=%d", keys), func(b *testing.B) {
			const perLayer = 10
			batches := make([]*leveldb.Batch, perLayer)
			for i := range batches {
				batches[i] = connectLikeBatch(i, 500, keys)
			}
			w := newWriteCache(nil, 1<<40, 1, nil)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%perLayer == 0 {
					w.active.empty()
				}
				if err := w.apply(nil, false, batches[i%perLayer]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
