package chain

import (
	"hash/maphash"
	"strings"
	"unsafe"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/headerchain"
)

// cacheShards is how many maps a cache layer splits its keys over, by a hash
// of the key, so that a block's writes enter the cache and a flush collects
// and sorts them on every core. A power of two.
const cacheShards = 64

// cacheEntryOverhead approximates the memory of one cached entry beyond its key and value.
const cacheEntryOverhead = 64

// shardSeed picks a key's shard; the same for every layer of the process, so
// a key is in the same shard of the active and the flushing layer.
var shardSeed = maphash.MakeSeed()

// shardOf returns the shard of key k: by a hash of the whole key, or of its
// address (addressOf) for an address index key, so that one address's
// pending entries are all in one shard.
func shardOf(k []byte) int {
	if isAddressKey(k) {
		k = k[:addressKeyLen]
	}
	return int(maphash.Bytes(shardSeed, k) & (cacheShards - 1))
}

// addressKeyLen is the length of an address index key's prefix byte and
// public key: what UnspentByKey and HistoryByKey iterate by.
const addressKeyLen = 1 + 32

func isAddressKey(k []byte) bool {
	return len(k) >= addressKeyLen && (k[0] == prefixAddrUTX || k[0] == prefixAddrTx)
}

// addressOf returns the prefix byte and public key of an address index key
// ('A' or 'a'), or false for other keys.
func addressOf(k string) (string, bool) {
	if isAddressKey(keyBytes(k)) {
		return k[:addressKeyLen], true
	}
	return "", false
}

// cacheLayer is a set of pending writes: a value or a deletion per key.
type cacheLayer struct {
	shards [cacheShards]cacheShard
	// tip is the chain's tip after the layer's last step; floor the lowest
	// tip a disconnect in the layer left (nil without disconnects), an
	// ancestor of the tips before and after the layer (see tipmark.go).
	tip, floor *headerchain.Node
}

// cacheShard is the part of a layer whose keys hash to one shard. Each is
// written by one goroutine at a time (see writeCache.apply).
type cacheShard struct {
	entries map[string]cacheEntry // writes of keys other than address index keys
	// byAddress holds the writes of address index keys (see addressOf) by
	// address, so that reading one address's pending entries neither scans
	// the whole layer nor looks each up in it.
	byAddress map[string]map[string]cacheEntry
	// roomy holds emptied maps of addresses that had many writes in an
	// earlier layer, reused for the next addresses that get a map, so that
	// an address paid in every block (a pool's, an exchange's) does not grow
	// its map from nothing after every flush.
	roomy    []map[string]cacheEntry
	addrKeys int // keys in byAddress
	size     int
	_        [32]byte // keeps shards written in parallel off each other's cache lines
}

type cacheEntry struct {
	value   []byte
	deleted bool
	fresh   bool // leveldb holds no value for the key (see freshPrefix)
}

func newCacheLayer() *cacheLayer {
	l := &cacheLayer{}
	for i := range l.shards {
		l.shards[i].entries = map[string]cacheEntry{}
		l.shards[i].byAddress = map[string]map[string]cacheEntry{}
	}
	return l
}

// Emptied address maps kept per shard for reuse (see cacheShard.roomy):
// at most roomyMaps of them, each of an address that had roomyKeys writes
// or more.
const (
	roomyMaps = 4
	roomyKeys = 256
)

// empty drops the layer's writes, keeping its maps' room for the next layer.
func (l *cacheLayer) empty() {
	for i := range l.shards {
		s := &l.shards[i]
		clear(s.entries)
		for _, m := range s.byAddress {
			if len(m) >= roomyKeys && len(s.roomy) < roomyMaps {
				clear(m)
				s.roomy = append(s.roomy, m)
			}
		}
		clear(s.byAddress)
		s.addrKeys, s.size = 0, 0
	}
}

// size is the memory the layer's writes take, approximately.
func (l *cacheLayer) size() int {
	n := 0
	for i := range l.shards {
		n += l.shards[i].size
	}
	return n
}

// len is how many keys the layer has a write for.
func (l *cacheLayer) len() int {
	n := 0
	for i := range l.shards {
		n += len(l.shards[i].entries) + l.shards[i].addrKeys
	}
	return n
}

// entry returns the layer's write of k, if any.
func (l *cacheLayer) entry(k []byte) (cacheEntry, bool) {
	return l.shards[shardOf(k)].get(unsafe.String(unsafe.SliceData(k), len(k)))
}

// get returns the shard's write of k, if any.
func (s *cacheShard) get(k string) (cacheEntry, bool) {
	if addr, ok := addressOf(k); ok {
		e, ok := s.byAddress[addr][k]
		return e, ok
	}
	e, ok := s.entries[k]
	return e, ok
}

func (s *cacheShard) set(k []byte, e cacheEntry) { s.put(string(k), e) }

// put stores e as the write of key k.
func (s *cacheShard) put(k string, e cacheEntry) {
	m := s.mapOf(k)
	old, had := m[k]
	s.store(m, k, e, old, had)
}

// mapOf returns the map that holds k's write, making an address's map
// when it has none.
func (s *cacheShard) mapOf(k string) map[string]cacheEntry {
	addr, ok := addressOf(k)
	if !ok {
		return s.entries
	}
	m := s.byAddress[addr]
	if m == nil {
		if n := len(s.roomy); n > 0 {
			m, s.roomy = s.roomy[n-1], s.roomy[:n-1]
		} else {
			m = map[string]cacheEntry{}
		}
		s.byAddress[addr] = m
		s.size += len(addr) + cacheEntryOverhead
	}
	return m
}

// store makes e the write of key k in m (from mapOf), where its write was old if had.
func (s *cacheShard) store(m map[string]cacheEntry, k string, e cacheEntry, old cacheEntry, had bool) {
	if had {
		s.size -= len(old.value)
	} else {
		s.size += len(k) + cacheEntryOverhead
		if isAddressKey(keyBytes(k)) {
			s.addrKeys++
		}
	}
	s.size += len(e.value)
	m[k] = e
}

// drop removes the write old of key k from m (from mapOf).
func (s *cacheShard) drop(m map[string]cacheEntry, k string, old cacheEntry) {
	s.size -= len(k) + cacheEntryOverhead + len(old.value)
	delete(m, k)
	if addr, ok := addressOf(k); ok {
		s.addrKeys--
		if len(m) == 0 {
			delete(s.byAddress, addr)
			s.size -= len(addr) + cacheEntryOverhead
		}
	}
}

// each calls fn for every write in the shard.
func (s *cacheShard) each(fn func(k string, e cacheEntry)) {
	for k, e := range s.entries {
		fn(k, e)
	}
	for _, keys := range s.byAddress {
		for k, e := range keys {
			fn(k, e)
		}
	}
}

// eachWithPrefix calls fn for the layer's entries whose key starts with
// prefix: through byAddress when prefix is one address's, by a scan otherwise.
func (l *cacheLayer) eachWithPrefix(prefix string, fn func(k string, e cacheEntry)) {
	if addr, ok := addressOf(prefix); ok {
		for k, e := range l.shards[shardOf(keyBytes(addr))].byAddress[addr] {
			if strings.HasPrefix(k, prefix) {
				fn(k, e)
			}
		}
		return
	}
	for i := range l.shards {
		l.shards[i].each(func(k string, e cacheEntry) {
			if strings.HasPrefix(k, prefix) {
				fn(k, e)
			}
		})
	}
}

// addressLen returns how many pending entries the layer has for the address prefix addr.
func (l *cacheLayer) addressLen(addr string) int {
	return len(l.shards[shardOf(keyBytes(addr))].byAddress[addr])
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

// record is one write of a connect or disconnect batch; key and value point
// into the batch, whose bytes the cache keeps (as the layer's keys and
// values) until it has flushed them: a batch must not change once applied.
type record struct {
	key, value []byte
	deleted    bool
}

// shardedRecords are a step's writes grouped by shard, each group in batch order.
type shardedRecords [cacheShards][]record

func (g *shardedRecords) reset() {
	for i := range g {
		g[i] = g[i][:0]
	}
}

func (g *shardedRecords) Put(k, v []byte) {
	s := shardOf(k)
	g[s] = append(g[s], record{key: k, value: v})
}

func (g *shardedRecords) Delete(k []byte) {
	s := shardOf(k)
	g[s] = append(g[s], record{key: k, deleted: true})
}

// count is the number of records.
func (g *shardedRecords) count() int {
	n := 0
	for i := range g {
		n += len(g[i])
	}
	return n
}

// group collects the records of batches, in order, by shard.
func (g *shardedRecords) group(batches []*leveldb.Batch) error {
	g.reset()
	for _, b := range batches {
		if err := g.add(b); err != nil {
			return err
		}
	}
	return nil
}

// add appends the records of b, in order, to their shards' groups.
func (g *shardedRecords) add(b *leveldb.Batch) error { return b.Replay(g) }

// applyShard replays shard s's records into the active layer. A key that
// the active layer does not hold is fresh when its kind is (freshPrefix) and
// the flushing layer (nil when no flush is pending) does not hold it either.
//
// The layer's keys are the records' own bytes (see record): a step adds a
// few thousand keys, and copying each into a string of its own was a good
// part of the step's time.
func applyShard(active, flushing *cacheLayer, s int, recs []record) {
	sh := &active.shards[s]
	for _, r := range recs {
		k := unsafe.String(unsafe.SliceData(r.key), len(r.key))
		m := sh.mapOf(k)
		old, held := m[k]
		if r.deleted {
			if held && old.fresh {
				// Neither leveldb nor an older layer holds the key: nothing to write.
				sh.drop(m, k, old)
			} else {
				sh.store(m, k, cacheEntry{deleted: true}, old, held)
			}
			continue
		}
		e := cacheEntry{value: r.value, fresh: old.fresh}
		if !held {
			e.fresh = freshPrefix(r.key) && !flushing.holds(s, r.key)
		}
		sh.store(m, k, e, old, held)
	}
}

// holds reports whether the layer has a write of k, which is in shard s.
func (l *cacheLayer) holds(s int, k []byte) bool {
	if l == nil {
		return false
	}
	_, ok := l.shards[s].get(unsafe.String(unsafe.SliceData(k), len(k)))
	return ok
}
