package mempool_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/tx"
)

// process submits b to the fixture's chain and lets the pool follow,
// returning what the pool gave back for relaying.
func (f *fixture) process(b *block.Block) []*tx.Tx {
	f.t.Helper()
	res, err := f.c.ProcessBlock(b, now)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.pool.ApplyChanges(res.Changes)
}

// branch builds n blocks on top of parent (at height h) by another miner,
// the first carrying txs.
func branch(parent *block.Block, h uint64, n int, txs ...*tx.Tx) []*block.Block {
	other := chaintest.Builder{Params: params, Miner: chaintest.NewKey(77)}
	var out []*block.Block
	for i := 0; i < n; i++ {
		b := other.Next(parent.Header, h+uint64(i)+1, 0, txs...)
		txs = nil
		out = append(out, b)
		parent = b
	}
	return out
}

func TestReorgReturnsChildAndParentInChainOrder(t *testing.T) {
	tests := []struct {
		name string
		// onNewBranch is mined in the first block of the heavier branch.
		onNewBranch func(parent, child *tx.Tx) []*tx.Tx
		wantInPool  func(parent, child *tx.Tx) []*tx.Tx
	}{
		{"both return", func(_, _ *tx.Tx) []*tx.Tx { return nil }, func(p, c *tx.Tx) []*tx.Tx { return []*tx.Tx{p, c} }},
		{"parent mined again", func(p, _ *tx.Tx) []*tx.Tx { return []*tx.Tx{p} }, func(_, c *tx.Tx) []*tx.Tx { return []*tx.Tx{c} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, mempool.Config{})
			fork := f.main[105]
			parent := pay(f.coinbase(1), bob, 1000)
			child := pay(chaintest.SpendOf(parent, 0, bob), miner, 1000)
			f.mine(1, parent) // block N
			f.mine(1, child)  // block N+1 spends block N's transaction
			if f.pool.Count() != 0 {
				t.Fatalf("pool holds %d after both were mined", f.pool.Count())
			}
			var relayed []*tx.Tx
			for _, b := range branch(fork, 105, 3, tc.onNewBranch(parent, child)...) {
				relayed = append(relayed, f.process(b)...)
			}
			if tip := f.c.Tip(); tip.Height != 108 {
				t.Fatalf("tip at %d, want the heavier branch at 108", tip.Height)
			}
			want := tc.wantInPool(parent, child)
			if f.pool.Count() != len(want) || f.pool.OrphanCount() != 0 {
				t.Fatalf("pool holds %d (want %d), orphans %d (want 0)", f.pool.Count(), len(want), f.pool.OrphanCount())
			}
			for _, w := range want {
				if _, ok := f.pool.Get(w.ID()); !ok {
					t.Fatalf("transaction %s did not return to the pool", w.ID())
				}
			}
			if len(relayed) != len(want) {
				t.Fatalf("%d transactions handed back for relaying, want %d", len(relayed), len(want))
			}
			// They can be mined on the new branch, parent before child.
			txs, _ := f.pool.Select(1 << 20)
			if len(txs) != len(want) || txs[0].ID() != want[0].ID() {
				t.Fatal("template does not hold the returned transactions in dependency order")
			}
		})
	}
}

func TestOrphanAcceptedWhenParentIsMined(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	parent := pay(f.coinbase(1), bob, 1000)
	child := pay(chaintest.SpendOf(parent, 0, bob), miner, 1000)
	if _, err := f.pool.Accept(child); !errors.Is(err, mempool.ErrOrphan) {
		t.Fatalf("child before parent: %v", err)
	}
	// The parent never reaches this pool: a block confirms it directly.
	b := chaintest.Builder{Params: params, Miner: miner}.Next(f.main[105].Header, 106, 0, parent)
	relayed := f.process(b)
	if _, ok := f.pool.Get(child.ID()); !ok || f.pool.OrphanCount() != 0 {
		t.Fatalf("orphan not accepted after its parent was mined: in pool %v, orphans %d", ok, f.pool.OrphanCount())
	}
	if len(relayed) != 1 || relayed[0].ID() != child.ID() {
		t.Fatalf("the accepted orphan was not handed back for relaying: %d txs", len(relayed))
	}
}

// clock is a settable time source for the pool.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// orphanOf returns a transaction spending output 0 of a transaction nobody has.
func orphanOf(f *fixture, h int) *tx.Tx {
	parent := pay(f.coinbase(h), bob, 1000)
	return pay(chaintest.SpendOf(parent, 0, bob), miner, 1000)
}

func TestOrphansExpire(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	f := newFixture(t, mempool.Config{OrphanTTL: 20 * time.Minute, Now: clk.now})
	first := orphanOf(f, 1)
	if _, err := f.pool.Accept(first); !errors.Is(err, mempool.ErrOrphan) {
		t.Fatal(err)
	}
	clk.advance(15 * time.Minute)
	second := orphanOf(f, 2)
	if _, err := f.pool.Accept(second); !errors.Is(err, mempool.ErrOrphan) {
		t.Fatal(err)
	}
	if n := f.pool.OrphanCount(); n != 2 {
		t.Fatalf("%d orphans before any expired, want 2", n)
	}
	clk.advance(6 * time.Minute) // first is 21 minutes old, second 6
	f.mine(1)
	if n := f.pool.OrphanCount(); n != 1 {
		t.Fatalf("%d orphans after the first expired, want 1", n)
	}
	// The expired one is forgotten: submitting it again holds it anew.
	if _, err := f.pool.Accept(first); !errors.Is(err, mempool.ErrOrphan) {
		t.Fatalf("resubmitted expired orphan: %v", err)
	}
	clk.advance(21 * time.Minute)
	f.mine(1)
	if n := f.pool.OrphanCount(); n != 0 {
		t.Fatalf("%d orphans after all expired, want 0", n)
	}
}

func TestOrphanPoolBounds(t *testing.T) {
	size := orphanOf(newFixture(t, mempool.Config{}), 1).Size()
	tests := []struct {
		name string
		cfg  mempool.Config
	}{
		{"count", mempool.Config{MaxOrphans: 2}},
		{"bytes", mempool.Config{MaxOrphanBytes: 2*size + size/2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cfg)
			var held []*tx.Tx
			for h := 1; h <= 3; h++ {
				o := orphanOf(f, h)
				if _, err := f.pool.Accept(o); !errors.Is(err, mempool.ErrOrphan) {
					t.Fatal(err)
				}
				held = append(held, o)
			}
			if n := f.pool.OrphanCount(); n != 2 {
				t.Fatalf("%d orphans held, want 2", n)
			}
			// The oldest went: resubmitting it is not "already known".
			if _, err := f.pool.Accept(held[0]); !errors.Is(err, mempool.ErrOrphan) {
				t.Fatalf("oldest orphan should have been evicted: %v", err)
			}
			if _, err := f.pool.Accept(held[2]); !errors.Is(err, mempool.ErrAlreadyHave) {
				t.Fatalf("newest orphan should be held: %v", err)
			}
		})
	}
}
