package chain

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
)

// The filter index: each connected block's compact filter and filter header,
// keyed by block hash. A filter depends on its block alone and a filter
// header on the block's ancestors alone, so neither changes when the main
// chain moves: disconnecting a block keeps them, and serving them for a side
// branch is as correct as for the main chain.
const (
	prefixFilter       = 'c' // block hash -> encoded compact filter (blockfilter.Build)
	prefixFilterHeader = 'C' // block hash -> filter header
)

// filterIndexBatch is how many blocks a rebuild writes per batch.
const filterIndexBatch = 500

// putFilter adds b's filter and filter header (node n) to batch. The parent's
// filter header is read from the store, computed first if a store written
// before the filter index lacks it.
func (c *Chain) putFilter(batch *leveldb.Batch, b *block.Block, n *headerchain.Node) error {
	var prev chainhash.Hash
	if n.Parent != nil {
		var err error
		if prev, err = c.ensureFilterHeader(n.Parent); err != nil {
			return err
		}
	}
	_, err := c.addFilterTo(batch, b, n.Hash, prev)
	return err
}

func (c *Chain) addFilterTo(batch *leveldb.Batch, b *block.Block, hash, prev chainhash.Hash) (chainhash.Hash, error) {
	f, err := blockfilter.Build(b)
	if err != nil {
		return chainhash.Hash{}, err
	}
	header := blockfilter.Header(blockfilter.Hash(f), prev)
	batch.Put(key(prefixFilter, hash[:]), f)
	batch.Put(key(prefixFilterHeader, hash[:]), header[:])
	return header, nil
}

// storedFilterHeader reads n's filter header; ok is false when it is missing.
func (c *Chain) storedFilterHeader(hash chainhash.Hash) (chainhash.Hash, bool, error) {
	v, ok, err := c.store.get(key(prefixFilterHeader, hash[:]))
	if err != nil || !ok {
		return chainhash.Hash{}, false, err
	}
	if len(v) != chainhash.Size {
		return chainhash.Hash{}, false, fmt.Errorf("%w: filter header of %s has %d bytes", ErrCorruptStore, hash, len(v))
	}
	return chainhash.Hash(v), true, nil
}

// ensureFilterHeader returns n's filter header, first building and storing
// the filters of n and of its ancestors that lack them (a store from before
// the filter index, or a side branch connected before it existed).
func (c *Chain) ensureFilterHeader(n *headerchain.Node) (chainhash.Hash, error) {
	var missing []*headerchain.Node
	var prev chainhash.Hash
	for it := n; it != nil; it = it.Parent {
		h, ok, err := c.storedFilterHeader(it.Hash)
		if err != nil {
			return chainhash.Hash{}, err
		}
		if ok {
			prev = h
			break
		}
		missing = append(missing, it)
	}
	if len(missing) == 0 {
		return prev, nil
	}
	if len(missing) > 1 {
		c.log.Info("building compact block filters", "blocks", len(missing), "from_height", missing[len(missing)-1].Height)
	}
	batch := new(leveldb.Batch)
	for i := len(missing) - 1; i >= 0; i-- {
		b, err := c.store.block(missing[i].Hash)
		if err != nil {
			return chainhash.Hash{}, fmt.Errorf("build filter index: %w", err)
		}
		if prev, err = c.addFilterTo(batch, b, missing[i].Hash, prev); err != nil {
			return chainhash.Hash{}, err
		}
		if batch.Len() >= 2*filterIndexBatch || i == 0 {
			if err := c.store.write(batch); err != nil {
				return chainhash.Hash{}, fmt.Errorf("write filter index: %w", err)
			}
			// A new batch, not Reset: the cache may keep the written one
			// (deferred behind a flush) and its values.
			batch = new(leveldb.Batch)
		}
	}
	return prev, nil
}

// FilterHeaders returns the filter headers of the blocks from height start
// up to stop (a block the chain has connected, on any branch), and the
// filter header before start (zeros when start is 0). At most max headers
// are returned; a longer range is an error.
func (c *Chain) FilterHeaders(start uint64, stop chainhash.Hash, max int) (prev chainhash.Hash, headers []chainhash.Hash, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	nodes, err := c.filterRange(start, stop, max)
	if err != nil {
		return prev, nil, err
	}
	if start > 0 {
		var ok bool
		if prev, ok, err = c.storedFilterHeader(nodes[0].Parent.Hash); err != nil || !ok {
			return prev, nil, c.missingFilter(nodes[0].Parent, err)
		}
	}
	headers = make([]chainhash.Hash, 0, len(nodes))
	for _, n := range nodes {
		h, ok, err := c.storedFilterHeader(n.Hash)
		if err != nil || !ok {
			return prev, nil, c.missingFilter(n, err)
		}
		headers = append(headers, h)
	}
	return prev, headers, nil
}

// Filters returns the block hashes and filters of the blocks from height
// start up to stop, at most max of them, stopping early once maxBytes of
// filters are collected (at least one is always returned).
func (c *Chain) Filters(start uint64, stop chainhash.Hash, max, maxBytes int) ([]chainhash.Hash, [][]byte, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	nodes, err := c.filterRange(start, stop, max)
	if err != nil {
		return nil, nil, err
	}
	var hashes []chainhash.Hash
	var filters [][]byte
	size := 0
	for _, n := range nodes {
		f, ok, err := c.store.get(key(prefixFilter, n.Hash[:]))
		if err != nil || !ok {
			return nil, nil, c.missingFilter(n, err)
		}
		if size += len(f); size > maxBytes && len(filters) > 0 {
			break
		}
		hashes, filters = append(hashes, n.Hash), append(filters, f)
	}
	return hashes, filters, nil
}

// filterRange lists the nodes from height start to stop, oldest first.
func (c *Chain) filterRange(start uint64, stop chainhash.Hash, max int) ([]*headerchain.Node, error) {
	end := c.index.Lookup(stop)
	if end == nil {
		return nil, fmt.Errorf("stop block %s: %w", stop, ErrNotFound)
	}
	if start > end.Height || end.Height-start >= uint64(max) {
		return nil, fmt.Errorf("filter range %d..%d (block %s): want 1 to %d blocks", start, end.Height, stop, max)
	}
	nodes := make([]*headerchain.Node, end.Height-start+1)
	for n, i := end, len(nodes)-1; i >= 0; n, i = n.Parent, i-1 {
		nodes[i] = n
	}
	return nodes, nil
}

func (c *Chain) missingFilter(n *headerchain.Node, err error) error {
	if err != nil {
		return fmt.Errorf("read filter of %s: %w", n.Hash, err)
	}
	return fmt.Errorf("filter of block %s (never connected): %w", n.Hash, ErrNotFound)
}

// buildFilterIndex makes sure the main chain's tip has its filter header,
// building the filters of a store written before the filter index existed.
func (c *Chain) buildFilterIndex() error {
	if _, err := c.ensureFilterHeader(c.tip); err != nil {
		return fmt.Errorf("build filter index: %w", err)
	}
	return nil
}
