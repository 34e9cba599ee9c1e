package explorer_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/explorer"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/tx"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Heights of the fixture's transactions; every other block pays only its coinbase.
const (
	paidHeight  = 103 // the miner pays alice from the coinbase of block 1
	spendHeight = 104 // alice pays bob
)

// fixture is an explorer over a real regtest chain built block by block,
// with a real mempool holding one transaction.
type fixture struct {
	params *chaincfg.Params
	chain  *chain.Chain
	pool   *mempool.Pool
	bus    *events.Bus
	node   *testNode
	ex     *explorer.Explorer
	// blocks[h] is the main-chain block at height h.
	blocks               []*block.Block
	miner, alice, bob    chaintest.Key
	paid, spend, pending *tx.Tx
	now                  time.Time
}

// testNode stands in for the node's peer list and sync state, which need
// a network; the chain and mempool under test are real.
type testNode struct {
	peers []explorer.Peer
	sync  explorer.Sync
	panic bool
}

func (n *testNode) Peers() []explorer.Peer {
	if n.panic {
		panic("peers exploded")
	}
	return n.peers
}

func (n *testNode) Sync() explorer.Sync { return n.sync }

// newFixture builds a chain of height blocks (at least spendHeight) and an
// explorer over it; cfg's Source is filled in.
func newFixture(tb testing.TB, height int, cfg explorer.Config) *fixture {
	tb.Helper()
	if height < spendHeight {
		tb.Fatalf("fixture needs at least %d blocks", spendHeight)
	}
	p := chaincfg.Regtest
	c, err := chain.Open(tb.TempDir(), p, chain.Options{NoSync: true, SigWorkers: 1, Logger: quiet})
	if err != nil {
		tb.Fatalf("open chain: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	f := &fixture{params: p, chain: c, bus: &events.Bus{}, blocks: []*block.Block{p.Genesis()},
		miner: chaintest.NewKey(1), alice: chaintest.NewKey(2), bob: chaintest.NewKey(3),
		node: &testNode{sync: explorer.Sync{Progress: 1}}}
	f.now = time.Unix(p.GenesisTime+int64(height)+3600, 0)
	bl := chaintest.Builder{Params: p, Miner: f.miner}
	f.paid = chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(f.coinbase(bl, 1), 0, f.miner)},
		[]tx.TxOut{{Amount: 10 * tx.UnitsPerCoin, PubKey: f.alice.Pub}, {Amount: p.Subsidy(1) - 10*tx.UnitsPerCoin - 1000, PubKey: f.miner.Pub}})
	f.spend = chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(f.paid, 0, f.alice)},
		[]tx.TxOut{{Amount: 4 * tx.UnitsPerCoin, PubKey: f.bob.Pub}, {Amount: 6*tx.UnitsPerCoin - 500, PubKey: f.alice.Pub}})
	for h := 1; h <= height; h++ {
		var b *block.Block
		switch h {
		case paidHeight:
			b = bl.Next(f.blocks[h-1].Header, uint64(h), 1000, f.paid)
		case spendHeight:
			b = bl.Next(f.blocks[h-1].Header, uint64(h), 500, f.spend)
		default:
			b = bl.Next(f.blocks[h-1].Header, uint64(h), 0)
		}
		if _, err := c.ProcessBlock(b, f.now.Unix()); err != nil {
			tb.Fatalf("block %d: %v", h, err)
		}
		f.blocks = append(f.blocks, b)
	}
	f.pool = mempool.New(p, c, mempool.Config{})
	f.pending = chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(f.blocks[2].Txs[0], 0, f.miner)},
		[]tx.TxOut{{Amount: 3 * tx.UnitsPerCoin, PubKey: f.bob.Pub}, {Amount: p.Subsidy(2) - 3*tx.UnitsPerCoin - 2000, PubKey: f.miner.Pub}})
	if _, err := f.pool.Accept(f.pending); err != nil {
		tb.Fatalf("mempool: %v", err)
	}
	cfg.Source = explorer.Source{Chain: c, Mempool: f.pool, Node: f.node, Events: f.bus}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return f.now }
	}
	if f.ex, err = explorer.New(cfg); err != nil {
		tb.Fatalf("explorer: %v", err)
	}
	return f
}

// coinbase returns the coinbase the builder gives the block at height h
// (blocks are deterministic, so it is the one the chain will hold).
func (f *fixture) coinbase(bl chaintest.Builder, h uint64) *tx.Tx {
	return chaintest.Coinbase(h, bl.Miner.Pub, bl.Params.Subsidy(h))
}

func (f *fixture) address(k chaintest.Key) string {
	return tx.EncodeAddress(f.params.AddressHRP, k.Pub)
}

func (f *fixture) hashAt(h int) string { return f.blocks[h].Hash().String() }

// get serves one GET request.
func (f *fixture) get(path string) *httptest.ResponseRecorder {
	return f.do(http.MethodGet, path)
}

func (f *fixture) do(method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.ex.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

// page serves path, checks it answered status with HTML, and parses it.
func (f *fixture) page(t *testing.T, path string, status int) *html.Node {
	t.Helper()
	w := f.get(path)
	if w.Code != status {
		t.Fatalf("GET %s: status %d, want %d; body:\n%s", path, w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("GET %s: content type %q", path, ct)
	}
	doc, err := html.Parse(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("GET %s: parse: %v", path, err)
	}
	return doc
}

// byID finds the element with id, or nil.
func byID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode && attr(n, "id") == id {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := byID(c, id); found != nil {
			return found
		}
	}
	return nil
}

// mustID is byID failing the test when the element is missing.
func mustID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	n := byID(doc, id)
	if n == nil {
		t.Fatalf("no element with id %q", id)
	}
	return n
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// text is the text inside n.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// all returns the elements named tag under n, in document order.
func all(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// bodyRows returns the rows of a table's tbody.
func bodyRows(t *testing.T, table *html.Node) []*html.Node {
	t.Helper()
	bodies := all(table, "tbody")
	if len(bodies) != 1 {
		t.Fatalf("table %q has %d tbody elements", attr(table, "id"), len(bodies))
	}
	return all(bodies[0], "tr")
}

// links returns the hrefs under n that start with prefix.
func links(n *html.Node, prefix string) []string {
	var out []string
	for _, a := range all(n, "a") {
		if h := attr(a, "href"); strings.HasPrefix(h, prefix) {
			out = append(out, h)
		}
	}
	return out
}
