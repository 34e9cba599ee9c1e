package miner_test

import (
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/tx"
)

// A low-fee parent stays out of a full template until a child paying for
// both arrives; then the package goes in ahead of better-paying rivals.
func TestChildPaysForParentInTemplate(t *testing.T) {
	p := chaincfg.Regtest
	c := openChain(t, p)
	pool := mempool.New(p, c, mempool.Config{})
	k := chaintest.NewKey(1)
	now := time.Now().Unix()
	for i := 0; i < 103; i++ {
		tmpl := miner.NewTemplate(p, c, pool, k.Pub, 0, now)
		if !miner.Solve(tmpl, 2, nil, nil) {
			t.Fatal("search stopped")
		}
		if _, err := c.ProcessBlock(tmpl.Block, now); err != nil {
			t.Fatal(err)
		}
	}
	coinbase := func(h uint64) chaintest.Spend {
		hash, _ := c.HashAtHeight(h)
		b, _, _ := c.BlockByHash(hash)
		return chaintest.SpendOf(b.Txs[0], 0, k)
	}
	pay := func(s chaintest.Spend, feePerByte int64) *tx.Tx {
		size := int64(chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: 1, PubKey: k.Pub}}).Size())
		return chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - feePerByte*size, PubKey: k.Pub}})
	}
	parent := pay(coinbase(1), 1)
	rivals := []*tx.Tx{pay(coinbase(2), 10), pay(coinbase(3), 10)}
	for _, x := range append([]*tx.Tx{parent}, rivals...) {
		if _, err := pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	// Blocks with room for two transactions besides the coinbase.
	small := *p
	small.MaxBlockSize = 1000 + 2*parent.Size() + 10
	has := func(tmpl *miner.Template, want *tx.Tx) bool {
		for _, x := range tmpl.Block.Txs[1:] {
			if x.ID() == want.ID() {
				return true
			}
		}
		return false
	}
	if tmpl := miner.NewTemplate(&small, c, pool, k.Pub, 0, now); has(tmpl, parent) || !has(tmpl, rivals[0]) || !has(tmpl, rivals[1]) {
		t.Fatal("without a child the low-fee parent should wait behind the rivals")
	}
	child := pay(chaintest.SpendOf(parent, 0, k), 50)
	if _, err := pool.Accept(child); err != nil {
		t.Fatal(err)
	}
	tmpl := miner.NewTemplate(&small, c, pool, k.Pub, 0, now)
	if !has(tmpl, parent) || !has(tmpl, child) || len(tmpl.Block.Txs) != 3 || tmpl.Block.Txs[1].ID() != parent.ID() {
		t.Fatal("the child did not carry its parent into the template, parent first")
	}
	if !miner.Solve(tmpl, 2, nil, nil) {
		t.Fatal("search stopped")
	}
	if _, err := c.ProcessBlock(tmpl.Block, now); err != nil {
		t.Fatalf("the CPFP block is invalid: %v", err)
	}
}
