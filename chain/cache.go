package chain

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/ledgerd/ledger/headerchain"
)

// DefaultCacheBytes bounds the chain's write-back cache when Options.CacheBytes is 0.
const DefaultCacheBytes = 32 << 20

// cacheEntryOverhead approximates the memory of one cached entry beyond its key and value.
const cacheEntryOverhead = 64

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
// any goroutine.
type writeCache struct {
	db    *leveldb.DB
	wo    *opt.WriteOptions
	limit int
	mark  *tipMark // follows the flushed tip (see tipmark.go)

	mu       sync.RWMutex
	active   *cacheLayer      // receives writes
	flushing *cacheLayer      // being written to leveldb; nil when no flush is pending
	err      error            // the first failed flush; sticky
	deferred []*leveldb.Batch // write-throughs held in active while a flush ran, in order

	wg sync.WaitGroup // the background flush
}

// cacheLayer is a set of pending writes: a value or a deletion per key.
type cacheLayer struct {
	entries map[string]cacheEntry
	// byAddress holds the address-index entries (see addressOf) again,
	// by address, so that reading one address's pending entries neither
	// scans the whole layer nor looks each up in it. Their values are empty.
	byAddress map[string]map[string]cacheEntry
	size      int
	// tip is the chain's tip after the layer's last step; floor the lowest
	// tip a disconnect in the layer left (nil without disconnects), an
	// ancestor of the tips before and after the layer (see tipmark.go).
	tip, floor *headerchain.Node
}

type cacheEntry struct {
	value   []byte
	deleted bool
	fresh   bool // leveldb holds no value for the key (see freshPrefix)
}

func newCacheLayer() *cacheLayer {
	return &cacheLayer{entries: map[string]cacheEntry{}, byAddress: map[string]map[string]cacheEntry{}}
}

// addressKeyLen is the length of an address index key's prefix byte and
// public key: what UnspentByKey and HistoryByKey iterate by.
const addressKeyLen = 1 + 32

// addressOf returns the prefix byte and public key of an address index key
// ('A' or 'a'), or false for other keys.
func addressOf(k string) (string, bool) {
	if len(k) >= addressKeyLen && (k[0] == prefixAddrUTX || k[0] == prefixAddrTx) {
		return k[:addressKeyLen], true
	}
	return "", false
}

func newWriteCache(db *leveldb.DB, limit int, wo *opt.WriteOptions) *writeCache {
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	return &writeCache{db: db, wo: wo, limit: limit, active: newCacheLayer()}
}

func (l *cacheLayer) set(k []byte, e cacheEntry) {
	ks := string(k)
	old, had := l.entries[ks]
	if had {
		l.size -= len(old.value)
	} else {
		l.size += len(k) + cacheEntryOverhead
	}
	if addr, ok := addressOf(ks); ok {
		keys := l.byAddress[addr]
		if keys == nil {
			keys = map[string]cacheEntry{}
			l.byAddress[addr] = keys
		}
		if !had {
			l.size += cacheEntryOverhead
		}
		keys[ks] = e
	}
	l.size += len(e.value)
	l.entries[ks] = e
}

func (l *cacheLayer) remove(k []byte) {
	ks := string(k)
	if old, ok := l.entries[ks]; ok {
		l.size -= len(k) + cacheEntryOverhead + len(old.value)
		delete(l.entries, ks)
		if addr, ok := addressOf(ks); ok {
			l.size -= cacheEntryOverhead
			delete(l.byAddress[addr], ks)
			if len(l.byAddress[addr]) == 0 {
				delete(l.byAddress, addr)
			}
		}
	}
}

// eachWithPrefix calls fn for the layer's entries whose key starts with
// prefix: through byAddress when prefix is one address's, by a scan otherwise.
func (l *cacheLayer) eachWithPrefix(prefix string, fn func(k string, e cacheEntry)) {
	if addr, ok := addressOf(prefix); ok {
		for k, e := range l.byAddress[addr] {
			if strings.HasPrefix(k, prefix) {
				fn(k, e)
			}
		}
		return
	}
	for k, e := range l.entries {
		if strings.HasPrefix(k, prefix) {
			fn(k, e)
		}
	}
}

// freshPrefix reports whether a key of this kind is only ever written when
// the chain holds no value for it: unspent outputs and their address index
// entries are created once and restored by a disconnect only after being
// spent. Such a key written while the cache holds nothing for it is not in
// leveldb either, so if it is deleted before a flush, neither write needs to
// reach leveldb (Bitcoin Core's FRESH entries).
func freshPrefix(k []byte) bool {
	return len(k) > 0 && (k[0] == prefixUTXO || k[0] == prefixAddrUTX)
}

// applier replays a connect or disconnect batch into the active layer.
type applier struct{ w *writeCache }

func (a applier) Put(k, v []byte) {
	e := cacheEntry{value: v}
	if old, ok := a.w.active.entries[string(k)]; ok {
		e.fresh = old.fresh
	} else {
		e.fresh = freshPrefix(k) && !a.w.inFlushing(k)
	}
	a.w.active.set(k, e)
}

func (a applier) Delete(k []byte) {
	if old, ok := a.w.active.entries[string(k)]; ok && old.fresh {
		a.w.active.remove(k)
		return
	}
	a.w.active.set(k, cacheEntry{deleted: true})
}

func (w *writeCache) inFlushing(k []byte) bool {
	if w.flushing == nil {
		return false
	}
	_, ok := w.flushing.entries[string(k)]
	return ok
}

// lookup returns the newest pending write of k, if any.
func (w *writeCache) lookup(k []byte) (cacheEntry, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if e, ok := w.active.entries[string(k)]; ok {
		return e, true
	}
	if w.flushing != nil {
		if e, ok := w.flushing.entries[string(k)]; ok {
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

// apply adds the batches of a connect or disconnect, after which the tip is
// tip, to the cache, as one step, and starts a flush when the cache has
// reached its bound.
func (w *writeCache) apply(tip *headerchain.Node, disconnect bool, batches ...*leveldb.Batch) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.mu.Lock()
	w.active.follow(tip, disconnect)
	var err error
	for _, b := range batches {
		if err == nil {
			err = b.Replay(applier{w})
		}
	}
	full := w.active.size >= w.limit
	w.mu.Unlock()
	if err != nil {
		return err
	}
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

func (c coherent) held(k []byte) bool {
	_, ok := c.w.active.entries[string(k)]
	return c.all || ok || c.w.inFlushing(k)
}

// Put and Delete store the written value, which leveldb may hold: not fresh.
func (c coherent) Put(k, v []byte) {
	if c.held(k) {
		c.w.active.set(k, cacheEntry{value: v})
	}
}

func (c coherent) Delete(k []byte) {
	if c.held(k) {
		c.w.active.set(k, cacheEntry{deleted: true})
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
	if w.err != nil || len(w.active.entries) == 0 {
		w.mu.Unlock()
		return w.err
	}
	layer := w.active
	w.flushing, w.active = layer, newCacheLayer()
	w.deferred = nil // the layer holds them
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		start := time.Now()
		err := w.lowerMark(layer)
		if err == nil {
			err = w.store(layer)
		}
		flushNanos.Add(int64(time.Since(start)))
		if err == nil {
			w.raiseMark(layer)
			err = w.writeDeferred()
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			// Keep the layer: reads stay right, and every later write reports the failure.
			w.err = fmt.Errorf("flush chain cache: %w", err)
			return
		}
		w.flushing = nil
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

// largeFlush is the layer size above which a flush goes straight into
// leveldb tables in one transaction (what leveldb does itself with a batch
// larger than its write buffer) instead of through its log. A variable for tests.
var largeFlush = 4 << 20

// store writes the layer to leveldb atomically.
func (w *writeCache) store(l *cacheLayer) error {
	if l.size <= largeFlush {
		return w.db.Write(l.batch(), w.wo)
	}
	tr, err := w.db.OpenTransaction()
	if err != nil {
		return err
	}
	var kb []byte
	for k, e := range l.entries {
		kb = append(kb[:0], k...)
		if e.deleted {
			err = tr.Delete(kb, nil)
		} else {
			err = tr.Put(kb, e.value, nil)
		}
		if err != nil {
			tr.Discard()
			return err
		}
	}
	if err := tr.Commit(); err != nil {
		tr.Discard()
		return err
	}
	return nil
}

// batch returns the layer's writes as one leveldb batch.
func (l *cacheLayer) batch() *leveldb.Batch {
	// Sized up front: leveldb grows a large batch by ever smaller steps.
	b := leveldb.MakeBatch(l.size)
	for k, e := range l.entries {
		if e.deleted {
			b.Delete([]byte(k))
		} else {
			b.Put([]byte(k), e.value)
		}
	}
	return b
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

type pendingEntry struct {
	key string
	cacheEntry
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
		n := len(w.active.byAddress[addr])
		if w.flushing != nil {
			n += len(w.flushing.byAddress[addr])
		}
		out = make([]pendingEntry, 0, n)
	}
	w.active.eachWithPrefix(string(prefix), func(k string, e cacheEntry) {
		out = append(out, pendingEntry{key: k, cacheEntry: e})
	})
	if w.flushing != nil {
		w.flushing.eachWithPrefix(string(prefix), func(k string, e cacheEntry) {
			if _, newer := w.active.entries[k]; !newer {
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
	w.mu.RLock()
	defer w.mu.RUnlock()
	for _, l := range layers {
		if l == nil {
			continue
		}
		if _, ok := l.entries[string(k)]; ok {
			return true
		}
	}
	return false
}

// abandon drops the pending writes without storing them, as a crash would
// (after waiting for a flush already under way). For tests.
func (w *writeCache) abandon() {
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active = newCacheLayer()
}

// useCache sets the write-back cache's bound and write options.
func (s *store) useCache(limit int, wo *opt.WriteOptions) {
	s.cache = newWriteCache(s.db, limit, wo)
	s.cache.mark = s.mark
}

// write stores batch in leveldb now (see writeCache.writeThrough).
func (s *store) write(batch *leveldb.Batch) error { return s.classify(s.cache.writeThrough(batch)) }

// writeCached adds the batches of a connect or disconnect, which moves the
// tip to tip, to the write-back cache.
func (s *store) writeCached(tip *headerchain.Node, disconnect bool, batches ...*leveldb.Batch) error {
	return s.classify(s.cache.apply(tip, disconnect, batches...))
}
