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
	addrs := map[string]bool{}
	for k, e := range want {
		got, ok := l.entry([]byte(k))
		if !ok || got.deleted != e.deleted || got.fresh != e.fresh || !bytes.Equal(got.value, e.value) {
			return fmt.Errorf("key %q is %+v (held %v), want %+v", k, got, ok, e)
		}
		size += len(k) + cacheEntryOverhead + len(e.value)
		if addr, ok := addressOf(k); ok && !addrs[addr] {
			addrs[addr] = true
			size += len(addr) + cacheEntryOverhead // the address's map
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

// TestReusedAddressMapStartsEmpty fills a layer with the writes of a hot
// address, empties it as a flush does, and enters more writes of the same
// address: the layer must then hold exactly what a new layer given those
// writes holds (the emptied map it reuses brings none of the old keys
// back), and the address's map must have been reused.
func TestReusedAddressMapStartsEmpty(t *testing.T) {
	apply := func(l *cacheLayer, b *leveldb.Batch) {
		var g shardedRecords
		if err := g.group([]*leveldb.Batch{b}); err != nil {
			t.Fatal(err)
		}
		for s := range cacheShards {
			applyShard(l, nil, s, g[s])
		}
	}
	kept := func(l *cacheLayer) int {
		n := 0
		for i := range l.shards {
			n += len(l.shards[i].roomy)
		}
		return n
	}
	hot := connectLikeBatch(1, roomyKeys, 1) // every output pays one address
	l := newCacheLayer()
	apply(l, hot)
	l.empty()
	// Two maps: the address's unspent outputs and its history.
	if kept(l) != 2 || l.len() != 0 || l.size() != 0 {
		t.Fatalf("emptied layer: %d address maps kept, %d keys, %d bytes; want 2, 0, 0", kept(l), l.len(), l.size())
	}
	next := connectLikeBatch(2, 3, 1)
	apply(l, next)
	if kept(l) != 0 {
		t.Fatalf("%d kept maps left: the address's new writes did not reuse them", kept(l))
	}
	fresh := newCacheLayer()
	apply(fresh, next)
	if l.len() != fresh.len() || l.size() != fresh.size() {
		t.Fatalf("reusing layer: %d keys, %d bytes; a new one: %d keys, %d bytes", l.len(), l.size(), fresh.len(), fresh.size())
	}
	for i := range l.shards {
		l.shards[i].each(func(k string, e cacheEntry) {
			if f, ok := fresh.shards[i].get(k); !ok || !bytes.Equal(f.value, e.value) || f.deleted != e.deleted {
				t.Fatalf("reusing layer holds %x, which a new layer given the same writes does not", k)
			}
		})
	}
	if err := hot.Replay(absentFrom{t: t, l: l}); err != nil {
		t.Fatal(err)
	}
}

// absentFrom fails its test for every key of a replayed batch that layer l holds.
type absentFrom struct {
	t *testing.T
	l *cacheLayer
}

func (a absentFrom) Put(k, _ []byte) { a.Delete(k) }

func (a absentFrom) Delete(k []byte) {
	if _, ok := a.l.entry(k); ok {
		a.t.Fatalf("key %x of the emptied layer came back", k)
	}
}
