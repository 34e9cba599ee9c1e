package chain

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
)

// A damaged store is reported as ErrCorruptStore, so the node can tell the
// user what to do, and opening it never panics.
func TestDamagedStoreIsReportedAsCorrupt(t *testing.T) {
	p := chaincfg.Regtest
	build := func(t *testing.T) string {
		dir := t.TempDir()
		c := openTest(t, dir)
		for _, b := range buildBlocks(p, p.Genesis(), 20, chaintest.NewKey(1)) {
			if _, err := c.ProcessBlock(b, p.GenesisTime+1000); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		return dir
	}
	for name, damage := range map[string]func(t *testing.T, dir string){
		"garbage manifest": func(t *testing.T, dir string) {
			manifests, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
			if len(manifests) == 0 {
				t.Fatal("no MANIFEST file in the store")
			}
			if err := os.WriteFile(manifests[0], []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"block index entry missing": func(t *testing.T, dir string) {
			c := openTest(t, dir)
			tip := c.Tip()
			err := c.store.db.Delete(key(prefixIndex, c.index.Lookup(tip.Hash).Parent.Hash[:]), nil)
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := build(t)
			damage(t, dir)
			c, err := Open(dir, p, Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err == nil {
				c.Close()
				t.Fatal("a damaged store opened without error")
			}
			if !errors.Is(err, ErrCorruptStore) {
				t.Fatalf("error %v is not ErrCorruptStore", err)
			}
		})
	}
}
