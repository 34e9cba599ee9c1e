package chain

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/tx"
)

// spendingChain builds n blocks on the genesis in which, after coinbase
// maturity, each block spends the coinbase of an early block and the output
// of the previous block's spend, so the UTXO set, undo data and address
// indexes change with every block.
func spendingChain(p *chaincfg.Params, miner chaintest.Key, n int) []*block.Block {
	bl := chaintest.Builder{Params: p, Miner: miner}
	var out []*block.Block
	parent := p.Genesis()
	var carry *tx.Tx
	for h := uint64(1); h <= uint64(n); h++ {
		var txs []*tx.Tx
		var fees int64
		if h > p.CoinbaseMaturity+1 {
			cb := out[h-p.CoinbaseMaturity-1].Txs[0]
			spends := []chaintest.Spend{chaintest.SpendOf(cb, 0, miner)}
			if carry != nil {
				spends = append(spends, chaintest.SpendOf(carry, 0, miner))
			}
			var in int64
			for _, s := range spends {
				in += s.Output.Amount
			}
			carry = chaintest.SignedTx(p.Name, spends, []tx.TxOut{{Amount: in - 1000, PubKey: miner.Pub}})
			txs, fees = append(txs, carry), 1000
		}
		b := bl.Next(parent.Header, h, fees, txs...)
		out = append(out, b)
		parent = b
	}
	return out
}

func openCached(t *testing.T, dir string, cacheBytes int) *Chain {
	t.Helper()
	c, err := Open(dir, chaincfg.Regtest, Options{NoSync: true, SigWorkers: 2, CacheBytes: cacheBytes, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return c
}

// crash stops c as kill -9 would: whatever the write-back cache holds is lost.
func crash(c *Chain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store.cache.abandon()
	c.store.db.Close()
}

// storeContents returns every key and value in the chain's store, as the chain reads them.
func storeContents(t *testing.T, c *Chain) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := c.store.iterate(nil, func(k, v []byte) error {
		out[string(k)] = bytes.Clone(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameContents(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || !bytes.Equal(g, v) {
			t.Fatalf("%s: key %x is %x (present %v), want %x", what, k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Fatalf("%s: extra key %x", what, k)
		}
	}
}

func TestCrashWithUnflushedCacheReopensAtTheSameTipAsAFreshSync(t *testing.T) {
	p := chaincfg.Regtest
	blocks := spendingChain(p, chaintest.NewKey(1), 130)
	now := p.GenesisTime + 10_000
	fresh := openCached(t, t.TempDir(), 0)
	for _, b := range blocks {
		if _, err := fresh.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
	want := storeContents(t, fresh)
	if err := fresh.Close(); err != nil {
		t.Fatal(err)
	}
	// A flush after every block, every few blocks (in the background while
	// later blocks connect), and never; through leveldb's log and in a transaction.
	defer func(l int) { largeFlush = l }(largeFlush)
	for _, cacheBytes := range []int{1, 16 << 10, 1 << 30, -1} {
		largeFlush = 4 << 20
		if cacheBytes < 0 {
			cacheBytes, largeFlush = 16<<10, 0
		}
		dir := t.TempDir()
		c := openCached(t, dir, cacheBytes)
		for _, b := range blocks {
			if _, err := c.ProcessBlock(b, now); err != nil {
				t.Fatal(err)
			}
		}
		if c.store.cache.active.len() == 0 && cacheBytes == 1<<30 {
			t.Fatalf("cache of %d bytes holds nothing before the crash", cacheBytes)
		}
		if cacheBytes > 16<<10 {
			// An output created and spent while the cache held both writes never reaches leveldb.
			spent := outpointKey(prefixUTXO, chaintest.OutPointOf(blocks[len(blocks)-2].Txs[1], 0))
			if e, ok := c.store.cache.active.entry(spent); ok {
				t.Fatalf("cache keeps an entry (deleted %v) for an output created and spent since the last flush", e.deleted)
			}
		}
		sameContents(t, "before the crash", storeContents(t, c), want)
		crash(c)

		c = openCached(t, dir, cacheBytes)
		if tip := c.Tip(); tip.Hash != blocks[len(blocks)-1].Hash() {
			t.Fatalf("cache %d: reopened at height %d, want the last stored block at %d", cacheBytes, tip.Height, len(blocks))
		}
		sameContents(t, "after the crash", storeContents(t, c), want)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCacheIterateMergesPendingWritesInKeyOrder(t *testing.T) {
	c := openCached(t, t.TempDir(), 1<<30)
	defer c.Close()
	direct := map[string]string{"xa": "1", "xc": "3", "xe": "5", "y": "other prefix"}
	for k, v := range direct {
		if err := c.store.db.Put([]byte(k), []byte(v), nil); err != nil {
			t.Fatal(err)
		}
	}
	batch := newBatchOf(map[string]string{"xb": "2", "xc": "3'", "xf": "6"}, "xe")
	if err := c.store.writeCached(nil, false, batch); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := c.store.iterate([]byte("x"), func(k, v []byte) error {
		got = append(got, string(k)+"="+string(v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"xa=1", "xb=2", "xc=3'", "xf=6"}
	if len(got) != len(want) {
		t.Fatalf("iterate gave %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("iterate gave %v, want %v", got, want)
		}
	}
	if _, ok, _ := c.store.get([]byte("xe")); ok {
		t.Fatal("a key deleted in the cache is still read")
	}
	// A write-through of a key the cache holds wins over the cached value after a flush.
	if err := c.store.write(newBatchOf(map[string]string{"xb": "2'"})); err != nil {
		t.Fatal(err)
	}
	if err := c.store.cache.flush(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.store.db.Get([]byte("xb"), nil); err != nil || string(v) != "2'" {
		t.Fatalf("after flush xb is %q (%v), want the written-through value", v, err)
	}
}

func newBatchOf(puts map[string]string, deletes ...string) *leveldb.Batch {
	b := new(leveldb.Batch)
	for k, v := range puts {
		b.Put([]byte(k), []byte(v))
	}
	for _, k := range deletes {
		b.Delete([]byte(k))
	}
	return b
}
