package mempool_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

var (
	params = chaincfg.Regtest
	miner  = chaintest.NewKey(1)
	bob    = chaintest.NewKey(2)
	now    = params.GenesisTime + 1_000_000
)

type fixture struct {
	t    testing.TB
	c    *chain.Chain
	pool *mempool.Pool
	main []*block.Block
	dir  string // the chain store's directory
}

func newFixture(t testing.TB, cfg mempool.Config) *fixture {
	dir := t.TempDir()
	c, err := chain.Open(dir, params, chain.Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fixture{t: t, c: c, pool: mempool.New(params, c, cfg), main: []*block.Block{params.Genesis()}, dir: dir}
	f.mine(105)
	return f
}

// mine extends the chain with blocks carrying txs (in the first) and lets the pool follow.
func (f *fixture) mine(n int, txs ...*tx.Tx) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		var fees int64
		for _, x := range txs {
			if e, ok := f.pool.Get(x.ID()); ok {
				fees += e.Fee
			}
		}
		b := chaintest.Builder{Params: params, Miner: miner}.Next(f.main[len(f.main)-1].Header, uint64(len(f.main)), fees, txs...)
		txs = nil
		res, err := f.c.ProcessBlock(b, now)
		if err != nil {
			f.t.Fatal(err)
		}
		f.pool.ApplyChanges(res.Changes)
		f.main = append(f.main, b)
	}
}

func (f *fixture) coinbase(h int) chaintest.Spend {
	return chaintest.SpendOf(f.main[h].Txs[0], 0, miner)
}

func pay(s chaintest.Spend, to chaintest.Key, fee int64) *tx.Tx {
	return chaintest.SignedTx(params.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - fee, PubKey: to.Pub}})
}

func TestAcceptsValidAndRejectsConflictsFirstSeenWins(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	a := pay(f.coinbase(1), bob, 1000)
	if _, err := f.pool.Accept(a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Accept(a); !errors.Is(err, mempool.ErrAlreadyHave) {
		t.Fatalf("resubmission: %v", err)
	}
	b := pay(f.coinbase(1), chaintest.NewKey(3), 2000)
	if _, err := f.pool.Accept(b); !errors.Is(err, mempool.ErrConflict) {
		t.Fatalf("double spend of a pool output: %v", err)
	}
	bad := pay(f.coinbase(2), bob, 1000)
	bad.Inputs[0].Signature[0] ^= 1
	if _, err := f.pool.Accept(bad); !errors.Is(err, rule.Sentinel(rule.ErrBadSignature)) {
		t.Fatalf("bad signature: %v", err)
	}
	if _, err := f.pool.Accept(pay(f.coinbase(104), bob, 1000)); !errors.Is(err, rule.Sentinel(rule.ErrImmatureSpend)) {
		t.Fatalf("immature coinbase: %v", err)
	}
	if _, err := f.pool.Accept(chaintest.Coinbase(200, bob.Pub, 1)); !errors.Is(err, mempool.ErrCoinbase) {
		t.Fatalf("coinbase: %v", err)
	}
	if f.pool.Count() != 1 {
		t.Fatalf("pool holds %d", f.pool.Count())
	}
}

func TestChainsOfUnconfirmedTransactionsAndOrphans(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	parent := pay(f.coinbase(1), bob, 1000)
	child := pay(chaintest.SpendOf(parent, 0, bob), miner, 1000)
	if _, err := f.pool.Accept(child); !errors.Is(err, mempool.ErrOrphan) {
		t.Fatalf("child before parent: %v", err)
	}
	added, err := f.pool.Accept(parent)
	if err != nil || len(added) != 2 {
		t.Fatalf("parent should pull the orphan in: %d added, %v", len(added), err)
	}
	txs, fees := f.pool.Select(1 << 20)
	if len(txs) != 2 || txs[0].ID() != parent.ID() || fees != 2000 {
		t.Fatalf("template order: parent must come before child")
	}
	f.mine(1, txs...)
	if f.pool.Count() != 0 {
		t.Fatalf("mined transactions still in the pool: %d", f.pool.Count())
	}
}

func TestMinimumFeeAndEvictionByFeeRate(t *testing.T) {
	f := newFixture(t, mempool.Config{MinFeeRate: 2})
	cheap := pay(f.coinbase(1), bob, 1)
	if _, err := f.pool.Accept(cheap); !errors.Is(err, mempool.ErrFeeTooLow) {
		t.Fatalf("fee below the minimum: %v", err)
	}
	size := pay(f.coinbase(1), bob, 1000).Size()
	g := newFixture(t, mempool.Config{MaxBytes: 2*size + 10})
	low := pay(g.coinbase(1), bob, int64(2*size))
	mid := pay(g.coinbase(2), bob, int64(5*size))
	high := pay(g.coinbase(3), bob, int64(9*size))
	for _, x := range []*tx.Tx{low, mid} {
		if _, err := g.pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.pool.Accept(high); err != nil {
		t.Fatalf("higher fee rate should enter a full pool: %v", err)
	}
	if _, ok := g.pool.Get(low.ID()); ok || g.pool.Count() != 2 {
		t.Fatal("the lowest fee rate was not evicted")
	}
	lower := pay(g.coinbase(4), bob, int64(size))
	if _, err := g.pool.Accept(lower); !errors.Is(err, mempool.ErrPoolFull) {
		t.Fatalf("a lower fee rate must not enter a full pool: %v", err)
	}
}

func TestBlockRemovesConflictsAndReorgReturnsTransactions(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	inPool := pay(f.coinbase(1), bob, 1000)
	f.pool.Accept(inPool)
	conflicting := pay(f.coinbase(1), chaintest.NewKey(5), 3000)
	// A block confirms a conflicting spend of the same output.
	b := chaintest.Builder{Params: params, Miner: miner}.Next(f.main[105].Header, 106, 3000, conflicting)
	res, err := f.c.ProcessBlock(b, now)
	if err != nil {
		t.Fatal(err)
	}
	f.pool.ApplyChanges(res.Changes)
	if f.pool.Count() != 0 {
		t.Fatal("pool kept a transaction conflicting with the block")
	}
	// A heavier branch without that block: its transaction returns to the pool.
	other := chaintest.Builder{Params: params, Miner: chaintest.NewKey(8)}
	b1 := other.Next(f.main[105].Header, 106, 0)
	b2 := other.Next(b1.Header, 107, 0)
	f.c.ProcessBlock(b1, now)
	res, err = f.c.ProcessBlock(b2, now)
	if err != nil {
		t.Fatal(err)
	}
	f.pool.ApplyChanges(res.Changes)
	if _, ok := f.pool.Get(conflicting.ID()); !ok {
		t.Fatal("transaction of a disconnected block did not return to the pool")
	}
}

func BenchmarkAccept(b *testing.B) {
	f := newFixture(b, mempool.Config{})
	var txs []*tx.Tx
	// Spend the one mature coinbase into many outputs, then pay each onwards.
	fan := chaintest.SignedTx(params.Name, []chaintest.Spend{f.coinbase(1)}, func() []tx.TxOut {
		outs := make([]tx.TxOut, 2000)
		for i := range outs {
			outs[i] = tx.TxOut{Amount: 2_000_000, PubKey: bob.Pub}
		}
		return outs
	}())
	f.pool.Accept(fan)
	for i := 0; i < 2000; i++ {
		txs = append(txs, pay(chaintest.SpendOf(fan, uint32(i), bob), miner, 1000))
	}
	b.ResetTimer()
	accepted := 0
	for i := 0; i < b.N; i++ {
		if i >= len(txs) {
			b.StopTimer()
			break
		}
		if _, err := f.pool.Accept(txs[i]); err == nil {
			accepted++
		}
	}
	b.ReportMetric(float64(accepted)/b.Elapsed().Seconds(), "tx/s")
}
