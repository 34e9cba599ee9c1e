package mempool_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/tx"
)

// restart closes the fixture's chain store, opens it again and gives the
// fixture a fresh, empty pool on it, as a node restart does.
func (f *fixture) restart(cfg mempool.Config) {
	f.t.Helper()
	if err := f.c.Close(); err != nil {
		f.t.Fatal(err)
	}
	c, err := chain.Open(f.dir, params, chain.Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	f.c = c
	f.pool = mempool.New(params, c, cfg)
}

// acceptAll submits txs and fails the test on any refusal.
func (f *fixture) acceptAll(txs ...*tx.Tx) {
	f.t.Helper()
	for _, x := range txs {
		if _, err := f.pool.Accept(x); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestPoolSurvivesRestart(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	parent := pay(f.coinbase(1), bob, 1000)
	child := pay(chaintest.SpendOf(parent, 0, bob), miner, 1000)
	grandchild := pay(chaintest.SpendOf(child, 0, miner), bob, 1000)
	other := pay(f.coinbase(2), bob, 5000)
	minedLater := pay(f.coinbase(3), bob, 1000)
	f.acceptAll(parent, child, grandchild, other, minedLater)
	path := filepath.Join(t.TempDir(), mempool.FileName)
	if n, err := f.pool.Save(path); err != nil || n != 5 {
		t.Fatalf("Save: %d, %v", n, err)
	}
	f.restart(mempool.Config{})
	// While the node was down a block confirmed one of them.
	f.mine(1, minedLater)
	res, err := f.pool.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 4 || res.Dropped != 1 {
		t.Fatalf("Load: %+v, want 4 accepted and the mined one dropped", res)
	}
	for _, x := range []*tx.Tx{parent, child, grandchild, other} {
		if _, ok := f.pool.Get(x.ID()); !ok {
			t.Fatalf("transaction %s lost across the restart", x.ID())
		}
	}
	if _, ok := f.pool.Get(minedLater.ID()); ok || f.pool.OrphanCount() != 0 {
		t.Fatal("a transaction mined while the node was down came back, or an orphan was left")
	}
}

func TestLoadMissingFileIsEmptyPool(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	res, err := f.pool.Load(filepath.Join(t.TempDir(), mempool.FileName))
	if err != nil || res != (mempool.LoadResult{}) || f.pool.Count() != 0 {
		t.Fatalf("Load of a missing file: %+v, %v", res, err)
	}
}

func TestLoadDamagedFileIsMovedAside(t *testing.T) {
	f := newFixture(t, mempool.Config{})
	f.acceptAll(pay(f.coinbase(1), bob, 1000), pay(f.coinbase(2), bob, 1000))
	path := filepath.Join(t.TempDir(), mempool.FileName)
	if _, err := f.pool.Save(path); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(off int) []byte {
		b := append([]byte(nil), good...)
		b[off] ^= 0x40
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"magic", flip(0)},
		{"version", flip(8)},
		{"count", flip(12)},
		{"transaction", flip(40)},
		{"checksum", flip(len(good) - 1)},
		{"trailing", append(append([]byte(nil), good...), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFixture(t, mempool.Config{})
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := g.pool.Load(path)
			if !errors.Is(err, mempool.ErrDamagedFile) {
				t.Fatalf("Load: %v, want ErrDamagedFile", err)
			}
			if g.pool.Count() != 0 {
				t.Fatalf("pool holds %d after a damaged file", g.pool.Count())
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("damaged file left in place")
			}
			aside, err := os.ReadFile(path + ".damaged")
			if err != nil || string(aside) != string(tc.data) {
				t.Fatalf("damaged file not kept aside unchanged: %v", err)
			}
		})
	}
}
