package chain

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
)

// buildStore writes a 20-block chain to a new store and closes it; with
// compact set, leveldb moves everything from its journal into table files.
func buildStore(t *testing.T, compact bool) (string, []*block.Block) {
	t.Helper()
	return buildStoreWith(t, compact, 0)
}

// buildStoreWith is buildStore with a write-back cache of cacheBytes (0: the default).
func buildStoreWith(t *testing.T, compact bool, cacheBytes int) (string, []*block.Block) {
	t.Helper()
	p := chaincfg.Regtest
	dir := t.TempDir()
	c, err := Open(dir, p, Options{NoSync: true, SigWorkers: 1, CacheBytes: cacheBytes, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	blocks := buildBlocks(p, p.Genesis(), 20, chaintest.NewKey(1))
	for _, b := range blocks {
		if _, err := c.ProcessBlock(b, p.GenesisTime+1000); err != nil {
			t.Fatal(err)
		}
	}
	if compact {
		if err := c.store.cache.flush(); err != nil {
			t.Fatal(err)
		}
		if err := c.store.db.CompactRange(util.Range{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if compact { // reopening removes the tables the compaction replaced
		if err := openTest(t, dir).Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir, blocks
}

// snapshot reads every file of dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func onlyFile(t *testing.T, dir, pattern string) string {
	t.Helper()
	files := allFiles(t, dir, pattern)
	if len(files) != 1 {
		t.Fatalf("%d files %s in the store, want 1", len(files), pattern)
	}
	return files[0]
}

func allFiles(t *testing.T, dir, pattern string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(files) == 0 {
		t.Fatalf("no file %s in the store", pattern)
	}
	return files
}

// spoilBlocks flips a byte every 256 bytes of file, sparing its footer, so
// every data block fails its checksum.
func spoilBlocks(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(b)-100; i += 256 {
		b[i] ^= 0x55
	}
	// Rewrite the file in place (it may be open), as a failing disk would.
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
}

// flipAt inverts the byte at offset (negative: from the end) of file.
func flipAt(t *testing.T, file string, offset int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if offset < 0 {
		offset += len(b)
	}
	b[offset] ^= 0xff
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// requireCorrupt checks that err reports a damaged store with what to do.
func requireCorrupt(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("a damaged store gave no error")
	}
	if !errors.Is(err, ErrCorruptStore) {
		t.Fatalf("error %q is not ErrCorruptStore", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "corrupt chain store") || !strings.Contains(msg, "move ") {
		t.Fatalf("error %q does not say the store is corrupt and what to do", msg)
	}
}

// A damaged store is reported as ErrCorruptStore with the recovery hint,
// opening it never panics, and a refused open changes no file of the store.
func TestDamagedStoreIsRefusedUnchanged(t *testing.T) {
	for name, tc := range map[string]struct {
		compact bool
		damage  func(t *testing.T, dir string)
	}{
		"garbage manifest": {false, func(t *testing.T, dir string) {
			if err := os.WriteFile(onlyFile(t, dir, "MANIFEST-*"), []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		"manifest record flipped": {true, func(t *testing.T, dir string) { flipAt(t, onlyFile(t, dir, "MANIFEST-*"), 10) }},
		"manifest missing": {true, func(t *testing.T, dir string) {
			if err := os.Remove(onlyFile(t, dir, "MANIFEST-*")); err != nil {
				t.Fatal(err)
			}
		}},
		"CURRENT missing": {true, func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "CURRENT")); err != nil {
				t.Fatal(err)
			}
		}},
		"table missing": {true, func(t *testing.T, dir string) {
			if err := os.Remove(onlyFile(t, dir, "*.ldb")); err != nil {
				t.Fatal(err)
			}
		}},
		"table truncated": {true, func(t *testing.T, dir string) {
			if err := os.Truncate(onlyFile(t, dir, "*.ldb"), 100); err != nil {
				t.Fatal(err)
			}
		}},
		"table footer damaged": {true, func(t *testing.T, dir string) {
			for _, f := range allFiles(t, dir, "*.ldb") {
				flipAt(t, f, -3)
			}
		}},
		"table block damaged": {true, func(t *testing.T, dir string) {
			for _, f := range allFiles(t, dir, "*.ldb") {
				spoilBlocks(t, f)
			}
		}},
		"block index entry missing": {false, func(t *testing.T, dir string) {
			c := openTest(t, dir)
			tip := c.Tip()
			err := c.store.db.Delete(key(prefixIndex, c.index.Lookup(tip.Hash).Parent.Hash[:]), nil)
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			dir, _ := buildStore(t, tc.compact)
			tc.damage(t, dir)
			before := snapshot(t, dir)
			c, err := Open(dir, chaincfg.Regtest, Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err == nil {
				c.Close()
			}
			requireCorrupt(t, err)
			after := snapshot(t, dir)
			if name == "block index entry missing" || name == "table block damaged" {
				// Found while reading the index, after leveldb opened the store
				// (which starts a new journal and MANIFEST): no table is lost.
				for f, b := range before {
					if strings.HasSuffix(f, ".ldb") && !bytes.Equal(after[f], b) {
						t.Errorf("refused open changed table %s", f)
					}
				}
				return
			}
			for f, b := range before {
				if !bytes.Equal(after[f], b) {
					t.Errorf("refused open changed %s", f)
				}
			}
			for f := range after {
				if _, ok := before[f]; !ok {
					t.Errorf("refused open created %s", f)
				}
			}
		})
	}
}

// Corruption found while the node runs reaches the caller as ErrCorruptStore with the hint.
func TestCorruptionFoundInOperation(t *testing.T) {
	dir, blocks := buildStore(t, true)
	c := openTest(t, dir)
	defer c.Close()
	for _, f := range allFiles(t, dir, "*.ldb") {
		spoilBlocks(t, f)
	}
	failed := 0
	for _, blk := range blocks {
		if _, _, err := c.BlockByHash(blk.Hash()); err != nil {
			requireCorrupt(t, err)
			failed++
		}
	}
	if _, err := c.HistoryByKey(chaintest.NewKey(1).Pub); err != nil {
		requireCorrupt(t, err)
		failed++
	}
	if failed == 0 {
		t.Fatal("no read met the damaged table")
	}
}
