package mempool_test

import (
	"errors"
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/tx"
)

const replaceable = 1 | tx.FlagReplaceable

// payV pays s to to with the given fee and transaction version.
func payV(version uint32, s chaintest.Spend, to chaintest.Key, fee int64) *tx.Tx {
	return chaintest.SignedTxVersion(params.Name, version, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - fee, PubKey: to.Pub}})
}

func TestReplaceByFee(t *testing.T) {
	carol := chaintest.NewKey(9)
	for _, tc := range []struct {
		name      string
		origVer   uint32
		origFee   int64
		replFee   int64
		wantErr   error
		replaced  bool
		extraDesc bool // the original has a child in the pool
	}{
		{name: "not signalled: first seen wins", origVer: 1, origFee: 1000, replFee: 50_000, wantErr: mempool.ErrConflict},
		{name: "signalled, higher fee and rate", origVer: replaceable, origFee: 1000, replFee: 2000, replaced: true},
		{name: "same fee is refused", origVer: replaceable, origFee: 1000, replFee: 1000, wantErr: mempool.ErrReplacement},
		{name: "higher rate but not by the relay fee", origVer: replaceable, origFee: 1000, replFee: 1001, wantErr: mempool.ErrReplacement},
		{name: "must also pay for the evicted child", origVer: replaceable, origFee: 1000, replFee: 1200, extraDesc: true, wantErr: mempool.ErrReplacement},
		{name: "evicts the child when it pays for it", origVer: replaceable, origFee: 1000, replFee: 5000, extraDesc: true, replaced: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, mempool.Config{})
			orig := payV(tc.origVer, f.coinbase(1), bob, tc.origFee)
			if _, err := f.pool.Accept(orig); err != nil {
				t.Fatal(err)
			}
			var child *tx.Tx
			if tc.extraDesc {
				child = pay(chaintest.SpendOf(orig, 0, bob), miner, 1000)
				if _, err := f.pool.Accept(child); err != nil {
					t.Fatal(err)
				}
			}
			repl := payV(replaceable, f.coinbase(1), carol, tc.replFee)
			_, err := f.pool.Accept(repl)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("want %v, got %v", tc.wantErr, err)
				}
				if _, ok := f.pool.Get(orig.ID()); !ok {
					t.Fatal("a refused replacement removed the original")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := f.pool.Get(orig.ID()); ok {
				t.Fatal("the original is still in the pool")
			}
			if child != nil {
				if _, ok := f.pool.Get(child.ID()); ok {
					t.Fatal("the original's child is still in the pool")
				}
			}
			if _, ok := f.pool.Get(repl.ID()); !ok || f.pool.Count() != 1 {
				t.Fatalf("pool holds %d transactions, want only the replacement", f.pool.Count())
			}
			if _, ok := f.pool.SpentBy(chaintest.OutPointOf(f.main[1].Txs[0], 0)); !ok {
				t.Fatal("the spent index lost the replacement's input")
			}
		})
	}
}

func TestReplacementInheritsSignalAndRefusesNewUnconfirmedInputs(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	parent := payV(replaceable, f.coinbase(1), bob, 1000)
	other := pay(f.coinbase(2), bob, 1000)
	for _, x := range []*tx.Tx{parent, other} {
		if _, err := f.pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	// The child does not signal, but its unconfirmed parent does.
	child := pay(chaintest.SpendOf(parent, 0, bob), miner, 1000)
	if _, err := f.pool.Accept(child); err != nil {
		t.Fatal(err)
	}
	// Replacing the child with one that also spends another unconfirmed output is refused.
	withNew := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(parent, 0, bob), chaintest.SpendOf(other, 0, bob)},
		[]tx.TxOut{{Amount: parent.Outputs[0].Amount + other.Outputs[0].Amount - 20_000, PubKey: miner.Pub}})
	if _, err := f.pool.Accept(withNew); !errors.Is(err, mempool.ErrReplacement) {
		t.Fatalf("new unconfirmed input: %v", err)
	}
	// A plain fee bump of the child replaces it: the signal is inherited.
	bump := pay(chaintest.SpendOf(parent, 0, bob), miner, 5000)
	if _, err := f.pool.Accept(bump); err != nil {
		t.Fatalf("inherited signal: %v", err)
	}
	if _, ok := f.pool.Get(child.ID()); ok {
		t.Fatal("child not replaced")
	}
}

func TestReplacementEvictsAtMostMaxReplaced(t *testing.T) {
	f := newFixture(t, mempool.Config{MaxReplaced: 2})
	a := payV(replaceable, f.coinbase(1), bob, 1000)
	b := pay(chaintest.SpendOf(a, 0, bob), bob, 1000)
	c := pay(chaintest.SpendOf(b, 0, bob), bob, 1000)
	for _, x := range []*tx.Tx{a, b, c} {
		if _, err := f.pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.pool.Accept(payV(replaceable, f.coinbase(1), miner, 100_000)); !errors.Is(err, mempool.ErrReplacement) {
		t.Fatalf("replacing 3 with a limit of 2: %v", err)
	}
}

func TestAncestorAndDescendantLimits(t *testing.T) {
	f := newFixture(t, mempool.Config{MaxAncestors: 3, MaxDescendants: 3})
	chain := []*tx.Tx{pay(f.coinbase(1), bob, 1000)}
	for i := 0; i < 2; i++ {
		chain = append(chain, pay(chaintest.SpendOf(chain[len(chain)-1], 0, bob), bob, 1000))
	}
	for _, x := range chain {
		if _, err := f.pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	fourth := pay(chaintest.SpendOf(chain[2], 0, bob), bob, 1000)
	if _, err := f.pool.Accept(fourth); !errors.Is(err, mempool.ErrTooLongChain) {
		t.Fatalf("a 4th transaction in a chain with limit 3: %v", err)
	}
	// Descendants: a parent with two outputs spent by children, then a third child.
	g := newFixture(t, mempool.Config{MaxAncestors: 10, MaxDescendants: 3})
	cb := g.coinbase(1)
	fan := chaintest.SignedTx(params.Name, []chaintest.Spend{cb}, []tx.TxOut{
		{Amount: 1_000_000_000, PubKey: bob.Pub}, {Amount: 1_000_000_000, PubKey: bob.Pub}, {Amount: 1_000_000_000, PubKey: bob.Pub}})
	kids := []*tx.Tx{fan}
	for i := uint32(0); i < 3; i++ {
		kids = append(kids, pay(chaintest.SpendOf(fan, i, bob), bob, 1000))
	}
	for i, x := range kids {
		_, err := g.pool.Accept(x)
		if i < 3 && err != nil {
			t.Fatal(err)
		}
		if i == 3 && !errors.Is(err, mempool.ErrTooLongChain) {
			t.Fatalf("a 4th member of a family with descendant limit 3: %v", err)
		}
	}
	// Once the chain confirms, the limit is free again.
	f.mine(1, chain...)
	if _, err := f.pool.Accept(fourth); err != nil {
		t.Fatalf("after confirmation: %v", err)
	}
}

func TestSelectByPackageFeeRate(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	parent := pay(f.coinbase(1), bob, 200) // about 1 per byte
	size := parent.Size()
	child := pay(chaintest.SpendOf(parent, 0, bob), bob, int64(50*size))
	rival := pay(f.coinbase(2), bob, int64(10*size))
	for _, x := range []*tx.Tx{parent, child, rival} {
		if _, err := f.pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	// Room for two transactions: the parent+child package (rate ~25) beats the rival (10).
	txs, fees := f.pool.Select(2*size + 10)
	if len(txs) != 2 || txs[0].ID() != parent.ID() || txs[1].ID() != child.ID() {
		t.Fatalf("the child should carry its parent in first; got %d txs", len(txs))
	}
	if want := int64(200 + 50*size); fees != want {
		t.Fatalf("fees %d, want %d", fees, want)
	}
	all, _ := f.pool.Select(1 << 20)
	if len(all) != 3 || all[2].ID() != rival.ID() {
		t.Fatal("with room for all, the rival comes after the package")
	}
}

func TestEstimateFeeByTarget(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	if e := f.pool.EstimateFee(2); e.FeeRate != 1 || e.Samples != 0 {
		t.Fatalf("no data: %+v, want the minimum", e)
	}
	f.mine(5) // coinbases 1 to 8 mature
	size := pay(f.coinbase(1), bob, 1).Size()
	// High fee rates confirm in the next block; low ones wait 3 blocks.
	var high, low []*tx.Tx
	for h := 1; h <= 4; h++ {
		high = append(high, pay(f.coinbase(h), bob, int64(20*size)))
	}
	for h := 5; h <= 8; h++ {
		low = append(low, pay(f.coinbase(h), bob, int64(2*size)))
	}
	for _, x := range append(append([]*tx.Tx{}, high...), low...) {
		if _, err := f.pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	f.mine(1, high...) // waited 1 block
	f.mine(1)
	f.mine(1, low...) // waited 3 blocks
	fast, slow := f.pool.EstimateFee(1), f.pool.EstimateFee(3)
	if fast.FeeRate != 20 || fast.Samples != 8 {
		t.Fatalf("target 1: %+v, want 20 per byte from 8 samples", fast)
	}
	if slow.FeeRate != 2 {
		t.Fatalf("target 3: %+v, want 2 per byte", slow)
	}
	if e := f.pool.EstimateFee(1000); e.Target != mempool.MaxEstimateTarget {
		t.Fatalf("target clamp: %+v", e)
	}
}
