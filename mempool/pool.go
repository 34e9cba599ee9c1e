// Package mempool holds the transactions that are valid against the current
// tip but not yet in a block: it validates what peers and wallets submit,
// resolves chains of unconfirmed transactions, keeps a bounded pool of
// orphans whose parents have not arrived, evicts the lowest fee rates when
// full, and follows the chain as blocks connect and disconnect.
package mempool

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// Policy errors: the transaction may be valid, but this pool will not take it.
var (
	ErrAlreadyHave = errors.New("transaction already known")
	ErrConflict    = errors.New("transaction spends an output already spent by a pool transaction")
	ErrFeeTooLow   = errors.New("fee rate below the minimum relay fee rate")
	ErrPoolFull    = errors.New("mempool full: fee rate too low to enter")
	ErrCoinbase    = errors.New("a coinbase is only valid in a block")
	ErrOrphan      = errors.New("transaction spends outputs not known yet; held as orphan")
)

// Chain is what the pool needs of the chain: the confirmed UTXO set and the tip.
type Chain interface {
	chain.InputSource
	Tip() chain.TipInfo
	HasTx(id chainhash.Hash) bool
}

// Config sets the pool's limits.
type Config struct {
	// MaxBytes bounds the total encoded size of pool transactions (default 32 MB).
	MaxBytes int
	// MinFeeRate is the minimum fee in units per byte of encoded transaction (default 1).
	MinFeeRate int64
	// MaxOrphans bounds the orphan pool (default 100); orphans larger than MaxOrphanSize are refused.
	MaxOrphans    int
	MaxOrphanSize int
	// MaxOrphanBytes bounds the orphans' total size (default 5 MB).
	MaxOrphanBytes int
	// OrphanTTL is how long an orphan waits for its parents (default 20 minutes).
	OrphanTTL time.Duration
	// Now is the pool's clock, for orphan expiry (default time.Now).
	Now func() time.Time
	// Unconfirmed-chain limits (see limits.go) and the most transactions one
	// replacement may evict (see replace.go); zero means the default.
	MaxAncestors, MaxDescendants, MaxPackageBytes, MaxReplaced int
}

func (c *Config) fill() {
	if c.MaxBytes <= 0 {
		c.MaxBytes = 32 << 20
	}
	if c.MinFeeRate <= 0 {
		c.MinFeeRate = 1
	}
	if c.MaxOrphans <= 0 {
		c.MaxOrphans = 100
	}
	if c.MaxOrphanSize <= 0 {
		c.MaxOrphanSize = 100_000
	}
	if c.MaxOrphanBytes <= 0 {
		c.MaxOrphanBytes = 5 << 20
	}
	if c.OrphanTTL <= 0 {
		c.OrphanTTL = 20 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.fillPolicy()
}

// Entry is a pool transaction with what the pool knows about it.
type Entry struct {
	Tx      *tx.Tx
	ID      chainhash.Hash
	Fee     int64
	Size    int
	Seq     uint64 // arrival order
	Height  uint64 // tip height when it entered the pool
	parents map[chainhash.Hash]bool
	// evictIdx is the entry's position in the pool's eviction queue.
	evictIdx int
}

// FeeRate returns the entry's fee in units per byte, scaled by 1000 for precision.
func (e *Entry) FeeRate() int64 { return e.Fee * 1000 / int64(e.Size) }

// Pool is the transaction memory pool. It is safe for concurrent use.
type Pool struct {
	mu      sync.Mutex
	params  *chaincfg.Params
	chain   Chain
	cfg     Config
	entries map[chainhash.Hash]*Entry
	spentBy map[tx.OutPoint]chainhash.Hash
	bytes   int
	seq     uint64
	orphans *orphans
	byRate  evictionQueue
	feeHist feeHistory
}

// New returns an empty pool following c.
func New(params *chaincfg.Params, c Chain, cfg Config) *Pool {
	cfg.fill()
	return &Pool{
		params:  params,
		chain:   c,
		cfg:     cfg,
		entries: map[chainhash.Hash]*Entry{},
		spentBy: map[tx.OutPoint]chainhash.Hash{},
		orphans: newOrphans(cfg.MaxOrphans, cfg.MaxOrphanBytes, cfg.OrphanTTL),
	}
}

// Accept validates t against the tip and the pool and adds it. It returns
// every transaction added: t first, then any orphans it made complete.
func (p *Pool) Accept(t *tx.Tx) ([]*tx.Tx, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.accept(t); err != nil {
		return nil, err
	}
	return append([]*tx.Tx{t}, p.acceptOrphansOf(t.ID())...), nil
}

// acceptOrphansOf retries the orphans waiting for parent (now in the pool or
// confirmed), and theirs in turn, and returns those accepted.
func (p *Pool) acceptOrphansOf(parent chainhash.Hash) []*tx.Tx {
	var added []*tx.Tx
	for queue := []chainhash.Hash{parent}; len(queue) > 0; queue = queue[1:] {
		for _, o := range p.orphans.takeChildren(queue[0]) {
			if err := p.accept(o); err == nil {
				added = append(added, o)
				queue = append(queue, o.ID())
			}
		}
	}
	return added
}

func (p *Pool) accept(t *tx.Tx) error {
	if t.IsCoinbase() {
		return ErrCoinbase
	}
	if err := tx.CheckSanity(t); err != nil {
		return err
	}
	id := t.ID()
	if _, ok := p.entries[id]; ok || p.chain.HasTx(id) || p.orphans.has(id) {
		return fmt.Errorf("tx %s: %w", id, ErrAlreadyHave)
	}
	conflicts, err := p.conflicting(t, id)
	if err != nil {
		return err
	}
	tip := p.chain.Tip()
	fee, prevOuts, err := chain.CheckTxInputs(p.params, t, &poolInputs{p: p, height: tip.Height + 1}, tip.Height+1)
	if err != nil {
		if code, ok := rule.CodeOf(err); ok && code == rule.ErrMissingInput {
			if t.Size() > p.cfg.MaxOrphanSize {
				return fmt.Errorf("tx %s: orphan of %d bytes too large to hold: %w", id, t.Size(), err)
			}
			now := p.cfg.Now()
			p.orphans.expire(now)
			p.orphans.add(t, id, now)
			return fmt.Errorf("tx %s: %w", id, ErrOrphan)
		}
		return fmt.Errorf("tx %s: %w", id, err)
	}
	size := t.Size()
	if fee < p.cfg.MinFeeRate*int64(size) {
		return fmt.Errorf("tx %s pays %d for %d bytes, minimum %d per byte: %w", id, fee, size, p.cfg.MinFeeRate, ErrFeeTooLow)
	}
	evict, err := p.checkReplacement(t, fee, size, conflicts)
	if err != nil {
		return fmt.Errorf("tx %s: %w", id, err)
	}
	if err := chain.VerifyTxSignatures(p.params.Name, t, prevOuts); err != nil {
		return fmt.Errorf("tx %s: %w", id, err)
	}
	e := &Entry{Tx: t, ID: id, Fee: fee, Size: size, Seq: p.seq, Height: tip.Height, parents: map[chainhash.Hash]bool{}}
	for _, in := range t.Inputs {
		if _, ok := p.entries[in.Prev.TxID]; ok {
			e.parents[in.Prev.TxID] = true
		}
	}
	if err := p.checkChainLimits(e, evict); err != nil {
		return fmt.Errorf("tx %s: %w", id, err)
	}
	p.seq++
	for _, old := range evict {
		p.removeOne(old)
	}
	p.add(e)
	if p.bytes > p.cfg.MaxBytes {
		p.evict()
		if _, ok := p.entries[id]; !ok {
			return fmt.Errorf("tx %s: %w", id, ErrPoolFull)
		}
	}
	return nil
}

func (p *Pool) add(e *Entry) {
	p.entries[e.ID] = e
	for _, in := range e.Tx.Inputs {
		p.spentBy[in.Prev] = e.ID
	}
	p.bytes += e.Size
	p.byRate.insert(e)
}

// removeWithDescendants removes id and every pool transaction spending its outputs.
func (p *Pool) removeWithDescendants(id chainhash.Hash) {
	e, ok := p.entries[id]
	if !ok {
		return
	}
	p.removeOne(e)
	for i := range e.Tx.Outputs {
		if child, ok := p.spentBy[tx.OutPoint{TxID: id, Index: uint32(i)}]; ok {
			p.removeWithDescendants(child)
		}
	}
}

func (p *Pool) removeOne(e *Entry) {
	delete(p.entries, e.ID)
	for _, in := range e.Tx.Inputs {
		if p.spentBy[in.Prev] == e.ID {
			delete(p.spentBy, in.Prev)
		}
	}
	p.bytes -= e.Size
	p.byRate.remove(e)
}

// evict removes the lowest fee-rate transactions (with their descendants) until the pool fits.
func (p *Pool) evict() {
	for p.bytes > p.cfg.MaxBytes {
		worst := p.byRate.worst()
		if worst == nil {
			return
		}
		p.removeWithDescendants(worst.ID)
	}
}

// poolInputs is the InputSource of a pool transaction: unconfirmed pool
// outputs first (counted at height, the next block's), then the confirmed
// UTXO set.
type poolInputs struct {
	p      *Pool
	height uint64
}

func (s *poolInputs) LookupUTXO(op tx.OutPoint) (*chain.UTXO, error) {
	if e, ok := s.p.entries[op.TxID]; ok {
		if int(op.Index) >= len(e.Tx.Outputs) {
			return nil, nil
		}
		return &chain.UTXO{Output: e.Tx.Outputs[op.Index], Height: s.height}, nil
	}
	return s.p.chain.LookupUTXO(op)
}

func (s *poolInputs) MissingInput(op tx.OutPoint) error {
	if e, ok := s.p.entries[op.TxID]; ok {
		return rule.Errorf(rule.ErrOutputIndexRange, "spends %s:%d; that pool transaction has %d outputs", op.TxID, op.Index, len(e.Tx.Outputs))
	}
	return s.p.chain.MissingInput(op)
}

// ApplyChanges brings the pool in line with the chain after its tip moved:
// transactions mined by connected blocks leave the pool with any that
// conflict with them, orphans waiting for a mined transaction are retried,
// and after a reorg the transactions of disconnected blocks come back if
// they are still valid on the new tip. It returns the transactions that
// entered the pool (from disconnected blocks or the orphan pool), for
// relaying.
func (p *Pool) ApplyChanges(changes []chain.Change) []*tx.Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	var disconnected []chain.Change
	var mined []chainhash.Hash
	for _, ch := range changes {
		if !ch.Connected {
			disconnected = append(disconnected, ch)
			continue
		}
		p.recordBlock(ch)
		for _, t := range ch.Block.Txs[1:] {
			p.removeWithDescendantsIfMined(t)
			mined = append(mined, t.ID())
		}
	}
	var added []*tx.Tx
	if len(disconnected) > 0 {
		added = p.readd(disconnected)
	}
	for _, id := range mined {
		added = append(added, p.acceptOrphansOf(id)...)
	}
	p.orphans.expire(p.cfg.Now())
	return added
}

// readd re-validates the pool against the new tip after a reorg: first the
// transactions of the disconnected blocks in chain order (oldest block
// first, block order within), so a parent is always tried before its child,
// then what was in the pool, in arrival order. A transaction that lost an
// input to the new branch is dropped, not held as an orphan: its inputs
// will not arrive. It returns the transactions of disconnected blocks that
// came back.
func (p *Pool) readd(disconnected []chain.Change) []*tx.Tx {
	sort.SliceStable(disconnected, func(i, j int) bool { return disconnected[i].Height < disconnected[j].Height })
	old := p.sortedBySeq()
	p.entries = map[chainhash.Hash]*Entry{}
	p.spentBy = map[tx.OutPoint]chainhash.Hash{}
	p.byRate = nil
	p.bytes = 0
	var back []*tx.Tx
	for _, ch := range disconnected {
		for _, t := range ch.Block.Txs[1:] {
			if p.acceptNoOrphan(t) == nil {
				back = append(back, t)
				back = append(back, p.acceptOrphansOf(t.ID())...)
			}
		}
	}
	for _, e := range old {
		if p.acceptNoOrphan(e.Tx) == nil {
			back = append(back, p.acceptOrphansOf(e.ID)...)
		}
	}
	return back
}

// acceptNoOrphan is accept for a transaction whose parents, if any, were
// tried before it.
func (p *Pool) acceptNoOrphan(t *tx.Tx) error {
	err := p.accept(t)
	if errors.Is(err, ErrOrphan) {
		p.orphans.remove(t.ID())
	}
	return err
}

// removeWithDescendantsIfMined drops a transaction that a block confirmed
// (keeping its children, now spending a confirmed output) and every pool
// transaction that spends the same outputs (with their descendants).
func (p *Pool) removeWithDescendantsIfMined(t *tx.Tx) {
	id := t.ID()
	if e, ok := p.entries[id]; ok {
		p.removeOne(e)
		// Its children now spend a confirmed output.
		for i := range e.Tx.Outputs {
			if child, ok := p.spentBy[tx.OutPoint{TxID: id, Index: uint32(i)}]; ok {
				if c, ok := p.entries[child]; ok {
					delete(c.parents, id)
				}
			}
		}
	}
	p.orphans.remove(id)
	for _, in := range t.Inputs {
		if other, ok := p.spentBy[in.Prev]; ok && other != id {
			p.removeWithDescendants(other)
		}
	}
}
