package chain

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/ledgerd/ledger/headerchain"
)

// DefaultCacheBytes bounds the chain's write-back cache when Options.CacheBytes is 0.
const DefaultCacheBytes = 32 << 20

// writeCache keeps the store's most recent connect and disconnect batches in
// memory (the UTXO set changes, undo data, indexes and the tip marker
// together) and writes them to leveldb in one atomic batch once they exceed
// a size bound, like Bitcoin Core's dbcache. Every batch it holds is whole,
// and a flush writes all of them at once, so leveldb always holds the state
// after some connected block: after a crash the chain reopens at the last
// flushed tip and reconnects the blocks after it, whose bodies were stored
// before they were connected.
//
// One flush at a time runs in the background (owned by the cache and waited
// for by the next flush and by close), so connecting block N+1 overlaps with
// writing the blocks before it. Memory is bounded by twice the limit: the
// layer being filled and the layer being written.
//
// Writes come from the chain's writer (under its lock); reads may come from
// any goroutine. A step's writes enter the cache, and a flush collects and
// sorts them, on up to workers goroutines, one per shard of keys at a time.
type writeCache struct {
	db      *leveldb.DB
	wo      *opt.WriteOptions
	limit   int
	workers int      // configured workers (0: one per CPU; see workerCount)
	mark    *tipMark // follows the flushed tip (see tipmark.go)

	mu       sync.RWMutex
	active   *cacheLayer      // receives writes
	flushing *cacheLayer      // being written to leveldb; nil when no flush is pending
	spare    *cacheLayer      // the last flushed layer, to be emptied for the next one
	err      error            // the first failed flush; sticky
	deferred []*leveldb.Batch // write-throughs held in active while a flush ran, in order

	grouped shardedRecords // apply's scratch: the step's records by shard

	wg sync.WaitGroup // the background flush
}

func newWriteCache(db *leveldb.DB, limit, workers int, wo *opt.WriteOptions) *writeCache {
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	return &writeCache{db: db, wo: wo, limit: limit, workers: workers, active: newCacheLayer()}
}

func (w *writeCache) inFlushing(k []byte) bool { return w.flushing.holds(shardOf(k), k) }

// lookup returns the newest pending write of k, if any.
func (w *writeCache) lookup(k []byte) (cacheEntry, bool) {
	s := shardOf(k)
	w.mu.RLock()
	defer w.mu.RUnlock()
	ks := unsafe.String(unsafe.SliceData(k), len(k))
	if e, ok := w.active.shards[s].get(ks); ok {
		return e, true
	}
	if w.flushing != nil {
		if e, ok := w.flushing.shards[s].get(ks); ok {
			return e, true
		}
	}
	return cacheEntry{}, false
}

// get reads k: from the pending writes, else from leveldb.
func (w *writeCache) get(k []byte) ([]byte, bool, error) {
	if e, ok := w.lookup(k); ok {
		return e.value, !e.deleted, nil
	}
	v, err := w.db.Get(k, nil)
	if err == leveldb.ErrNotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// parallelApply is the number of records from which a step enters the
// cache on several goroutines; below it, starting them costs more than it saves.
const parallelApply = 256

// apply adds the batches of a connect or disconnect, after which the tip is
// tip, to the cache, as one step, and starts a flush when the cache has
// reached its bound (see applyGrouped).
func (w *writeCache) apply(tip *headerchain.Node, disconnect bool, batches ...*leveldb.Batch) error {
	if err := w.grouped.group(batches); err != nil {
		return err
	}
	return w.applyGrouped(tip, disconnect, &w.grouped)
}

// applyGrouped adds a step's records, grouped by shard (each group in batch
// order), to the cache, and starts a flush when the cache has reached its
// bound. Each shard replays its records in order, so the result is that of
// replaying the step's batches one record at a time, on any number of
// workers. Grouping is left to the caller so that it can run beside other
// work: a connect groups its batch while its signatures are checked.
func (w *writeCache) applyGrouped(tip *headerchain.Node, disconnect bool, g *shardedRecords) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.mu.Lock()
	w.active.follow(tip, disconnect)
	active, flushing := w.active, w.flushing
	replay := func(s int) { applyShard(active, flushing, s, g[s]) }
	if g.count() < parallelApply {
		for s := range cacheShards {
			replay(s)
		}
	} else {
		timeParallel(func() { forEach(cacheShards, workerCount(w.workers), replay) })
	}
	full := w.active.size() >= w.limit
	w.mu.Unlock()
	if full {
		return w.startFlush()
	}
	return nil
}

// writeThrough writes batch to leveldb now, for data that should be stored
// before anything refers to it (block bodies, validity flags). It does not
// wait for fsync: leveldb's log is written in order, so the synced flush that
// stores a tip referring to a block makes the block's earlier write durable
// too, and a block lost with the operating system is fetched again. Keys that
// also have a pending write get the new value in the cache too, so a later
// flush does not bring an older value back.
//
// While a flush is under way leveldb takes no other write, so rather than
// wait, the batch joins the cache (deferred), and the flush writes it, in
// order, when it has stored its layer: a crash before then loses it together
// with everything that refers to it, and the chain reopens consistent.
func (w *writeCache) writeThrough(batch *leveldb.Batch) error {
	w.mu.Lock()
	if w.flushing != nil {
		defer w.mu.Unlock()
		w.deferred = append(w.deferred, batch)
		return batch.Replay(coherent{w: w, all: true})
	}
	deferred := w.deferred
	w.deferred = nil
	w.mu.Unlock()
	for _, b := range append(deferred, batch) {
		if err := w.db.Write(b, &opt.WriteOptions{Sync: false}); err != nil {
			return err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return batch.Replay(coherent{w: w})
}

// coherent replays a written-through batch into the active layer: every key
// when the batch is deferred (all), else the keys the cache holds.
type coherent struct {
	w   *writeCache
	all bool
}

func (c coherent) held(s int, k []byte) bool {
	return c.all || c.w.active.holds(s, k) || c.w.flushing.holds(s, k)
}

// Put and Delete store the written value, which leveldb may hold: not fresh.
func (c coherent) Put(k, v []byte) {
	if s := shardOf(k); c.held(s, k) {
		c.w.active.shards[s].set(k, cacheEntry{value: v})
	}
}

func (c coherent) Delete(k []byte) {
	if s := shardOf(k); c.held(s, k) {
		c.w.active.shards[s].set(k, cacheEntry{deleted: true})
	}
}

func (w *writeCache) failed() error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.err
}

// startFlush waits for the previous flush, then hands the active layer to a
// background flush and starts a new one.
func (w *writeCache) startFlush() error {
	w.wg.Wait()
	w.mu.Lock()
	if w.err != nil || w.active.len() == 0 {
		w.mu.Unlock()
		return w.err
	}
	layer, next := w.active, w.spare
	if next == nil {
		next = newCacheLayer()
	} else {
		// Emptied only now, under the chain's write lock: a reader that
		// took the layers before the flush ended (iterateUnordered) may
		// still look keys up in it.
		next.empty()
		next.tip, next.floor = nil, nil
	}
	w.flushing, w.active, w.spare = layer, next, nil
	w.deferred = nil // the layer holds them
	w.mu.Unlock()
	workers := workerCount(w.workers)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		start := time.Now()
		err := w.lowerMark(layer)
		if err == nil {
			err = w.store(layer, workers)
		}
		flushNanos.Add(int64(time.Since(start)))
		flushCount.Add(1)
		if err == nil {
			w.raiseMark(layer)
			err = w.writeDeferred()
		}
		w.mu.Lock()
		if err != nil {
			// Keep the layer: reads stay right, and every later write reports the failure.
			w.err = fmt.Errorf("flush chain cache: %w", err)
			w.mu.Unlock()
			return
		}
		w.flushing = nil
		w.spare = layer
		w.mu.Unlock()
	}()
	return nil
}

// writeDeferred writes the write-throughs deferred while the flush ran, in
// order, until none is left; new ones keep being deferred meanwhile.
func (w *writeCache) writeDeferred() error {
	for {
		w.mu.Lock()
		batches := w.deferred
		w.deferred = nil
		w.mu.Unlock()
		if len(batches) == 0 {
			return nil
		}
		for _, b := range batches {
			if err := w.db.Write(b, &opt.WriteOptions{Sync: false}); err != nil {
				return err
			}
		}
	}
}

// flush writes every pending write to leveldb and returns when it is stored.
func (w *writeCache) flush() error {
	if err := w.startFlush(); err != nil {
		return err
	}
	w.wg.Wait()
	return w.failed()
}

// iterate calls fn for every live key with the given prefix, in key order,
// merging the pending writes over leveldb.
func (w *writeCache) iterate(prefix []byte, fn func(k, v []byte) error) error {
	pending := w.pendingWithPrefix(prefix)
	it := w.db.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	more := it.Next()
	for more || len(pending) > 0 {
		if more && (len(pending) == 0 || bytes.Compare(it.Key(), []byte(pending[0].key)) < 0) {
			if err := fn(it.Key(), it.Value()); err != nil {
				return err
			}
			more = it.Next()
			continue
		}
		p := pending[0]
		pending = pending[1:]
		if more && bytes.Equal(it.Key(), []byte(p.key)) {
			more = it.Next() // the pending write replaces the stored value
		}
		if p.deleted {
			continue
		}
		if err := fn([]byte(p.key), p.value); err != nil {
			return err
		}
	}
	return it.Error()
}

// pendingWithPrefix returns the newest pending write of every key with the prefix, sorted by key.
func (w *writeCache) pendingWithPrefix(prefix []byte) []pendingEntry {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := w.collectPending(prefix)
	slices.SortFunc(out, func(a, b pendingEntry) int { return strings.Compare(a.key, b.key) })
	return out
}

// collectPending returns the newest pending write of every key with the
// prefix, in no order. The caller holds w.mu.
func (w *writeCache) collectPending(prefix []byte) []pendingEntry {
	var out []pendingEntry
	if addr, ok := addressOf(string(prefix)); ok {
		n := w.active.addressLen(addr)
		if w.flushing != nil {
			n += w.flushing.addressLen(addr)
		}
		out = make([]pendingEntry, 0, n)
	}
	w.active.eachWithPrefix(string(prefix), func(k string, e cacheEntry) {
		out = append(out, pendingEntry{key: k, cacheEntry: e})
	})
	if w.flushing != nil {
		w.flushing.eachWithPrefix(string(prefix), func(k string, e cacheEntry) {
			if !w.active.holds(shardOf(keyBytes(k)), keyBytes(k)) {
				out = append(out, pendingEntry{key: k, cacheEntry: e})
			}
		})
	}
	return out
}

// iterateUnordered is iterate in no particular order, for callers that
// only add up or re-sort what they read: the pending writes go first,
// unsorted, then the stored keys no pending write replaces. The layers and
// leveldb are read as of one moment, so a flush finishing meanwhile neither
// hides nor repeats a key.
func (w *writeCache) iterateUnordered(prefix []byte, fn func(k, v []byte) error) error {
	w.mu.RLock()
	pending := w.collectPending(prefix)
	layers := [2]*cacheLayer{w.active, w.flushing}
	it := w.db.NewIterator(util.BytesPrefix(prefix), nil)
	w.mu.RUnlock()
	defer it.Release()
	for _, p := range pending {
		if p.deleted {
			continue
		}
		if err := fn([]byte(p.key), p.value); err != nil {
			return err
		}
	}
	for it.Next() {
		if w.inLayers(layers, it.Key()) {
			continue
		}
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// inLayers reports whether one of layers holds a write of k.
func (w *writeCache) inLayers(layers [2]*cacheLayer, k []byte) bool {
	s := shardOf(k)
	w.mu.RLock()
	defer w.mu.RUnlock()
	return layers[0].holds(s, k) || layers[1].holds(s, k)
}

// abandon drops the pending writes without storing them, as a crash would
// (after waiting for a flush already under way). For tests.
func (w *writeCache) abandon() {
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active = newCacheLayer()
}

// useCache sets the write-back cache's bound, workers (0: one per CPU) and write options.
func (s *store) useCache(limit, workers int, wo *opt.WriteOptions) {
	s.cache = newWriteCache(s.db, limit, workers, wo)
	s.cache.mark = s.mark
}

// write stores batch in leveldb now (see writeCache.writeThrough).
func (s *store) write(batch *leveldb.Batch) error {
	if err := s.settle(); err != nil {
		return err
	}
	return s.classify(s.cache.writeThrough(batch))
}

// writeBeside starts write(batch) on a goroutine of its own and returns,
// so that storing a block's body overlaps with checking the block. Every
// later write, and settle, waits for it first: the store still takes the
// writes in the order they were made, and nothing that refers to the block
// reaches the store before its body.
func (s *store) writeBeside(batch *leveldb.Batch) error {
	if err := s.settle(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- s.cache.writeThrough(batch) }()
	s.pending = done
	return nil
}

// settle waits for the write writeBeside started, if any, and returns its error.
func (s *store) settle() error {
	if s.pending == nil {
		return nil
	}
	err := <-s.pending
	s.pending = nil
	return s.classify(err)
}

// writeCached adds the batches of a connect or disconnect, which moves the
// tip to tip, to the write-back cache.
func (s *store) writeCached(tip *headerchain.Node, disconnect bool, batches ...*leveldb.Batch) error {
	if err := s.settle(); err != nil {
		return err
	}
	return s.classify(s.cache.apply(tip, disconnect, batches...))
}

// writeGrouped is writeCached for a connect whose records the caller has
// grouped by shard already (shardedRecords.add).
func (s *store) writeGrouped(tip *headerchain.Node, g *shardedRecords) error {
	if err := s.settle(); err != nil {
		return err
	}
	return s.classify(s.cache.applyGrouped(tip, false, g))
}
