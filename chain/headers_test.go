package chain_test

import (
	"slices"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
)

// HeadersAfter serves the main chain after the locator, cut at stop; a
// stop on a valid side branch serves that branch instead, so that a node
// can show how a block it relayed links after it has reorganised away.
func TestHeadersAfterServesTheBranchOfStop(t *testing.T) {
	h := newHarness(t)
	h.extend(10)
	sideMiner := chaintest.Builder{Params: h.params, Miner: chaintest.NewKey(8)}
	side := []*block.Block{h.main[5]}
	for height := uint64(6); height <= 8; height++ {
		b := sideMiner.Next(side[len(side)-1].Header, height, 0)
		if _, err := h.c.ProcessBlock(b, h.now); err != nil {
			t.Fatalf("side block at %d: %v", height, err)
		}
		side = append(side, b)
	}
	h.requireTip(h.main[10])
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
