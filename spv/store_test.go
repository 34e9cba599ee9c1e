package spv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
)

// FuzzOpenHeaderStore feeds arbitrary bytes to the header store: opening
// never panics, keeps only whole records whose checksum holds, and either
// yields a client or a clear error.
func FuzzOpenHeaderStore(f *testing.F) {
	bl := chaintest.Builder{Params: params, Miner: miner}
	parent := params.Genesis()
	seed := filepath.Join(f.TempDir(), "seed.dat")
	s, _, err := openHeaderStore(seed)
	if err != nil {
		f.Fatal(err)
	}
	for h := uint64(1); h <= 3; h++ {
		b := bl.Next(parent.Header, h, 0)
		parent = b
		if err := s.append([]block.Header{b.Header}); err != nil {
			f.Fatal(err)
		}
	}
	s.close()
	valid, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(append(valid[:2*recordSize:2*recordSize], 7, 7, 7))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "headers-"+params.Name+".dat")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Open(dir, params, quiet)
		if err != nil {
			return
		}
		defer c.Close()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size()%recordSize != 0 || info.Size() > int64(len(data)) {
			t.Fatalf("store of %d bytes after opening %d bytes", info.Size(), len(data))
		}
		if best := c.Best(); best.Height > uint64(info.Size()/recordSize) {
			t.Fatalf("best height %d from %d records", best.Height, info.Size()/recordSize)
		}
	})
}
