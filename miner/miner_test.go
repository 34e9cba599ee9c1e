package miner_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openChain(t *testing.T, p *chaincfg.Params) *chain.Chain {
	c, err := chain.Open(t.TempDir(), p, chain.Options{NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestMinedBlocksPassFullValidationWithPoolTransactionsInOrder(t *testing.T) {
	p := chaincfg.Regtest
	c := openChain(t, p)
	pool := mempool.New(p, c, mempool.Config{})
	k := chaintest.NewKey(1)
	now := time.Now().Unix()
	for i := 0; i < 101; i++ {
		tmpl := miner.NewTemplate(p, c, pool, k.Pub, 0, now)
		if !miner.Solve(tmpl, 2, nil, nil) {
			t.Fatal("search stopped")
		}
		if _, err := c.ProcessBlock(tmpl.Block, now); err != nil {
			t.Fatalf("mined block %d rejected: %v", i+1, err)
		}
	}
	cb1, _ := c.HashAtHeight(1)
	b1, _, _ := c.BlockByHash(cb1)
	parent := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(b1.Txs[0], 0, k)}, []tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: k.Pub}})
	child := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(parent, 0, k)}, []tx.TxOut{{Amount: 48 * tx.UnitsPerCoin, PubKey: k.Pub}})
	conflict := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(b1.Txs[0], 0, k)}, []tx.TxOut{{Amount: 40 * tx.UnitsPerCoin, PubKey: k.Pub}})
	for _, x := range []*tx.Tx{parent, child} {
		if _, err := pool.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Accept(conflict); err == nil {
		t.Fatal("pool took a conflicting spend")
	}
	tmpl := miner.NewTemplate(p, c, pool, k.Pub, 0, now)
	if len(tmpl.Block.Txs) != 3 || tmpl.Block.Txs[1].ID() != parent.ID() || tmpl.Block.Txs[2].ID() != child.ID() {
		t.Fatalf("template does not hold parent then child")
	}
	if tmpl.Fees != 2*tx.UnitsPerCoin || tmpl.Block.Txs[0].Outputs[0].Amount != p.Subsidy(102)+tmpl.Fees {
		t.Fatalf("coinbase does not claim subsidy plus fees")
	}
	miner.Solve(tmpl, 1, nil, nil)
	res, err := c.ProcessBlock(tmpl.Block, now)
	if err != nil || !res.MainChain {
		t.Fatalf("block with pool transactions rejected: %v", err)
	}
}

func TestExtraNonceGivesAFreshNonceSpace(t *testing.T) {
	p := chaincfg.Regtest
	c := openChain(t, p)
	tmpl := miner.NewTemplate(p, c, nil, chaintest.NewKey(1).Pub, 7, time.Now().Unix())
	root := tmpl.Block.Header.MerkleRoot
	tmpl.SetExtraNonce(8)
	if tmpl.Block.Header.MerkleRoot == root || tmpl.Block.Txs[0].Coinbase.ExtraNonce != 8 {
		t.Fatal("a new extra nonce must change the coinbase and the Merkle root")
	}
}

// switchableTip is a TipSource whose tip the test moves, standing in for the
// chain when a block from a peer arrives.
type switchableTip struct {
	mu  sync.Mutex
	tip chain.TipInfo
}

func (s *switchableTip) Tip() chain.TipInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tip
}

func (s *switchableTip) move(h chainhash.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tip.Hash = h
	s.tip.Height++
}

func TestNewTipAbandonsTheOldTemplate(t *testing.T) {
	// A difficulty no CPU meets within the test, so only a new tip ends a search.
	tips := &switchableTip{tip: chain.TipInfo{Hash: chainhash.Hash{1}, Height: 5, NextDifficulty: 60 * pow.One}}
	started := make(chan *miner.Template, 16)
	m := miner.New(miner.Config{Params: chaincfg.Regtest, Chain: tips, PayTo: chaintest.NewKey(1).Pub, Threads: 2,
		Refresh: time.Hour, Logger: quiet,
		Submit:     func(*block.Block) error { t.Error("solved a 60-bit block"); return nil },
		OnTemplate: func(tm *miner.Template) { started <- tm }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	first := <-started
	if first.Block.Header.Prev != (chainhash.Hash{1}) {
		t.Fatal("first template not on the tip")
	}
	tips.move(chainhash.Hash{2})
	m.NotifyNewTip()
	at := time.Now()
	select {
	case next := <-started:
		t.Logf("new template %s after the tip notification", time.Since(at))
		if next.Block.Header.Prev != (chainhash.Hash{2}) || next.Height != 7 {
			t.Fatalf("new template builds on %s at %d", next.Block.Header.Prev, next.Height)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("miner kept searching the old template after a new tip")
	}
	// The rate is measured over a window: wait for it to be reported.
	wait.For(t, 10*time.Second, "a hash rate from both threads", func() bool {
		total, per := m.HashRate()
		return total > 0 && len(per) == 2
	})
}

// TestSearchNoncesReportsEverySolutionUntilTold checks the search shared
// with cmd/miner: every nonce found meets the target and hashes as the
// header says, the search goes on while found returns true, and stops when
// it returns false.
func TestSearchNoncesReportsEverySolutionUntilTold(t *testing.T) {
	h := block.Header{Version: 1, Time: 1_800_000_000, Difficulty: 8 * pow.One}
	target := miner.TargetBytes(8 * pow.One)
	var mu sync.Mutex
	seen := map[uint32]bool{}
	miner.SearchNonces(h.Encode(), 2, target, nil, nil, func(nonce uint32, hash chainhash.Hash) bool {
		mu.Lock()
		defer mu.Unlock()
		hh := h
		hh.Nonce = nonce
		if hh.Hash() != hash || !pow.HashMeets(hash, 8*pow.One) {
			t.Errorf("nonce %d: reported hash %s, header hashes to %s", nonce, hash, hh.Hash())
		}
		if seen[nonce] {
			t.Errorf("nonce %d reported twice", nonce)
		}
		seen[nonce] = true
		return len(seen) < 20
	})
	if len(seen) < 20 || len(seen) > 21 {
		t.Fatalf("%d solutions reported, want the search to go on to 20 and then stop", len(seen))
	}
}
