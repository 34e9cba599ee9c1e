package chain_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// quiet discards the chain's logs in tests.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness drives a chain on a temporary store with a main chain built by the test.
type harness struct {
	t      *testing.T
	dir    string
	params *chaincfg.Params
	c      *chain.Chain
	b      chaintest.Builder
	now    int64
	main   []*block.Block // main[h] is the block at height h
}

func newHarness(t *testing.T) *harness {
	return newHarnessWith(t, chaincfg.Regtest)
}

func newHarnessWith(t *testing.T, p *chaincfg.Params) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), params: p, now: p.GenesisTime + 1_000_000}
	h.b = chaintest.Builder{Params: p, Miner: chaintest.NewKey(1)}
	h.open()
	h.main = []*block.Block{p.Genesis()}
	return h
}

func (h *harness) open() {
	h.t.Helper()
	c, err := chain.Open(h.dir, h.params, chain.Options{NoSync: true, SigWorkers: 1, Logger: quiet})
	if err != nil {
		h.t.Fatalf("open chain: %v", err)
	}
	h.c = c
	h.t.Cleanup(func() { c.Close() })
}

func (h *harness) reopen() {
	h.t.Helper()
	if err := h.c.Close(); err != nil {
		h.t.Fatalf("close: %v", err)
	}
	h.open()
}

func (h *harness) tip() *block.Block { return h.main[len(h.main)-1] }

func (h *harness) height() uint64 { return uint64(len(h.main) - 1) }

// next builds (but does not submit) a block on the main tip.
func (h *harness) next(fees int64, txs ...*tx.Tx) *block.Block {
	return h.b.Next(h.tip().Header, h.height()+1, fees, txs...)
}

// submit processes b and fails the test on any error.
func (h *harness) submit(b *block.Block) *chain.Result {
	h.t.Helper()
	res, err := h.c.ProcessBlock(b, h.now)
	if err != nil {
		h.t.Fatalf("process block at height %d: %v", b.Txs[0].Coinbase.Height, err)
	}
	return res
}

// extend mines n blocks on the main tip, each with the given txs in the first.
func (h *harness) extend(n int, txs ...*tx.Tx) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		b := h.next(0, txs...)
		txs = nil
		h.submit(b)
		h.main = append(h.main, b)
	}
}

// coinbaseSpend returns the spend of the coinbase output at height.
func (h *harness) coinbaseSpend(height uint64) chaintest.Spend {
	return chaintest.SpendOf(h.main[height].Txs[0], 0, h.b.Miner)
}

// pay builds a signed transaction spending s to a fresh key, paying fee.
func (h *harness) pay(s chaintest.Spend, fee int64) *tx.Tx {
	return chaintest.SignedTx(h.params.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - fee, PubKey: chaintest.NewKey(99).Pub}})
}

func codeOf(err error) rule.Code {
	c, _ := rule.CodeOf(err)
	return c
}

func (h *harness) requireTip(want *block.Block) {
	h.t.Helper()
	if got := h.c.Tip().Hash; got != want.Hash() {
		h.t.Fatalf("tip is %s, want %s", got, want.Hash())
	}
}
