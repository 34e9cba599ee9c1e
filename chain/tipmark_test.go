package chain

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
)

func openWith(dir string, accept bool) (*Chain, error) {
	return Open(dir, chaincfg.Regtest, Options{NoSync: true, SigWorkers: 1, AcceptStoreRewind: accept,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// A store whose leveldb journal lost its tail, or was deleted, opens at an
// earlier height; the tip marker turns that into a loud refusal.
func TestLostJournalIsDetected(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, journal string){
		"journal truncated": func(t *testing.T, journal string) {
			fi, err := os.Stat(journal)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(journal, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		},
		"journal deleted": func(t *testing.T, journal string) {
			if err := os.Remove(journal); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir, blocks := buildStoreWith(t, false, 1) // every connect flushed: the journal interleaves bodies and connects
			damage(t, onlyFile(t, dir, "*.log"))
			c, err := openWith(dir, false)
			if err == nil {
				h := c.Tip().Height
				c.Close()
				t.Fatalf("store that lost blocks opened silently at height %d (had %d)", h, len(blocks))
			}
			requireCorrupt(t, err)
			if !errors.Is(err, ErrStoreRewound) || !strings.Contains(err.Error(), "height 20") {
				t.Fatalf("error %q does not say blocks up to height 20 were lost", err)
			}
			// Refusing again is stable; accepting opens lower and follows the store from then on.
			if _, err := openWith(dir, false); !errors.Is(err, ErrStoreRewound) {
				t.Fatalf("second open: %v, want ErrStoreRewound", err)
			}
			c, err = openWith(dir, true)
			if err != nil {
				t.Fatalf("open accepting the loss: %v", err)
			}
			if h := c.Tip().Height; h >= 20 {
				t.Fatalf("store at height %d after losing its journal's tail", h)
			}
			for _, b := range blocks {
				if _, err := c.ProcessBlock(b, chaincfg.Regtest.GenesisTime+1000); err != nil && !errors.Is(err, ErrDuplicateBlock) {
					t.Fatal(err)
				}
			}
			if h := c.Tip().Height; h != 20 {
				t.Fatalf("tip at %d after the lost blocks came again, want 20", h)
			}
			c.Close()
			c, err = openWith(dir, false)
			if err != nil {
				t.Fatalf("reopen after recovering: %v", err)
			}
			c.Close()
		})
	}
}

// A damaged or missing marker only restarts the marker: the store is intact.
func TestDamagedTipMarkerIsRestarted(t *testing.T) {
	dir, _ := buildStore(t, false)
	mark := filepath.Join(dir, tipMarkName)
	flipAt(t, mark, 5)
	c, err := openWith(dir, false)
	if err != nil {
		t.Fatalf("open with a damaged marker: %v", err)
	}
	if h := c.Tip().Height; h != 20 {
		t.Fatalf("tip at %d, want 20", h)
	}
	c.Close()
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}
	c, err = openWith(dir, false)
	if err != nil {
		t.Fatalf("open without a marker: %v", err)
	}
	hash, height, ok, err := c.store.mark.read()
	if err != nil || !ok || height != 20 || hash != c.Tip().Hash {
		t.Fatalf("marker after open: %s %d %v %v, want the tip", hash, height, ok, err)
	}
	c.Close()
}

// A reorg flushed from the write-back cache lowers the marker to the fork
// first, so a crash on either side of the flush's write reopens cleanly,
// where a marker left on the old tip would be refused.
func TestTipMarkerAcrossAFlushedReorg(t *testing.T) {
	p := chaincfg.Regtest
	now := p.GenesisTime + 1000
	open := func(dir string) *Chain {
		t.Helper()
		c, err := Open(dir, p, Options{NoSync: true, SigWorkers: 1, CacheBytes: 1 << 30, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return c
	}
	main := buildBlocks(p, p.Genesis(), 5, chaintest.NewKey(1))
	alt := buildBlocks(p, p.Genesis(), 6, chaintest.NewKey(2))
	for name, crash := range map[string]func(t *testing.T, c *Chain, layer *cacheLayer){
		"before the write": func(t *testing.T, c *Chain, layer *cacheLayer) {
			if err := c.store.mark.set(layer.floor, true); err != nil {
				t.Fatal(err)
			}
		},
		"after the write, before the raise": func(t *testing.T, c *Chain, layer *cacheLayer) {
			if err := c.store.cache.flush(); err != nil {
				t.Fatal(err)
			}
			if err := c.store.mark.set(layer.floor, true); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := open(dir)
			for _, b := range main {
				if _, err := c.ProcessBlock(b, now); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.store.cache.flush(); err != nil {
				t.Fatal(err)
			}
			for _, b := range alt {
				if _, err := c.ProcessBlock(b, now); err != nil {
					t.Fatal(err)
				}
			}
			layer := c.store.cache.active
			if layer.floor == nil || layer.floor.Height != 0 || layer.tip.Hash != alt[5].Hash() {
				t.Fatalf("cached reorg: floor %v, tip %v; want the genesis and the new tip", layer.floor, layer.tip)
			}
			crash(t, c, layer)
			c.store.cache.abandon()
			c.Close()
			c = open(dir)
			if tip := c.Tip(); tip.Hash != alt[5].Hash() {
				t.Fatalf("reopened on %s at %d, want the new branch's tip", tip.Hash, tip.Height)
			}
			c.Close()
		})
	}
	// Had the marker stayed on the old tip while the reorg was stored, the
	// store would look rewound.
	dir := t.TempDir()
	c := open(dir)
	for _, b := range append(append([]*block.Block{}, main...), alt...) {
		if _, err := c.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	c = open(dir)
	oldTip := c.index.Lookup(main[4].Hash())
	if err := c.store.mark.set(oldTip, true); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := openWith(dir, false); !errors.Is(err, ErrStoreRewound) {
		t.Fatalf("open with a marker off the stored chain: %v, want ErrStoreRewound", err)
	}
}
