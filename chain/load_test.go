package chain

import (
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/internal/wire"
)

// A version 1 store (index entries without arrival order) is upgraded on
// open, and the connected tip keeps winning ties with equal-work branches.
func TestVersion1StoreIsUpgraded(t *testing.T) {
	p := chaincfg.Regtest
	now := p.GenesisTime + 1000
	for round := 0; round < 8; round++ {
		dir := t.TempDir()
		c := openTest(t, dir)
		main := buildBlocks(p, p.Genesis(), 4, chaintest.NewKey(1))
		var blocks = main
		for k := 0; k < 3; k++ {
			bl := chaintest.Builder{Params: p, Miner: chaintest.NewKey(uint64(20 + 3*round + k))}
			blocks = append(blocks, bl.Next(main[2].Header, 4, 0))
		}
		for _, b := range blocks {
			if _, err := c.ProcessBlock(b, now); err != nil {
				t.Fatal(err)
			}
		}
		want := c.Tip()
		// Rewrite the store as version 1 wrote it.
		batch := new(leveldb.Batch)
		err := c.store.iterate([]byte{prefixIndex}, func(k, v []byte) error {
			e, err := decodeIndexEntry(v, storeVersion)
			if err != nil {
				return err
			}
			b := e.header.AppendEncode(nil)
			b = wire.AppendUint64(b, e.height)
			b = append(b, byte(e.status))
			batch.Put(append([]byte(nil), k...), wire.AppendBytes(b, e.work.Bytes()))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		batch.Put([]byte(keyVersion), []byte{1})
		if err := c.store.write(batch); err != nil {
			t.Fatal(err)
		}
		c.Close()

		for reopen := 0; reopen < 2; reopen++ {
			c = openTest(t, dir)
			if got := c.Tip(); got.Hash != want.Hash {
				t.Fatalf("round %d: upgraded store reopened on %s, want %s", round, got.Hash, want.Hash)
			}
			v, _, err := c.store.get([]byte(keyVersion))
			if err != nil || len(v) != 1 || v[0] != storeVersion {
				t.Fatalf("store version after upgrade %v (%v), want %d", v, err, storeVersion)
			}
			c.Close()
		}
	}
}
