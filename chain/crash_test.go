package chain

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
)

// These tests stop the chain between its atomic writes, as a crash would,
// and check that reopening the store finishes the job consistently.

func buildBlocks(p *chaincfg.Params, parent *block.Block, n int, miner chaintest.Key) []*block.Block {
	bl := chaintest.Builder{Params: p, Miner: miner}
	var out []*block.Block
	for i := 0; i < n; i++ {
		b := bl.Next(parent.Header, uint64(i)+1, 0)
		out = append(out, b)
		parent = b
	}
	return out
}

func openTest(t *testing.T, dir string) *Chain {
	t.Helper()
	c, err := Open(dir, chaincfg.Regtest, Options{NoSync: true, SigWorkers: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return c
}

func TestCrashAfterStoringBlockBeforeConnecting(t *testing.T) {
	p := chaincfg.Regtest
	dir := t.TempDir()
	c := openTest(t, dir)
	blocks := buildBlocks(p, p.Genesis(), 3, chaintest.NewKey(1))
	for _, b := range blocks[:2] {
		if _, err := c.ProcessBlock(b, p.GenesisTime+1000); err != nil {
			t.Fatal(err)
		}
	}
	// Crash: the third block's data and index entry are written, its connect batch is not.
	c.mu.Lock()
	if err := c.acceptBlock(blocks[2], blocks[2].Hash(), p.GenesisTime+1000, ProcessOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	c.mu.Unlock()
	c.Close()

	c = openTest(t, dir)
	defer c.Close()
	if tip := c.Tip(); tip.Hash != blocks[2].Hash() || tip.Height != 3 {
		t.Fatalf("after reopen tip is %s at %d, want the stored block at 3", tip.Hash, tip.Height)
	}
}

func TestCrashInTheMiddleOfAReorg(t *testing.T) {
	p := chaincfg.Regtest
	dir := t.TempDir()
	c := openTest(t, dir)
	now := p.GenesisTime + 1000
	main := buildBlocks(p, p.Genesis(), 5, chaintest.NewKey(1))
	alt := buildBlocks(p, p.Genesis(), 6, chaintest.NewKey(2))
	for _, b := range main {
		if _, err := c.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
	// Crash: the heavier branch is stored, and the old tip half disconnected, nothing connected yet.
	c.mu.Lock()
	for _, b := range alt {
		if err := c.acceptBlock(b, b.Hash(), now, ProcessOptions{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if _, err := c.disconnectTip(); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Unlock()
	c.Close()

	c = openTest(t, dir)
	if tip := c.Tip(); tip.Hash != alt[5].Hash() {
		t.Fatalf("after reopen tip is %s at %d, want the heavier branch's tip", tip.Hash, tip.Height)
	}
	got, _, _ := c.UTXOSetHash()
	c.Close()

	fresh := openTest(t, t.TempDir())
	defer fresh.Close()
	for _, b := range alt {
		if _, err := fresh.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
	want, _, _ := fresh.UTXOSetHash()
	if got != want {
		t.Fatalf("UTXO set after crash recovery differs from a clean build")
	}
}
