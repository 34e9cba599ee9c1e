package chain_test

import (
	"errors"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// These tests pin the rules that keep a hostile peer from making the chain
// store what it did not pay for in work: no orphan bodies, no bodies of
// lighter forks that nobody asked for, no bodies of blocks that failed, and
// no headers on top of a block known to be invalid.

func TestBlockWithUnknownParentIsNotKept(t *testing.T) {
	h := newHarness(t)
	h.extend(2)
	blocks := h.branch(h.main[2], 2, 3, h.b.Miner, 0, chaintest.Key{})
	for _, b := range blocks[1:] {
		if _, err := h.c.ProcessBlock(b, h.now); codeOf(err) != rule.ErrUnknownParent {
			t.Fatalf("orphan: got %v, want unknown-parent", err)
		}
		if h.c.HasBlock(b.Hash()) {
			t.Fatalf("orphan %s was kept", b.Hash())
		}
	}
	// Delivered in order (as headers-first sync does), they connect.
	for _, b := range blocks {
		h.submit(b)
	}
	h.requireTip(blocks[2])
}

func TestDifficultyFloor(t *testing.T) {
	for _, p := range []*chaincfg.Params{chaincfg.Regtest, chaincfg.Testnet} {
		t.Run(p.Name, func(t *testing.T) {
			h := newHarnessWith(t, p)
			floor := p.Retarget.Min
			for _, tc := range []struct {
				name string
				d    pow.Difficulty
				ok   bool
			}{
				{"zero", 0, false},
				{"one unit below the floor", floor - 1, false},
				{"at the floor", floor, true},
			} {
				// An orphan (unknown parent) that claims difficulty d: only the
				// context-free floor can judge it.
				b := h.b.Next(block.Header{Version: 1, Time: p.GenesisTime, Difficulty: tc.d}, 5, 0)
				b.Header.Difficulty = tc.d
				chaintest.Remine(b)
				err := chain.CheckBlockSanity(p, b)
				if tc.ok && err != nil {
					t.Errorf("%s: %v", tc.name, err)
				}
				if !tc.ok && codeOf(err) != rule.ErrBadDifficulty {
					t.Errorf("%s: got %v, want bad-difficulty", tc.name, err)
				}
			}
			// Headers are held to the same floor.
			low := h.b.Next(h.main[0].Header, 1, 0)
			low.Header.Difficulty = floor - 1
			chaintest.Remine(low)
			if _, err := h.c.CheckHeaders([]block.Header{low.Header}, h.now); codeOf(err) != rule.ErrBadDifficulty {
				t.Errorf("header below the floor: got %v, want bad-difficulty", err)
			}
		})
	}
}

func TestUnrequestedLighterForkIsNotStored(t *testing.T) {
	h := newHarness(t)
	h.extend(5)
	fork := h.branch(h.main[2], 2, 3, chaintest.NewKey(7), 0, chaintest.Key{})
	unrequested := chain.ProcessOptions{Unrequested: true}
	// Height 3 of the fork has less work than the tip at 5: not stored, and
	// so its child at height 4 has no known parent.
	_, err := h.c.ProcessBlockWith(fork[0], h.now, unrequested)
	if !errors.Is(err, chain.ErrLowWork) {
		t.Fatalf("lighter fork block: got %v, want ErrLowWork", err)
	}
	if _, isRule := rule.CodeOf(err); isRule {
		t.Fatalf("a light block is not a rule violation (its sender is not at fault): %v", err)
	}
	if _, err := h.c.ProcessBlockWith(fork[1], h.now, unrequested); codeOf(err) != rule.ErrUnknownParent {
		t.Fatalf("child of the unstored block: got %v, want unknown-parent", err)
	}
	for _, b := range fork[:2] {
		if h.c.HasBlock(b.Hash()) {
			t.Fatalf("lighter fork block %s was stored", b.Hash())
		}
	}
	// A sibling with equal work to the tip is kept (honest races end that way).
	sibling := h.b.Next(h.main[4].Header, 5, 0)
	sibling.Txs[0].Outputs[0].PubKey = chaintest.NewKey(8).Pub
	chaintest.Remine(sibling)
	if _, err := h.c.ProcessBlockWith(sibling, h.now, unrequested); err != nil {
		t.Fatalf("equal-work sibling: %v", err)
	}
	if !h.c.HasBlock(sibling.Hash()) {
		t.Fatalf("equal-work sibling was not stored")
	}
	h.requireTip(h.main[5])
	// Requested blocks of a branch are stored although its first blocks are light.
	for _, b := range fork {
		if _, err := h.c.ProcessBlock(b, h.now); err != nil {
			t.Fatalf("requested fork block: %v", err)
		}
	}
	h.requireTip(h.main[5])
	if !h.c.HasBlock(fork[0].Hash()) {
		t.Fatalf("requested fork block was not stored")
	}
}

func TestBlockFailingAtConnectIsFinalAndNotKept(t *testing.T) {
	h := newHarness(t)
	h.extend(101)
	missing := h.pay(chaintest.Spend{OutPoint: tx.OutPoint{TxID: chainhash.Hash{1}}, Output: tx.TxOut{Amount: 1000, PubKey: h.b.Miner.Pub}, Key: h.b.Miner}, 10)
	immature := h.pay(h.coinbaseSpend(100), 10)
	for _, tc := range []struct {
		name string
		tx   *tx.Tx
		code rule.Code
	}{
		{"spends a missing output", missing, rule.ErrMissingInput},
		{"spends an immature coinbase", immature, rule.ErrImmatureSpend},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := h.next(10, tc.tx)
			_, err := h.c.ProcessBlockWith(bad, h.now, chain.ProcessOptions{Unrequested: true})
			if codeOf(err) != tc.code {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
			if _, _, err := h.c.BlockByHash(bad.Hash()); !errors.Is(err, chain.ErrNotFound) {
				t.Fatalf("body of the failed block is still served: %v", err)
			}
			if !h.c.IsInvalid(bad.Hash()) {
				t.Fatalf("failed block is not remembered as invalid")
			}
			h.reopen()
			if _, err := h.c.ProcessBlock(bad, h.now); codeOf(err) != rule.ErrInvalidAncestor {
				t.Fatalf("resubmitted after a restart: got %v, want invalid-ancestor", err)
			}
			h.requireTip(h.main[101])
		})
	}
}

func TestHeadersOnKnownInvalidBlockAreRefused(t *testing.T) {
	h := newHarness(t)
	h.extend(3)
	bad := h.next(5) // claims 5 units of fees it does not have
	if _, err := h.c.ProcessBlock(bad, h.now); codeOf(err) != rule.ErrBadCoinbaseValue {
		t.Fatalf("bad block: %v", err)
	}
	child := h.b.Next(bad.Header, 5, 0)
	grandchild := h.b.Next(child.Header, 6, 0)
	for _, tc := range []struct {
		name    string
		headers []block.Header
	}{
		{"child of the invalid block", []block.Header{child.Header, grandchild.Header}},
		{"the invalid block itself", []block.Header{bad.Header, child.Header}},
	} {
		if _, err := h.c.CheckHeaders(tc.headers, h.now); codeOf(err) != rule.ErrInvalidAncestor {
			t.Errorf("%s: got %v, want invalid-ancestor", tc.name, err)
		}
	}
	// Valid headers on the main tip pass.
	good := h.next(0)
	if _, err := h.c.CheckHeaders([]block.Header{good.Header}, h.now); err != nil {
		t.Errorf("valid header: %v", err)
	}
}
