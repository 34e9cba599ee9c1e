package chain

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// maxPrepared bounds the blocks prepared ahead of ProcessBlock: the one
// being connected and the next. A further Prepare stops the oldest.
const maxPrepared = 2

// preparedBlock is the work Prepare has done on a block ahead of its
// connect: the checks that need only the block, and the signatures of the
// transactions whose spent outputs it found.
type preparedBlock struct {
	hash chainhash.Hash
	b    *block.Block
	// parent is the block prepared just before this one when this one
	// builds on it: outputs it creates are not stored yet while this
	// block is prepared. Only the preparing goroutine uses it, and drops it
	// once the spent outputs are found, so that prepared blocks do not
	// hold a chain of their ancestors.
	parent *preparedBlock
	stop   atomic.Bool // nothing will use the signatures not yet checked

	sane chan struct{} // closed once ids, positions and saneErr are set
	ids  []chainhash.Hash
	// positions maps each transaction id to its index in b.
	positions map[chainhash.Hash]int
	saneErr   error

	done chan struct{} // closed once the fields below are final
	// prevOuts holds, per transaction, the outputs it spends as found
	// (nil where one was not found), and first the index in verified of
	// its first input (-1 where prevOuts is nil).
	prevOuts [][]tx.TxOut
	first    []int
	verified []bool // per signature checked: it is valid for those outputs
}

// Prepare starts, on goroutines the chain owns, the checks of b that do not
// need the chain's state at b's parent: b's context-free checks, and the
// signatures of the transactions whose spent outputs are at hand (stored,
// created earlier in b, or created by the block prepared just before b).
// ProcessBlock(b), given the same block value, then uses what the
// preparation found and checks the rest itself: the verdict and the error
// are the same with or without it.
//
// A caller that has the next block in hand while the current one is
// processed, as the initial sync does, calls Prepare(next) before
// ProcessBlock(current): the next block's signatures then fill the cores
// while the current block's steps that run on one goroutine (the walk over
// its inputs, writing its records) leave them idle. With one worker there
// is no idle core to fill, and Prepare does nothing.
//
// At most two blocks are prepared at a time; preparing a third stops the
// work on the oldest. Only blocks whose headers the caller has checked
// belong here: a preparation costs what checking the block costs, and it
// starts with the block's proof of work.
func (c *Chain) Prepare(b *block.Block) {
	workers := workerCount(c.sigWorkers)
	if workers <= 1 || b == nil || len(b.Txs) == 0 {
		return
	}
	hash := b.Hash()
	c.prep.mu.Lock()
	defer c.prep.mu.Unlock()
	if c.prep.closed || slices.ContainsFunc(c.prep.blocks, func(p *preparedBlock) bool { return p.hash == hash }) {
		return
	}
	p := &preparedBlock{hash: hash, b: b, sane: make(chan struct{}), done: make(chan struct{})}
	if last := c.prep.last; last != nil && last.hash == b.Header.Prev {
		p.parent = last
	}
	if len(c.prep.blocks) == maxPrepared {
		c.prep.blocks[0].stop.Store(true)
		c.prep.blocks = slices.Delete(c.prep.blocks, 0, 1)
	}
	c.prep.blocks = append(c.prep.blocks, p)
	c.prep.last = p
	c.prep.wg.Add(1)
	go func() {
		defer c.prep.wg.Done()
		c.prepare(p, workers)
	}()
}

// preparations are the blocks Prepare is working on or has finished, not
// yet taken by ProcessBlock.
type preparations struct {
	mu     sync.Mutex
	blocks []*preparedBlock // oldest first, at most maxPrepared
	last   *preparedBlock   // the block prepared last, a parent for the next
	closed bool
	wg     sync.WaitGroup // the preparing goroutines
}

// takePrepared removes the preparation of the block hash, if any, and
// returns it when it was made of b itself. Another value with the same
// hash may hold other transactions (a Merkle tree can be malleated without
// changing its root): its preparation is stopped and not used.
func (c *Chain) takePrepared(hash chainhash.Hash, b *block.Block) *preparedBlock {
	c.prep.mu.Lock()
	defer c.prep.mu.Unlock()
	i := slices.IndexFunc(c.prep.blocks, func(p *preparedBlock) bool { return p.hash == hash })
	if i < 0 {
		return nil
	}
	p := c.prep.blocks[i]
	c.prep.blocks = slices.Delete(c.prep.blocks, i, i+1)
	if p.b != b {
		p.stop.Store(true)
		return nil
	}
	return p
}

// stopPreparing stops every preparation, waits for their goroutines, and
// refuses new ones: the store is about to close.
func (c *Chain) stopPreparing() {
	c.prep.mu.Lock()
	c.prep.closed = true
	for _, p := range c.prep.blocks {
		p.stop.Store(true)
	}
	c.prep.blocks, c.prep.last = nil, nil
	c.prep.mu.Unlock()
	c.prep.wg.Wait()
}

// prepare does the work of Prepare(p.b) on up to workers goroutines.
func (c *Chain) prepare(p *preparedBlock, workers int) {
	defer close(p.done)
	p.ids, p.positions, p.saneErr = checkBlockSanity(c.params, p.b)
	close(p.sane)
	if p.saneErr != nil || p.stop.Load() {
		p.parent = nil
		return
	}
	txs := p.b.Txs
	prevOuts := make([][]tx.TxOut, len(txs))
	forEach(len(txs)-1, workers, func(k int) { prevOuts[k+1] = c.preparedSpends(p, k+1) })
	p.parent = nil
	first := make([]int, len(txs))
	var jobs []sigJob
	for i, t := range txs {
		first[i] = -1
		if prevOuts[i] != nil {
			first[i] = len(jobs)
			jobs = appendSignatureJobs(jobs, t, p.ids[i], prevOuts[i])
		}
	}
	verified := make([]bool, len(jobs))
	forEach(len(jobs), workers, func(k int) {
		if !p.stop.Load() {
			verified[k] = jobs[k].verify(c.params.Name) == nil
		}
	})
	p.prevOuts, p.first, p.verified = prevOuts, first, verified
}

// preparedSpends returns the outputs transaction i of p's block spends, or
// nil when one of them is not at hand. The preparation does not check that
// they are unspent, or any other input rule: the connect does, and uses the
// signatures checked here only for the very outputs it finds spent.
func (c *Chain) preparedSpends(p *preparedBlock, i int) []tx.TxOut {
	t := p.b.Txs[i]
	outs := make([]tx.TxOut, len(t.Inputs))
	for j, in := range t.Inputs {
		o, ok := c.preparedOutput(p, i, in.Prev)
		if !ok {
			return nil
		}
		outs[j] = o
	}
	return outs
}

// preparedOutput finds the output op that transaction i of p's block
// spends: created earlier in the block, stored, or created by the parent
// block prepared before it.
func (c *Chain) preparedOutput(p *preparedBlock, i int, op tx.OutPoint) (tx.TxOut, bool) {
	if o, ok := outputIn(p.b, p.positions, op, i); ok {
		return o, true
	}
	if u, err := c.store.utxo(op); err == nil && u != nil {
		return u.Output, true
	}
	if parent := p.parent; parent != nil {
		<-parent.sane
		if parent.saneErr == nil {
			return outputIn(parent.b, parent.positions, op, len(parent.b.Txs))
		}
	}
	return tx.TxOut{}, false
}

// outputIn returns output op of b, whose transaction ids are at positions,
// when a transaction before index before creates it.
func outputIn(b *block.Block, positions map[chainhash.Hash]int, op tx.OutPoint, before int) (tx.TxOut, bool) {
	pos, ok := positions[op.TxID]
	if !ok || pos >= before || int(op.Index) >= len(b.Txs[pos].Outputs) {
		return tx.TxOut{}, false
	}
	return b.Txs[pos].Outputs[op.Index], true
}

// sanity waits for the preparation's context-free checks and returns their
// result (see checkBlockSanity); p may be nil.
func (p *preparedBlock) sanity() ([]chainhash.Hash, map[chainhash.Hash]int, error) {
	if p == nil {
		return nil, nil, nil
	}
	<-p.sane
	return p.ids, p.positions, p.saneErr
}

// checked reports whether the preparation found transaction i's signature
// for input j valid with the outputs prevOuts, which the connect found it
// spends. A preparation that found other outputs (or none) does not count.
func (p *preparedBlock) checked(i, j int, prevOuts []tx.TxOut) bool {
	if p == nil || i >= len(p.first) || p.first[i] < 0 || !slices.Equal(p.prevOuts[i], prevOuts) {
		return false
	}
	return p.verified[p.first[i]+j]
}

// unchecked returns, in order, the jobs of b's signatures (one per input
// of each transaction after the coinbase, in block order) that the
// preparation has not found valid for the same spent outputs: every job
// when p is nil.
func (p *preparedBlock) unchecked(b *block.Block, jobs []sigJob) []sigJob {
	if p == nil {
		return jobs
	}
	<-p.done
	inputs := 0
	for _, t := range b.Txs[1:] {
		inputs += len(t.Inputs)
	}
	if inputs != len(jobs) {
		return jobs
	}
	var left []sigJob
	k := 0
	for i, t := range b.Txs[1:] {
		for j := range t.Inputs {
			if !p.checked(i+1, j, jobs[k].prevOuts) {
				left = append(left, jobs[k])
			}
			k++
		}
	}
	return left
}
