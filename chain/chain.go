// Package chain is the full node's ledger: it validates blocks in layers
// (context-free sanity, then against the parent's context, then against the
// UTXO set), keeps an index of every valid block with its cumulative work,
// follows the most-work chain, and reorganises onto a heavier branch by
// disconnecting blocks with their undo data and connecting the new ones.
//
// State lives in a goleveldb store in which every connect and disconnect is
// one atomic batch. The chain reads no clock: callers pass the current time
// to ProcessBlock. Its goroutines spread a block's checks over the cores,
// flush its write-back cache in the background, and prepare blocks ahead
// (Prepare); each is waited for by the step that started it, or by Close.
package chain

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/rule"
)

// ErrNotFound reports a block or transaction the chain does not have.
var ErrNotFound = errors.New("not found")

// ErrDuplicateBlock reports a block the chain already has.
var ErrDuplicateBlock = errors.New("block already known")

// status bits kept in a node's Flags and in its stored index entry.
type status uint8

const (
	flagValid           = 1 << 0 // connected to the UTXO set successfully at least once
	flagInvalid         = 1 << 1 // failed validation
	flagInvalidAncestor = 1 << 2 // descends from a block that failed validation
)

// Options tune a Chain.
type Options struct {
	// SigWorkers is how many goroutines verify a block's signatures (0: one per CPU, 1: inline).
	SigWorkers int
	// Logger receives the chain's log lines (default slog.Default()).
	Logger *slog.Logger
	// NoSync skips every fsync: of writes, and of the tables and manifest
	// leveldb writes when it flushes and compacts. For benchmarks and tests
	// only: a crash of the operating system may then lose or damage the store.
	NoSync bool
	// CacheBytes bounds the memory holding connected blocks' writes before
	// they are flushed to the store in one atomic batch (0: DefaultCacheBytes).
	CacheBytes int
	// AcceptStoreRewind opens a store that lost blocks it had connected (see
	// ErrStoreRewound) with a warning instead of refusing it; the lost blocks
	// are downloaded again from peers.
	AcceptStoreRewind bool
}

// Chain is the validated block chain and its UTXO set. It is safe for concurrent use.
type Chain struct {
	mu         sync.RWMutex
	params     *chaincfg.Params
	store      *store
	index      *headerchain.Index
	tip        *headerchain.Node
	main       []*headerchain.Node // main chain by height
	tipDerived tipDerived          // the tip's values derived from its ancestors
	sigWorkers int
	writeOpts  *opt.WriteOptions
	log        *slog.Logger
	reasons    map[chainhash.Hash]error
	accepted   acceptedBlock  // the block ProcessBlock is processing, once stored
	records    shardedRecords // the connect batch's records by cache shard (checkConnect)
	prep       preparations   // blocks prepared ahead of ProcessBlock (see Prepare)
}

// acceptedBlock is a block just stored by acceptBlock, kept decoded with its
// transaction ids and their positions for connecting it without reading it
// back or hashing it again.
type acceptedBlock struct {
	hash      chainhash.Hash
	b         *block.Block
	ids       []chainhash.Hash
	positions map[chainhash.Hash]int
	prep      *preparedBlock // its preparation, or nil
}

// Open opens (creating if needed) the chain store at path for the network params.
// It reloads the block index, and if the store holds a heavier valid branch
// than its tip (a reorg was interrupted), it finishes moving onto it.
func Open(path string, params *chaincfg.Params, opts Options) (*Chain, error) {
	st, err := openStore(path, opts.NoSync)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Chain{
		params:     params,
		store:      st,
		index:      headerchain.NewIndex(params),
		sigWorkers: opts.SigWorkers,
		writeOpts:  &opt.WriteOptions{Sync: !opts.NoSync},
		log:        opts.Logger,
	}
	st.useCache(opts.CacheBytes, opts.SigWorkers, c.writeOpts)
	c.index.Eligible = func(n *headerchain.Node) bool { return n.Flags&(flagInvalid|flagInvalidAncestor) == 0 }
	if err := c.load(opts.AcceptStoreRewind); err != nil {
		st.close()
		return nil, st.classify(err)
	}
	if err := c.buildFilterIndex(); err != nil {
		st.close()
		return nil, st.classify(err)
	}
	if _, err := c.activateBestChain(); err != nil {
		st.close()
		return nil, st.classify(err)
	}
	return c, nil
}

// Close flushes and closes the store.
func (c *Chain) Close() error {
	c.stopPreparing()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store.close()
}

// Params returns the network parameters of the chain.
func (c *Chain) Params() *chaincfg.Params { return c.params }

func (c *Chain) initGenesis() error {
	g := c.params.Genesis()
	node := c.index.Genesis()
	node.Flags = flagValid
	batch := new(leveldb.Batch)
	batch.Put([]byte(keyVersion), []byte{storeVersion})
	batch.Put(key(prefixBlock, node.Hash[:]), g.Encode())
	c.putIndex(batch, node, node.Flags)
	batch.Put(key(prefixHeight, be64(0)), node.Hash[:])
	batch.Put([]byte(keyTip), node.Hash[:])
	if err := c.store.write(batch); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	c.setTip(node)
	return c.store.mark.set(node, c.writeOpts.Sync)
}

func (c *Chain) putIndex(batch *leveldb.Batch, n *headerchain.Node, flags uint32) {
	e := indexEntry{header: n.Header, height: n.Height, status: status(flags), work: n.Work, seq: n.Seq}
	batch.Put(key(prefixIndex, n.Hash[:]), e.encode())
}

// setTip records n as the connected tip and rebuilds the by-height view of the main chain.
func (c *Chain) setTip(n *headerchain.Node) {
	if uint64(len(c.main)) > n.Height+1 {
		for i := n.Height + 1; i < uint64(len(c.main)); i++ {
			c.main[i] = nil
		}
		c.main = c.main[:n.Height+1]
	}
	for len(c.main) < int(n.Height)+1 {
		c.main = append(c.main, nil)
	}
	for it := n; it != nil && c.main[it.Height] != it; it = it.Parent {
		c.main[it.Height] = it
	}
	c.tip = n
	c.tipDerived = deriveTip(c.params, n)
}

// Change is one step of the main chain moving: a block connected at the tip
// or disconnected from it. The mempool and wallets replay changes in order.
type Change struct {
	Block     *block.Block
	Height    uint64
	Connected bool
}

// Result tells what processing a block did.
type Result struct {
	Hash chainhash.Hash
	// MainChain is true when the block is on the main chain afterwards.
	MainChain bool
	// Changes lists the main chain's steps, in order; empty when the tip did not move.
	Changes []Change
}

// ErrLowWork reports an unrequested block whose chain has less work than the
// tip: it could not become the best chain now, so its body is not stored.
// The sender is not at fault (it may follow another branch); if that branch
// later outgrows ours, headers-first sync downloads it.
var ErrLowWork = errors.New("block is on a chain with less work than the tip; not stored")

// ProcessOptions say where a block came from.
type ProcessOptions struct {
	// Unrequested marks a block nobody asked for (gossip): it is stored only
	// if its chain has at least the tip's work. Blocks that sync requested
	// for a header chain with more work than the tip are stored regardless,
	// since the first blocks of a heavier branch are lighter than the tip.
	Unrequested bool
}

// ProcessBlock validates b and adds it to the chain, reorganising when its
// branch has more work than the tip. now is the current Unix time, for the
// future-drift rule.
//
// A block whose parent is unknown is not kept: it is reported with
// rule.ErrUnknownParent so that the caller can fetch the headers that link
// it (headers first; the chain holds no orphan bodies).
func (c *Chain) ProcessBlock(b *block.Block, now int64) (*Result, error) {
	return c.ProcessBlockWith(b, now, ProcessOptions{})
}

// ProcessBlockWith is ProcessBlock with options.
//
// A block that fails validation once its parent is connected is final: it
// is marked invalid with its descendants, its body is deleted, and the rule
// error is returned, so the sender can be penalised like for any other
// consensus failure.
func (c *Chain) ProcessBlockWith(b *block.Block, now int64, opts ProcessOptions) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { c.accepted = acceptedBlock{} }()
	hash := b.Hash()
	res := &Result{Hash: hash}
	prep := c.takePrepared(hash, b)
	if prep != nil {
		// Whatever happens to the block, the rest of its preparation is not needed.
		defer prep.stop.Store(true)
	}
	if err := c.acceptBlock(b, hash, now, opts, prep); err != nil {
		return res, err
	}
	changes, err := c.activateBestChain()
	if serr := c.store.settle(); serr != nil && err == nil {
		err = fmt.Errorf("store block %s: %w", hash, serr)
	}
	res.Changes = changes
	n := c.index.Lookup(hash)
	if n != nil {
		res.MainChain = n.IsAncestorOf(c.tip)
	}
	if err != nil {
		return res, err
	}
	if n != nil && n.Flags&(flagInvalid|flagInvalidAncestor) != 0 {
		return res, c.invalidReason(hash)
	}
	return res, nil
}

// acceptBlock runs the checks that do not need the UTXO set and stores the
// block in the index. It does not move the tip.
//
// prep is the block's preparation (see Prepare), or nil: its context-free
// checks are not run again when they passed.
func (c *Chain) acceptBlock(b *block.Block, hash chainhash.Hash, now int64, opts ProcessOptions, prep *preparedBlock) error {
	if n := c.index.Lookup(hash); n != nil {
		if n.Flags&(flagInvalid|flagInvalidAncestor) != 0 {
			return rule.Errorf(rule.ErrInvalidAncestor, "block %s is known to be invalid", hash)
		}
		return fmt.Errorf("block %s: %w", hash, ErrDuplicateBlock)
	}
	ids, positions, err := prep.sanity()
	if prep == nil || err != nil {
		ids, positions, err = checkBlockSanity(c.params, b)
	}
	if err != nil {
		return fmt.Errorf("block %s: %w", hash, err)
	}
	parent := c.index.Lookup(b.Header.Prev)
	if parent == nil {
		return rule.Errorf(rule.ErrUnknownParent, "block %s: parent %s not known", hash, b.Header.Prev)
	}
	if parent.Flags&(flagInvalid|flagInvalidAncestor) != 0 {
		return rule.Errorf(rule.ErrInvalidAncestor, "block %s descends from invalid block %s", hash, parent.Hash)
	}
	if cb := b.Txs[0].Coinbase; cb.Height != parent.Height+1 {
		return rule.Errorf(rule.ErrBadCoinbaseHeight, "block %s: coinbase height %d at height %d", hash, cb.Height, parent.Height+1)
	}
	if opts.Unrequested {
		// Check the header first, so that an invalid block is reported as
		// such (and its sender penalised) rather than as merely light.
		if err := headerchain.CheckContext(c.params, &b.Header, parent, now); err != nil {
			return fmt.Errorf("block %s: %w", hash, err)
		}
		work := new(big.Int).Add(parent.Work, pow.Work(b.Header.Difficulty))
		if work.Cmp(c.tip.Work) < 0 {
			return fmt.Errorf("block %s: %w", hash, ErrLowWork)
		}
	}
	node, _, err := c.index.Add(&b.Header, now)
	if err != nil {
		return fmt.Errorf("block %s: %w", hash, err)
	}
	batch := new(leveldb.Batch)
	batch.Put(key(prefixBlock, hash[:]), b.Encode())
	c.putIndex(batch, node, node.Flags)
	// The body is stored while the block is checked; the connect waits for it.
	if err := c.store.writeBeside(batch); err != nil {
		return fmt.Errorf("store block %s: %w", hash, err)
	}
	c.accepted = acceptedBlock{hash: hash, b: b, ids: ids, positions: positions, prep: prep}
	return nil
}

// activateBestChain moves the tip onto the most-work valid branch, one
// atomic connect or disconnect at a time. A block that fails to connect is
// marked invalid with its descendants, and the best branch is chosen again:
// that is the valid part of the failed branch if it has more work than the
// old tip, or the old tip otherwise (first seen wins ties).
func (c *Chain) activateBestChain() ([]Change, error) {
	var changes []Change
	for attempts := 0; c.index.Best() != c.tip; attempts++ {
		if attempts > 1000 {
			return changes, fmt.Errorf("activate best chain: no progress after %d attempts", attempts)
		}
		target := c.index.Best()
		fork := headerchain.FindFork(c.tip, target)
		for c.tip != fork {
			ch, err := c.disconnectTip()
			if err != nil {
				return changes, err
			}
			changes = append(changes, ch)
		}
		var path []*headerchain.Node
		for n := target; n != fork; n = n.Parent {
			path = append(path, n)
		}
		for i := len(path) - 1; i >= 0; i-- {
			ch, err := c.connectTip(path[i])
			if err != nil {
				var re *rule.Error
				if !errors.As(err, &re) {
					return changes, err
				}
				c.log.Warn("block failed to connect", "block", path[i].Hash, "height", path[i].Height, "err", err)
				if err := c.markInvalid(path[i], err); err != nil {
					return changes, err
				}
				break
			}
			changes = append(changes, ch)
		}
	}
	return changes, nil
}

func (c *Chain) connectTip(n *headerchain.Node) (Change, error) {
	b, ids, positions, prep := c.accepted.b, c.accepted.ids, c.accepted.positions, c.accepted.prep
	if b == nil || c.accepted.hash != n.Hash {
		var err error
		if b, err = c.store.block(n.Hash); err != nil {
			return Change{}, err
		}
		ids, positions, prep = nil, nil, nil
	}
	// The block's filter needs only the block: build it beside the checks.
	filter, filterDone := new(leveldb.Batch), make(chan error, 1)
	buildFilter := func() { filterDone <- c.putFilter(filter, b, n) }
	if workerCount(c.sigWorkers) > 1 {
		go buildFilter()
	} else {
		timeParallel(buildFilter)
	}
	err := c.checkConnect(b, n, ids, positions, prep)
	filterErr := <-filterDone
	if err != nil {
		return Change{}, fmt.Errorf("connect block %s at height %d: %w", n.Hash, n.Height, err)
	}
	if filterErr != nil {
		return Change{}, fmt.Errorf("connect block %s: filter: %w", n.Hash, filterErr)
	}
	if err := c.records.add(filter); err != nil {
		return Change{}, fmt.Errorf("connect block %s: group filter: %w", n.Hash, err)
	}
	if err := c.store.writeGrouped(n, &c.records); err != nil {
		return Change{}, fmt.Errorf("connect block %s: write: %w", n.Hash, err)
	}
	n.Flags |= flagValid
	c.setTip(n)
	return Change{Block: b, Height: n.Height, Connected: true}, nil
}

func (c *Chain) disconnectTip() (Change, error) {
	n := c.tip
	if n.Parent == nil {
		return Change{}, errors.New("disconnect: cannot disconnect the genesis block")
	}
	b, err := c.store.block(n.Hash)
	if err != nil {
		return Change{}, err
	}
	batch, err := c.disconnectBatch(b, n)
	if err != nil {
		return Change{}, fmt.Errorf("disconnect block %s: %w", n.Hash, err)
	}
	if err := c.store.writeCached(n.Parent, true, batch); err != nil {
		return Change{}, fmt.Errorf("disconnect block %s: write: %w", n.Hash, err)
	}
	c.setTip(n.Parent)
	return Change{Block: b, Height: n.Height, Connected: false}, nil
}

// markInvalid flags n invalid and every descendant as having an invalid
// ancestor, persists the flags, deletes their bodies (the index entries stay,
// so the blocks are never downloaded or accepted again), and picks the best
// eligible tip again.
func (c *Chain) markInvalid(n *headerchain.Node, cause error) error {
	batch := new(leveldb.Batch)
	n.Flags |= flagInvalid
	c.putIndex(batch, n, n.Flags)
	batch.Delete(key(prefixBlock, n.Hash[:]))
	c.index.Descendants(n, func(d *headerchain.Node) {
		d.Flags |= flagInvalidAncestor
		c.putIndex(batch, d, d.Flags)
		batch.Delete(key(prefixBlock, d.Hash[:]))
	})
	if err := c.store.write(batch); err != nil {
		return fmt.Errorf("mark block %s invalid: %w", n.Hash, err)
	}
	c.invalid(n.Hash, cause)
	c.index.RecomputeBest()
	return nil
}
