package chain_test

import (
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// branch builds n blocks on parent (at parentHeight) mined by miner; block i
// spends the coinbase at height spendFrom+i (when spendFrom > 0) to payee.
func (h *harness) branch(parent *block.Block, parentHeight uint64, n int, miner chaintest.Key, spendFrom uint64, payee chaintest.Key) []*block.Block {
	bl := chaintest.Builder{Params: h.params, Miner: miner}
	var out []*block.Block
	for i := 0; i < n; i++ {
		height := parentHeight + uint64(i) + 1
		var txs []*tx.Tx
		var fees int64
		if spendFrom > 0 {
			s := h.coinbaseSpend(spendFrom + uint64(i))
			txs = append(txs, chaintest.SignedTx(h.params.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - fee, PubKey: payee.Pub}}))
			fees = fee
		}
		b := bl.Next(parent.Header, height, fees, txs...)
		out = append(out, b)
		parent = b
	}
	return out
}

func (h *harness) submitAll(blocks []*block.Block) {
	h.t.Helper()
	for _, b := range blocks {
		if _, err := h.c.ProcessBlock(b, h.now); err != nil {
			h.t.Fatalf("process block: %v", err)
		}
	}
}

// utxoHashOfFreshChain builds a new chain from the given blocks and returns its UTXO set hash.
func utxoHashOfFreshChain(t *testing.T, blocks []*block.Block) chainhash.Hash {
	t.Helper()
	f := newHarness(t)
	f.submitAll(blocks)
	if got := f.c.Tip().Hash; got != blocks[len(blocks)-1].Hash() {
		t.Fatalf("fresh chain tip %s, want %s", got, blocks[len(blocks)-1].Hash())
	}
	hash, _, err := f.c.UTXOSetHash()
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

func (h *harness) utxoHash() chainhash.Hash {
	h.t.Helper()
	hash, _, err := h.c.UTXOSetHash()
	if err != nil {
		h.t.Fatal(err)
	}
	return hash
}

func TestEqualWorkForkDoesNotReorg(t *testing.T) {
	h := newHarness(t)
	h.extend(5)
	alt := h.branch(h.main[4], 4, 1, chaintest.NewKey(2), 0, chaintest.Key{})
	res, err := h.c.ProcessBlock(alt[0], h.now)
	if err != nil {
		t.Fatal(err)
	}
	if res.MainChain || len(res.Changes) != 0 {
		t.Fatalf("equal-work fork moved the tip: %+v", res)
	}
	h.requireTip(h.tip())
}

// "First seen wins" between equal-work tips survives restarts: each round
// adds a main block and three equal-work siblings seen after it, then
// reopens the store. A reload that ordered blocks by anything but arrival
// would pick a sibling in about three rounds of four.
func TestEqualWorkTipSurvivesReopen(t *testing.T) {
	h := newHarness(t)
	h.extend(2)
	for round := 0; round < 20; round++ {
		h.extend(1)
		parent, height := h.main[len(h.main)-2], h.height()-1
		for k := 0; k < 3; k++ {
			h.submitAll(h.branch(parent, height, 1, chaintest.NewKey(uint64(10+3*round+k)), 0, chaintest.Key{}))
		}
		h.requireTip(h.tip())
		h.reopen()
		if got := h.c.Tip(); got.Hash != h.tip().Hash() {
			t.Fatalf("round %d: reopened on %s at %d, want the first-seen tip %s", round, got.Hash, got.Height, h.tip().Hash())
		}
	}
}

func TestHeavierForkReorgsAndBack(t *testing.T) {
	h := newHarness(t)
	h.extend(102)
	// Main: blocks 101, 102 spend coinbases 1, 2 to key 99. Branch: spends them to key 98.
	mainBlocks := h.branch(h.main[100], 100, 2, h.b.Miner, 1, chaintest.NewKey(99))
	h.c.Close()
	h = newHarness(t)
	h.extend(100)
	h.submitAll(mainBlocks)
	h.main = append(h.main, mainBlocks...)
	alt := h.branch(h.main[100], 100, 3, chaintest.NewKey(2), 1, chaintest.NewKey(98))
	h.submitAll(alt[:2])
	h.requireTip(mainBlocks[1]) // equal work: first seen stays
	res := h.submit(alt[2])
	if !res.MainChain || len(res.Changes) != 5 {
		t.Fatalf("reorg changes: got %d, want 2 disconnects and 3 connects", len(res.Changes))
	}
	for i, ch := range res.Changes {
		if want := i >= 2; ch.Connected != want {
			t.Fatalf("change %d connected=%v, want %v", i, ch.Connected, want)
		}
	}
	h.requireTip(alt[2])
	wantAlt := utxoHashOfFreshChain(t, append(append([]*block.Block{}, h.main[1:101]...), alt...))
	if got := h.utxoHash(); got != wantAlt {
		t.Fatalf("UTXO set after reorg differs from building the branch from scratch")
	}
	// And back: the original branch grows heavier again.
	back := h.branch(mainBlocks[1], 102, 2, h.b.Miner, 0, chaintest.Key{})
	h.submitAll(back)
	h.requireTip(back[1])
	wantMain := utxoHashOfFreshChain(t, append(append(append([]*block.Block{}, h.main[1:101]...), mainBlocks...), back...))
	if got := h.utxoHash(); got != wantMain {
		t.Fatalf("UTXO set after reorg back differs from building the main branch from scratch")
	}
}

func TestDeepReorgRestoresUTXOSetExactly(t *testing.T) {
	h := newHarness(t)
	h.extend(160)
	base := append([]*block.Block{}, h.main[1:101]...)
	mainBranch := h.branch(h.main[100], 100, 60, h.b.Miner, 1, chaintest.NewKey(99))
	altBranch := h.branch(h.main[100], 100, 61, chaintest.NewKey(3), 1, chaintest.NewKey(98))

	g := newHarness(t)
	g.submitAll(base)
	g.submitAll(mainBranch)
	before := g.utxoHash()
	g.submitAll(altBranch)
	g.requireTip(altBranch[60])
	if got, want := g.utxoHash(), utxoHashOfFreshChain(t, append(append([]*block.Block{}, base...), altBranch...)); got != want {
		t.Fatalf("UTXO set after a 60-block reorg differs from building the winner from scratch")
	}
	if got := g.utxoHash(); got == before {
		t.Fatalf("UTXO set did not change across the reorg")
	}
	// The spent coinbases are spent exactly once: each pays key 98 now, not 99.
	if u, _ := g.c.UnspentByKey(chaintest.NewKey(99).Pub); len(u) != 0 {
		t.Fatalf("%d outputs of the losing branch survived the reorg", len(u))
	}
	if u, _ := g.c.UnspentByKey(chaintest.NewKey(98).Pub); len(u) != 61 {
		t.Fatalf("winning branch has %d outputs to its payee, want 61", len(u))
	}
}

func TestSideChainDoubleSpendRejectedWhenItWouldBecomeTip(t *testing.T) {
	h := newHarness(t)
	h.extend(100)
	spend := h.pay(h.coinbaseSpend(1), fee)
	h.extend(3, spend) // 101 spends coinbase 1; 102, 103 empty
	// Branch from 102 re-spending coinbase 1, already spent at 101 in its own ancestry.
	bl := chaintest.Builder{Params: h.params, Miner: chaintest.NewKey(5)}
	s := h.coinbaseSpend(1)
	again := chaintest.SignedTx(h.params.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 2*fee, PubKey: other(h)}})
	side1 := bl.Next(h.main[102].Header, 103, 2*fee, again)
	side2 := bl.Next(side1.Header, 104, 0)
	if _, err := h.c.ProcessBlock(side1, h.now); err != nil {
		t.Fatalf("side block with equal work is stored without connecting: %v", err)
	}
	_, err := h.c.ProcessBlock(side2, h.now)
	if codeOf(err) != rule.ErrInvalidAncestor {
		t.Fatalf("block on the double spend: got %v, want invalid-ancestor", err)
	}
	h.requireTip(h.main[103])
	if _, err := h.c.ProcessBlock(side1, h.now); codeOf(err) != rule.ErrInvalidAncestor {
		t.Fatalf("double-spending block is not remembered as invalid: %v", err)
	}
}

func TestChainWithBadBlockStopsAtLastValid(t *testing.T) {
	h := newHarness(t)
	h.extend(100)
	blocks := h.branch(h.main[100], 100, 3, h.b.Miner, 0, chaintest.Key{})
	// Make the middle block claim one unit too much in its coinbase.
	bad := blocks[1]
	bad.Txs[0].Outputs[0].Amount++
	chaintest.Remine(bad)
	blocks[2] = chaintest.Builder{Params: h.params, Miner: h.b.Miner}.Next(bad.Header, 103, 0)
	h.submit(blocks[0])
	if _, err := h.c.ProcessBlock(bad, h.now); codeOf(err) != rule.ErrBadCoinbaseValue {
		t.Fatalf("bad block: got %v", err)
	}
	if _, err := h.c.ProcessBlock(blocks[2], h.now); codeOf(err) != rule.ErrInvalidAncestor {
		t.Fatalf("child of bad block: got %v", err)
	}
	h.requireTip(blocks[0])
}

func TestReorgToBranchWithInvalidBlockStopsAtLastValid(t *testing.T) {
	h := newHarness(t)
	h.extend(102)
	// Branch from 100: four valid blocks, a fifth with a bad signature, a sixth on top.
	alt := h.branch(h.main[100], 100, 6, chaintest.NewKey(4), 0, chaintest.Key{})
	badSpend := h.pay(h.coinbaseSpend(1), fee)
	badSpend.Inputs[0].Signature[0] ^= 1
	bl := chaintest.Builder{Params: h.params, Miner: chaintest.NewKey(4)}
	alt[4] = bl.Next(alt[3].Header, 105, fee, badSpend)
	alt[5] = bl.Next(alt[4].Header, 106, 0)
	for _, b := range alt {
		h.c.ProcessBlock(b, h.now)
	}
	h.requireTip(alt[3])
	want := utxoHashOfFreshChain(t, append(append([]*block.Block{}, h.main[1:101]...), alt[:4]...))
	if h.utxoHash() != want {
		t.Fatalf("UTXO set after stopping at the last valid block differs from building it from scratch")
	}
}

func TestFailedReorgRollsBackToOldTip(t *testing.T) {
	h := newHarness(t)
	h.extend(103)
	before := h.utxoHash()
	// Branch from 100 with four blocks, the second invalid: its valid part (101') is lighter than the tip.
	alt := h.branch(h.main[100], 100, 4, chaintest.NewKey(4), 0, chaintest.Key{})
	bl := chaintest.Builder{Params: h.params, Miner: chaintest.NewKey(4)}
	alt[1] = bl.Next(alt[0].Header, 102, 5) // claims 5 units of fees it does not have
	alt[2] = bl.Next(alt[1].Header, 103, 0)
	alt[3] = bl.Next(alt[2].Header, 104, 0)
	for _, b := range alt {
		h.c.ProcessBlock(b, h.now)
	}
	h.requireTip(h.main[103])
	if h.utxoHash() != before {
		t.Fatalf("UTXO set changed after a failed reorg")
	}
}
