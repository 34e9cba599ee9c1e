// Package longchain grows long chains of coinbase-only blocks in process, for
// benchmarks and tests of how costs change with chain height. The blocks are
// real (mined at the network's genesis difficulty, which regtest keeps
// trivial, one second apart) and go through the chain's full validation.
package longchain

import (
	"fmt"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
)

// Grower extends a chain with coinbase-only blocks paying one fixed key.
type Grower struct {
	c      *chain.Chain
	bl     chaintest.Builder
	tip    block.Header
	height uint64
	// Now is the clock the chain checks block times against; it defaults to
	// far enough past the genesis time for a million one-second blocks.
	Now int64
}

// New returns a Grower extending c from its current tip.
func New(c *chain.Chain) *Grower {
	g := &Grower{bl: chaintest.Builder{Params: c.Params(), Miner: chaintest.NewKey(1)},
		Now: c.Params().GenesisTime + 10_000_000}
	g.Attach(c)
	return g
}

// Attach makes the Grower extend c from c's tip, for a chain reopened (or
// copied) after the Grower built part of it.
func (g *Grower) Attach(c *chain.Chain) {
	t := c.Tip()
	g.c, g.tip, g.height = c, t.Header, t.Height
}

// Height returns the height of the last block built or connected.
func (g *Grower) Height() uint64 { return g.height }

// Build returns the next n blocks on the tip without connecting them.
func (g *Grower) Build(n int) []*block.Block {
	out := make([]*block.Block, n)
	parent, h := g.tip, g.height
	for i := range out {
		h++
		out[i] = g.bl.Next(parent, h, 0)
		parent = out[i].Header
	}
	return out
}

// Connect submits blocks, which must extend the tip, in order.
func (g *Grower) Connect(blocks []*block.Block) error {
	for _, b := range blocks {
		if _, err := g.c.ProcessBlock(b, g.Now); err != nil {
			return fmt.Errorf("block at height %d: %w", g.height+1, err)
		}
		g.tip = b.Header
		g.height++
	}
	return nil
}

// Grow builds and connects blocks until the tip is at height, in batches
// that bound the memory held by blocks not yet connected.
func (g *Grower) Grow(height uint64) error {
	for g.height < height {
		if err := g.Connect(g.Build(int(min(10_000, height-g.height)))); err != nil {
			return err
		}
	}
	return nil
}
