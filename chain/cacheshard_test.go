package chain

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/ledgerd/ledger/tx"
)

// modelCache is the write-back cache's semantics replayed one record at a
// time, as the cache did before its steps were split by shard.
type modelCache struct {
	active map[string]cacheEntry
	stored map[string]string // what leveldb holds
}

func (m *modelCache) put(k, v string) {
	old, held := m.active[k]
	e := cacheEntry{value: []byte(v), fresh: old.fresh}
	if !held {
		e.fresh = freshPrefix([]byte(k))
	}
	m.active[k] = e
}

func (m *modelCache) del(k string) {
	if old, held := m.active[k]; held && old.fresh {
		delete(m.active, k)
		return
	}
	m.active[k] = cacheEntry{deleted: true}
}

func (m *modelCache) flush() {
	for k, e := range m.active {
		if e.deleted {
			delete(m.stored, k)
		} else {
			m.stored[k] = string(e.value)
		}
	}
	m.active = map[string]cacheEntry{}
}

// TestCacheStepsDoNotDependOnWorkers applies random connect-like steps
// (puts and deletes of outputs, which may be fresh, and of other keys, many
// of them more than once in a step) on 1 to 16 workers, flushing now and
// then, and compares the pending writes and leveldb with the model after
// every step: entering the cache by shard and flushing by sorted shard must
// give what one record at a time gives.
func TestCacheStepsDoNotDependOnWorkers(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 16} {
		for _, large := range []int{4 << 20, 0} { // flushes through leveldb's log, and in a transaction
			t.Run(fmt.Sprintf("workers=%d/largeFlush=%d", workers, large), func(t *testing.T) {
				defer func(l int) { largeFlush = l }(largeFlush)
				largeFlush = large
				db, err := leveldb.OpenFile(t.TempDir(), nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				w := newWriteCache(db, 1<<30, workers, &opt.WriteOptions{})
				m := &modelCache{active: map[string]cacheEntry{}, stored: map[string]string{}}
				rng := rand.New(rand.NewPCG(1, uint64(workers)))
				prefixes := []byte{prefixUTXO, prefixAddrUTX, prefixTx, prefixAddrTx}
				pubs := []string{strings.Repeat("k", 32), strings.Repeat("l", 32), strings.Repeat("m", 32)}
				for step := 0; step < 40; step++ {
					b := new(leveldb.Batch)
					for range parallelApply + rng.IntN(400) {
						k := fmt.Sprintf("%c%05d", prefixes[rng.IntN(len(prefixes))], rng.IntN(1500))
						if k[0] == prefixAddrUTX || k[0] == prefixAddrTx {
							// Address index keys: one of a few keys, then an outpoint or a height and id.
							k = k[:1] + pubs[rng.IntN(len(pubs))] + k[1:]
						}
						if rng.IntN(3) == 0 {
							b.Delete([]byte(k))
							m.del(k)
						} else {
							v := fmt.Sprintf("%d.%d", step, rng.IntN(1000))
							b.Put([]byte(k), []byte(v))
							m.put(k, v)
						}
					}
					if err := w.apply(nil, false, b); err != nil {
						t.Fatal(err)
					}
					if err := samePending(w.active, m.active); err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
					for _, pub := range pubs {
						prefix := string(prefixAddrUTX) + pub
						var got, want []string
						for _, e := range w.pendingWithPrefix([]byte(prefix)) {
							got = append(got, e.key)
						}
						for k := range m.active {
							if strings.HasPrefix(k, prefix) {
								want = append(want, k)
							}
						}
						slices.Sort(want)
						if !slices.Equal(got, want) {
							t.Fatalf("step %d: %d pending writes for an address, want %d", step, len(got), len(want))
						}
					}
					if step%7 == 6 {
						if err := w.flush(); err != nil {
							t.Fatal(err)
						}
						m.flush()
						if err := sameStored(db, m.stored); err != nil {
							t.Fatalf("after the flush of step %d: %v", step, err)
						}
					}
				}
			})
		}
	}
}

func samePending(l *cacheLayer, want map[string]cacheEntry) error {
	if l.len() != len(want) {
		return fmt.Errorf("cache holds %d keys, want %d", l.len(), len(want))
	}
	size := 0
	addrs := map[string]bool{} // address and shard
	for k, e := range want {
		got, ok := l.entry([]byte(k))
		if !ok || got.deleted != e.deleted || got.fresh != e.fresh || !bytes.Equal(got.value, e.value) {
			return fmt.Errorf("key %q is %+v (held %v), want %+v", k, got, ok, e)
		}
		size += len(k) + cacheEntryOverhead + len(e.value)
		if addr, ok := addressOf(k); ok && !addrs[fmt.Sprint(addr, shardOf([]byte(k)))] {
			addrs[fmt.Sprint(addr, shardOf([]byte(k)))] = true
			size += len(addr) + cacheEntryOverhead // the address's map in the key's shard
		}
	}
	if l.size() != size {
		return fmt.Errorf("layer size %d, want %d", l.size(), size)
	}
	return nil
}

func sameStored(db *leveldb.DB, want map[string]string) error {
	got := map[string]string{}
	it := db.NewIterator(nil, nil)
	for it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	it.Release()
	if len(got) != len(want) {
		return fmt.Errorf("leveldb holds %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("leveldb has %q=%q, want %q", k, got[k], v)
		}
	}
	return it.Error()
}

func TestMergeRunsGivesKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, nRuns := range []int{0, 1, 2, 5, cacheShards} {
		runs := make([][]pendingEntry, nRuns)
		var want []string
		for i := range runs {
			for range rng.IntN(50) {
				k := fmt.Sprintf("%c%08x|%d", "uAta"[rng.IntN(4)], rng.Uint32(), i)
				runs[i] = append(runs[i], pendingEntry{key: k})
				want = append(want, k)
			}
			slices.SortFunc(runs[i], func(a, b pendingEntry) int { return strings.Compare(a.key, b.key) })
		}
		slices.Sort(want)
		var got []string
		if err := mergeRuns(runs, func(e *pendingEntry) error { got = append(got, e.key); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%d runs: merged %d keys out of order or lost (want %d)", nRuns, len(got), len(want))
		}
	}
}

// A block whose every output pays one address spreads that address's index
// keys over the shards like its other keys: no shard, and so no worker
// applying or flushing a step, is left with most of the block's writes.
func TestOneAddressKeysSpreadOverShards(t *testing.T) {
	var pub [32]byte
	pub[0] = 7
	batch := new(leveldb.Batch)
	const outputs = 2000
	for i := range outputs {
		op := tx.OutPoint{Index: uint32(i)}
		op.TxID[0], op.TxID[1] = byte(i), byte(i>>8)
		batch.Put(outpointKey(prefixUTXO, op), []byte{1})
		batch.Put(appendAddrUTXOKey(nil, pub, op), nil)
		batch.Put(appendAddrHistoryKey(nil, pub, 5, op.TxID), nil)
	}
	var g shardedRecords
	if err := g.group([]*leveldb.Batch{batch}); err != nil {
		t.Fatal(err)
	}
	if g.count() != 3*outputs {
		t.Fatalf("grouped %d records, want %d", g.count(), 3*outputs)
	}
	mean := 3 * outputs / cacheShards
	for s := range g {
		if len(g[s]) > 2*mean {
			t.Errorf("shard %d holds %d of %d records (mean %d)", s, len(g[s]), 3*outputs, mean)
		}
	}
	// The address's pending entries are all found, from every shard.
	l := newCacheLayer()
	for s := range g {
		applyShard(l, nil, s, g[s])
	}
	addr := string(appendAddrUTXOKey(nil, pub, tx.OutPoint{})[:addressKeyLen])
	if n := l.addressLen(addr); n != outputs {
		t.Errorf("address has %d pending unspent entries, want %d", n, outputs)
	}
	seen := 0
	l.eachWithPrefix(addr, func(string, cacheEntry) { seen++ })
	if seen != outputs {
		t.Errorf("eachWithPrefix visited %d entries, want %d", seen, outputs)
	}
}
