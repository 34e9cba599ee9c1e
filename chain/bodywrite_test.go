package chain

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
)

// A block's body is stored beside its checks (writeBeside). When that write
// fails, ProcessBlock still reports it, and the connect that would refer to
// the body never reaches the store: the tip stays where it was.
func TestFailedBodyWriteIsReportedAndNothingConnects(t *testing.T) {
	blocks := spendingChain(chaincfg.Regtest, chaintest.NewKey(1), 4)
	c := openCached(t, t.TempDir(), 1<<20)
	now := chaincfg.Regtest.GenesisTime + 1_000_000
	for _, b := range blocks[:3] {
		if _, err := c.ProcessBlock(b, now); err != nil {
			t.Fatalf("block %s: %v", b.Hash(), err)
		}
	}
	// Every write to leveldb fails from here on, as on a failing disk.
	if err := c.store.db.Close(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() }) // its flush fails too; nothing to check

	_, err := c.ProcessBlock(blocks[3], now)
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("block on a store that cannot write: got %v, want the write's error", err)
	}
	if tip := c.Tip(); tip.Hash != blocks[2].Hash() {
		t.Fatalf("tip moved to %s at height %d after a failed body write", tip.Hash, tip.Height)
	}
	want := blocks[2].Hash()
	if e, ok := c.store.cache.lookup([]byte(keyTip)); !ok || !bytes.Equal(e.value, want[:]) {
		t.Fatalf("the cache holds tip %x (held %v), want %s: a connect reached the store before the body", e.value, ok, want)
	}
}
