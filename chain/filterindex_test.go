package chain_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
)

// wantFilterHeaders recomputes the filter-header chain of blocks (from genesis) from scratch.
func wantFilterHeaders(t *testing.T, blocks []*block.Block) []chainhash.Hash {
	t.Helper()
	var prev chainhash.Hash
	var out []chainhash.Hash
	for _, b := range blocks {
		f, err := blockfilter.Build(b)
		if err != nil {
			t.Fatal(err)
		}
		prev = blockfilter.Header(blockfilter.Hash(f), prev)
		out = append(out, prev)
	}
	return out
}

// requireFilterIndex checks the served filters and filter headers of blocks against a recomputation.
func requireFilterIndex(t *testing.T, c *chain.Chain, blocks []*block.Block) {
	t.Helper()
	want := wantFilterHeaders(t, blocks)
	stop := blocks[len(blocks)-1].Hash()
	prev, got, err := c.FilterHeaders(1, stop, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if prev != want[0] || len(got) != len(want)-1 {
		t.Fatalf("prev %s (want %s), %d headers (want %d)", prev, want[0], len(got), len(want)-1)
	}
	for i := range got {
		if got[i] != want[i+1] {
			t.Fatalf("filter header at height %d: %s, want %s", i+1, got[i], want[i+1])
		}
	}
	hashes, filters, err := c.Filters(0, stop, 2000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(filters) != len(blocks) {
		t.Fatalf("%d filters for %d blocks", len(filters), len(blocks))
	}
	for i, b := range blocks {
		f, _ := blockfilter.Build(b)
		if hashes[i] != b.Hash() || !bytes.Equal(filters[i], f) {
			t.Fatalf("filter of block %d differs from its recomputation", i)
		}
	}
}

func TestFilterIndexFollowsConnectsAndBranches(t *testing.T) {
	h := newHarness(t)
	h.extend(101)
	h.extend(2, h.pay(h.coinbaseSpend(1), fee))
	requireFilterIndex(t, h.c, h.main)
	// A heavier branch: its filters are served by its stop hash, and the old
	// branch's stay served (filters are per block, not per main chain).
	alt := h.branch(h.main[101], 101, 4, chaintest.NewKey(6), 0, chaintest.Key{})
	h.submitAll(alt)
	h.requireTip(alt[3])
	requireFilterIndex(t, h.c, append(append([]*block.Block(nil), h.main[:102]...), alt...))
	requireFilterIndex(t, h.c, h.main)
}

func TestFilterIndexIsRebuiltForOldStores(t *testing.T) {
	h := newHarness(t)
	h.extend(30)
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	// Remove the filter index, as in a store written before it existed.
	db, err := leveldb.OpenFile(h.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := new(leveldb.Batch)
	for _, p := range []byte{'c', 'C'} {
		it := db.NewIterator(util.BytesPrefix([]byte{p}), nil)
		for it.Next() {
			batch.Delete(append([]byte(nil), it.Key()...))
		}
		it.Release()
	}
	if batch.Len() != 2*31 {
		t.Fatalf("found %d filter index records, want %d", batch.Len(), 2*31)
	}
	if err := db.Write(batch, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	h.open()
	requireFilterIndex(t, h.c, h.main)
	h.extend(1)
	requireFilterIndex(t, h.c, h.main)
}

func TestFilterRangeLimits(t *testing.T) {
	h := newHarness(t)
	h.extend(5)
	stop := h.tip().Hash()
	for _, tc := range []struct {
		name  string
		start uint64
		stop  chainhash.Hash
		max   int
	}{
		{"start after stop", 6, stop, 100},
		{"range longer than max", 1, stop, 4},
		{"unknown stop", 1, chainhash.Hash{1}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := h.c.FilterHeaders(tc.start, tc.stop, tc.max); err == nil {
				t.Fatal("filter headers served")
			}
			if _, _, err := h.c.Filters(tc.start, tc.stop, tc.max, 1<<20); err == nil {
				t.Fatal("filters served")
			}
		})
	}
	if _, _, err := h.c.Filters(1, chainhash.Hash{1}, 10, 1<<20); !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("unknown stop: %v, want ErrNotFound", err)
	}
	// The byte budget cuts the answer short but never to nothing.
	hashes, _, err := h.c.Filters(1, stop, 10, 1)
	if err != nil || len(hashes) != 1 {
		t.Fatalf("with a 1-byte budget: %d filters, %v", len(hashes), err)
	}
}
