package chain_test

import (
	"slices"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
)

// HeadersAfter serves the main chain after the locator, cut at stop; a
// stop on a side branch the chain was once on serves that branch instead,
// so that a node can show how a block it relayed links after it has
// reorganised away. A side branch only stored, never connected, is not
// served: nothing but its headers has been checked.
func TestHeadersAfterServesTheBranchOfStop(t *testing.T) {
	h := newHarness(t)
	h.extend(5)
	branch := func(seed uint64, parent *block.Block, n int) []*block.Block {
		bl := chaintest.Builder{Params: h.params, Miner: chaintest.NewKey(seed)}
		out := []*block.Block{parent}
		for i := 0; i < n; i++ {
			p := out[len(out)-1]
			b := bl.Next(p.Header, p.Txs[0].Coinbase.Height+1, 0)
			if _, err := h.c.ProcessBlock(b, h.now); err != nil {
				t.Fatalf("branch block %d: %v", i, err)
			}
			out = append(out, b)
		}
		return out
	}
	side := branch(8, h.main[5], 3) // the tip, until the main chain outgrows it
	h.requireTip(side[3])
	h.extend(5)
	h.requireTip(h.main[10])
	stored := branch(9, h.main[7], 2)               // lighter: stored, never connected
	bad := h.next(0, h.pay(h.coinbaseSpend(1), 10)) // an immature spend
	if _, err := h.c.ProcessBlock(bad, h.now); err == nil {
		t.Fatal("block spending an immature coinbase connected")
	}
	if !h.c.IsInvalid(bad.Hash()) {
		t.Fatal("the failed block is not marked invalid")
	}

	mainFrom := func(from, to int) []*block.Block { return h.main[from : to+1] }
	loc := func(bs ...*block.Block) []chainhash.Hash {
		out := make([]chainhash.Hash, len(bs))
		for i, b := range bs {
			out[i] = b.Hash()
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		locator []chainhash.Hash
		stop    chainhash.Hash
		max     int
		want    []*block.Block
	}{
		{"main chain after the locator", loc(h.main[7], h.main[3]), chainhash.Hash{}, 100, mainFrom(8, 10)},
		{"cut at max", loc(h.main[3]), chainhash.Hash{}, 2, mainFrom(4, 5)},
		{"cut at a main-chain stop", loc(h.main[3]), h.main[6].Hash(), 100, mainFrom(4, 6)},
		{"nothing after the tip", loc(h.main[10]), chainhash.Hash{}, 100, nil},
		{"unknown locator: from the genesis", []chainhash.Hash{{7}}, chainhash.Hash{}, 3, mainFrom(1, 3)},
		{"side branch of stop, from its fork", loc(h.main[9], h.main[8], h.main[4]), side[3].Hash(), 100, []*block.Block{h.main[5], side[1], side[2], side[3]}},
		{"side branch of stop, cut at max", loc(h.main[5]), side[3].Hash(), 2, side[1:3]},
		{"side branch of stop, inside it", loc(side[1], h.main[10]), side[3].Hash(), 100, side[2:4]},
		{"unknown stop: main chain", loc(h.main[8]), chainhash.Hash{9}, 100, mainFrom(9, 10)},
		{"invalid stop: main chain", loc(h.main[8]), bad.Hash(), 100, mainFrom(9, 10)},
		{"stop on a branch never connected: main chain", loc(h.main[8]), stored[2].Hash(), 100, mainFrom(9, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h.c.HeadersAfter(tc.locator, tc.stop, tc.max)
			want := make([]block.Header, len(tc.want))
			for i, b := range tc.want {
				want[i] = b.Header
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %s, want %s", hashes(got), hashes(want))
			}
		})
	}
}

func hashes(hs []block.Header) []string {
	out := make([]string, len(hs))
	for i := range hs {
		out[i] = hs[i].Hash().String()[:12]
	}
	return out
}
