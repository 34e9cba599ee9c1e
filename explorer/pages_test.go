package explorer_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/explorer"
	"github.com/ledgerd/ledger/tx"
)

const fixtureHeight = 130

// TestStatusesAndRedirects: every route answers the right status, and
// redirects go where they should.
func TestStatusesAndRedirects(t *testing.T) {
	f := newFixture(t, fixtureHeight, explorer.Config{})
	paidID, pendingID := f.paid.ID().String(), f.pending.ID().String()
	alice := f.address(f.alice)
	unknown := strings.Repeat("ab", 32)
	testnetAddr := tx.EncodeAddress("ltn", f.alice.Pub)
	cases := []struct {
		name, path string
		status     int
		location   string // for redirects
	}{
		{"home", "/explorer/", 200, ""},
		{"block by hash", "/explorer/block/" + f.hashAt(5), 200, ""},
		{"genesis", "/explorer/block/" + f.hashAt(0), 200, ""},
		{"block by height", "/explorer/block/5", 303, "/explorer/block/" + f.hashAt(5)},
		{"block at height 0", "/explorer/block/0", 303, "/explorer/block/" + f.hashAt(0)},
		{"block above tip", "/explorer/block/131", 404, ""},
		{"block height overflowing", "/explorer/block/99999999999999999999999", 400, ""},
		{"negative height", "/explorer/block/-1", 400, ""},
		{"unknown block", "/explorer/block/" + unknown, 404, ""},
		{"malformed block", "/explorer/block/xyz", 400, ""},
		{"block hash too short", "/explorer/block/" + unknown[:63], 400, ""},
		{"confirmed tx", "/explorer/tx/" + paidID, 200, ""},
		{"coinbase tx", "/explorer/tx/" + f.blocks[7].Txs[0].ID().String(), 200, ""},
		{"mempool tx", "/explorer/tx/" + pendingID, 200, ""},
		{"unknown tx", "/explorer/tx/" + unknown, 404, ""},
		{"malformed tx", "/explorer/tx/12", 400, ""},
		{"address", "/explorer/address/" + alice, 200, ""},
		{"address page 1", "/explorer/address/" + alice + "?page=1", 200, ""},
		{"unused address", "/explorer/address/" + f.address(f.bob) + "?page=1", 200, ""},
		{"address page 0", "/explorer/address/" + alice + "?page=0", 400, ""},
		{"address negative page", "/explorer/address/" + alice + "?page=-3", 400, ""},
		{"address page not a number", "/explorer/address/" + alice + "?page=two", 400, ""},
		{"address empty page", "/explorer/address/" + alice + "?page=", 400, ""},
		{"address page overflowing", "/explorer/address/" + alice + "?page=99999999999999999999", 400, ""},
		{"address page past the end", "/explorer/address/" + alice + "?page=2", 404, ""},
		{"address huge page", "/explorer/address/" + alice + "?page=1000000000", 404, ""},
		{"malformed address", "/explorer/address/lrt1nope", 400, ""},
		{"other network's address", "/explorer/address/" + testnetAddr, 400, ""},
		{"mempool", "/explorer/mempool", 200, ""},
		{"mempool page past the end", "/explorer/mempool?page=2", 404, ""},
		{"mempool bad page", "/explorer/mempool?page=-1", 400, ""},
		{"peers", "/explorer/peers", 200, ""},
		{"search height", "/explorer/search?q=12", 303, "/explorer/block/" + f.hashAt(12)},
		{"search height with spaces", "/explorer/search?q=+12+", 303, "/explorer/block/" + f.hashAt(12)},
		{"search block hash", "/explorer/search?q=" + f.hashAt(9), 303, "/explorer/block/" + f.hashAt(9)},
		{"search block hash upper case", "/explorer/search?q=" + strings.ToUpper(f.hashAt(9)), 303, "/explorer/block/" + f.hashAt(9)},
		{"search txid", "/explorer/search?q=" + paidID, 303, "/explorer/tx/" + paidID},
		{"search mempool txid", "/explorer/search?q=" + pendingID, 303, "/explorer/tx/" + pendingID},
		{"search address", "/explorer/search?q=" + alice, 303, "/explorer/address/" + alice},
		{"search height above tip", "/explorer/search?q=500", 404, ""},
		{"search unknown hash", "/explorer/search?q=" + unknown, 404, ""},
		{"search nonsense", "/explorer/search?q=hello", 404, ""},
		{"search empty", "/explorer/search?q=", 400, ""},
		{"search missing", "/explorer/search", 400, ""},
		{"search too long", "/explorer/search?q=" + strings.Repeat("a", 201), 400, ""},
		{"unknown page", "/explorer/nope", 404, ""},
		{"nested unknown path", "/explorer/block/" + f.hashAt(1) + "/extra", 404, ""},
		{"static directory", "/explorer/static/", 404, ""},
		{"missing static file", "/explorer/static/nope.js", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(tc.path)
			if w.Code != tc.status {
				t.Fatalf("GET %s: status %d, want %d; body:\n%s", tc.path, w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tc.location {
				t.Fatalf("GET %s: Location %q, want %q", tc.path, got, tc.location)
			}
			if tc.status >= 400 {
				checkErrorPage(t, tc.path, w.Body.String())
			}
		})
	}
}

// checkErrorPage: an error is a whole page with the search form and a
// message, never a stack trace or Go error text.
func checkErrorPage(t *testing.T, path, body string) {
	t.Helper()
	for _, want := range []string{"<!DOCTYPE html>", `id="search"`, `id="error-message"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("GET %s: error page lacks %s:\n%s", path, want, body)
		}
	}
	for _, bad := range []string{"goroutine ", ".go:", "panic", "runtime."} {
		if strings.Contains(body, bad) {
			t.Fatalf("GET %s: error page shows %q:\n%s", path, bad, body)
		}
	}
}

func TestMethodsOtherThanGetRefused(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		w := f.do(method, "/explorer/")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Fatalf("%s: status %d, Allow %q", method, w.Code, w.Header().Get("Allow"))
		}
	}
	if w := f.do(http.MethodHead, "/explorer/"); w.Code != http.StatusOK {
		t.Fatalf("HEAD: status %d", w.Code)
	}
}

func TestHomePage(t *testing.T) {
	f := newFixture(t, fixtureHeight, explorer.Config{})
	f.node.peers = []explorer.Peer{{ID: "peer-a", Addr: "/ip4/127.0.0.1/tcp/1", Since: f.now}}
	doc := f.page(t, "/explorer/", 200)
	if got := text(mustID(t, doc, "tip-height")); got != strconv.Itoa(fixtureHeight) {
		t.Fatalf("tip height %q, want %d", got, fixtureHeight)
	}
	rows := bodyRows(t, mustID(t, doc, "recent-blocks"))
	if len(rows) != 20 {
		t.Fatalf("%d recent blocks, want 20", len(rows))
	}
	for i, row := range rows {
		want := "/explorer/block/" + f.hashAt(fixtureHeight-i)
		if l := links(row, "/explorer/block/"); len(l) == 0 || l[0] != want {
			t.Fatalf("recent row %d links %v, want %s first (newest first)", i, l, want)
		}
	}
	if got := text(mustID(t, doc, "mempool-count")); got != "1" {
		t.Fatalf("mempool count %q", got)
	}
	// Two charts, one point per block after height 1 (the genesis interval is left out).
	charts := all(doc, "svg")
	if len(charts) != 2 {
		t.Fatalf("%d charts, want 2", len(charts))
	}
	for _, c := range charts {
		lines := all(c, "polyline")
		if len(lines) != 1 {
			t.Fatalf("chart has %d lines", len(lines))
		}
		if n := len(strings.Fields(attr(lines[0], "points"))); n != fixtureHeight-1 {
			t.Fatalf("chart has %d points, want %d", n, fixtureHeight-1)
		}
	}
	body := f.get("/explorer/").Body.String()
	for _, want := range []string{"1.0000 bits", "caught up", `<a href="/explorer/peers">1</a>`} {
		if !strings.Contains(body, want) {
			t.Fatalf("home page lacks %q", want)
		}
	}
}

func TestHomeShowsSyncProgress(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	f.node.sync = explorer.Sync{Syncing: true, Blocks: 104, Headers: 400, Progress: 0.26, ETA: 90e9}
	doc := f.page(t, "/explorer/", 200)
	if got, want := text(mustID(t, doc, "sync")), "26.0%: block 104 of 400, about 1m30s left"; got != want {
		t.Fatalf("sync %q, want %q", got, want)
	}
}

func TestBlockPage(t *testing.T) {
	f := newFixture(t, fixtureHeight, explorer.Config{})
	cases := []struct {
		height     int
		prev, next bool
		confs      string
	}{
		{0, false, true, strconv.Itoa(fixtureHeight + 1)},
		{paidHeight, true, true, strconv.Itoa(fixtureHeight - paidHeight + 1)},
		{fixtureHeight, true, false, "1"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.height), func(t *testing.T) {
			b := f.blocks[tc.height]
			doc := f.page(t, "/explorer/block/"+f.hashAt(tc.height), 200)
			if got := text(mustID(t, doc, "block-hash")); got != f.hashAt(tc.height) {
				t.Fatalf("hash %q", got)
			}
			if got := text(mustID(t, doc, "confirmations")); got != tc.confs {
				t.Fatalf("confirmations %q, want %s", got, tc.confs)
			}
			rows := bodyRows(t, mustID(t, doc, "block-txs"))
			if len(rows) != len(b.Txs) {
				t.Fatalf("%d rows for %d txs", len(rows), len(b.Txs))
			}
			for i, row := range rows {
				if l := links(row, "/explorer/tx/"); len(l) != 1 || l[0] != "/explorer/tx/"+b.Txs[i].ID().String() {
					t.Fatalf("row %d links %v", i, l)
				}
			}
			if prev := byID(doc, "prev-block"); (prev != nil) != tc.prev || (prev != nil && attr(prev, "href") != "/explorer/block/"+f.hashAt(tc.height-1)) {
				t.Fatalf("prev link %v, want present=%v", prev, tc.prev)
			}
			if next := byID(doc, "next-block"); (next != nil) != tc.next || (next != nil && attr(next, "href") != "/explorer/block/"+f.hashAt(tc.height+1)) {
				t.Fatalf("next link %v, want present=%v", next, tc.next)
			}
		})
	}
}

// TestStaleBlockPage: a block the chain stores off its main chain says so,
// confirms nothing and has no child link.
func TestStaleBlockPage(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	// A rival of the tip with as much work: stored, but the tip seen first stays.
	rival := chaintest.Builder{Params: f.params, Miner: chaintest.NewKey(7)}.Next(f.blocks[spendHeight-1].Header, spendHeight, 0)
	if res, err := f.chain.ProcessBlock(rival, f.now.Unix()); err != nil || res.MainChain {
		t.Fatalf("rival block: main chain %v, %v", res != nil && res.MainChain, err)
	}
	doc := f.page(t, "/explorer/block/"+rival.Hash().String(), 200)
	if got := text(mustID(t, doc, "confirmations")); got != "0 (not on the main chain)" {
		t.Fatalf("confirmations %q", got)
	}
	if byID(doc, "next-block") != nil {
		t.Fatal("a stale block links to a child")
	}
	if prev := mustID(t, doc, "prev-block"); attr(prev, "href") != "/explorer/block/"+f.hashAt(spendHeight-1) {
		t.Fatalf("prev link %q", attr(prev, "href"))
	}
	if body := f.get("/explorer/block/" + rival.Hash().String()).Body.String(); !strings.Contains(body, "not on the main chain: it is on a stale branch") {
		t.Fatal("the page does not say the block is stale")
	}
}

func TestTxPage(t *testing.T) {
	f := newFixture(t, fixtureHeight, explorer.Config{})
	alice, bob, miner := f.address(f.alice), f.address(f.bob), f.address(f.miner)
	cases := []struct {
		name string
		tx   string
		want []string // substrings of the page
	}{
		{"confirmed payment", f.paid.ID().String(), []string{
			"confirmed in block", fmt.Sprintf("%d confirmation(s)", fixtureHeight-paidHeight+1),
			"0.00001000 (" + rate(1000, f.paid.Size()) + " units/byte)",
			`href="/explorer/address/` + alice + `"`, `href="/explorer/address/` + miner + `"`,
			"the proof leads to the header's Merkle root", "Leaf 1 of 2",
			// Alice's output is spent by the next block's transaction; the change is not.
			"<td>spent</td>", "<td>unspent</td>",
		}},
		{"confirmed spend", f.spend.ID().String(), []string{
			`href="/explorer/tx/` + f.paid.ID().String() + `"`, "10.00000000", `href="/explorer/address/` + bob + `"`,
		}},
		{"coinbase", f.blocks[7].Txs[0].ID().String(), []string{"new coins: coinbase of height 7", "none (coinbase)", "Leaf 0 of 1"}},
		{"mempool", f.pending.ID().String(), []string{"unconfirmed: in the mempool", "0.00002000"}},
		{"spent in the mempool", f.blocks[2].Txs[0].ID().String(), []string{"spent in the mempool by", `href="/explorer/tx/` + f.pending.ID().String() + `"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := f.page(t, "/explorer/tx/"+tc.tx, 200)
			if got := text(mustID(t, doc, "txid")); got != tc.tx {
				t.Fatalf("txid %q, want %s", got, tc.tx)
			}
			body := f.get("/explorer/tx/" + tc.tx).Body.String()
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Fatalf("page lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func rate(fee int64, size int) string { return fmt.Sprintf("%.2f", float64(fee)/float64(size)) }

func TestAddressPage(t *testing.T) {
	f := newFixture(t, fixtureHeight, explorer.Config{})
	// The miner has a coinbase in every block, the change of the payment,
	// and spent the coinbase of block 1: 130 + 1 transactions in the history.
	minerBalance := int64(0)
	for h := 1; h <= fixtureHeight; h++ {
		minerBalance += f.params.Subsidy(uint64(h))
	}
	minerBalance += 1000 + 500 - f.params.Subsidy(1) + f.paid.Outputs[1].Amount
	cases := []struct {
		name    string
		addr    string
		page    int
		balance int64
		rows    int
		first   string // the first row's txid
	}{
		{"alice", f.address(f.alice), 1, 6*tx.UnitsPerCoin - 500, 2, f.spend.ID().String()},
		{"bob", f.address(f.bob), 1, 4 * tx.UnitsPerCoin, 1, f.spend.ID().String()},
		{"nobody", f.address(chaintest.NewKey(99)), 1, 0, 0, ""},
		{"miner first page", f.address(f.miner), 1, minerBalance, 25, f.blocks[fixtureHeight].Txs[0].ID().String()},
		{"miner last page", f.address(f.miner), 6, minerBalance, 6, f.blocks[6].Txs[0].ID().String()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := f.page(t, fmt.Sprintf("/explorer/address/%s?page=%d", tc.addr, tc.page), 200)
			if got, want := text(mustID(t, doc, "balance")), tx.FormatAmount(tc.balance); got != want {
				t.Fatalf("balance %q, want %s", got, want)
			}
			rows := bodyRows(t, mustID(t, doc, "address-history"))
			if tc.rows == 0 {
				if len(rows) != 1 || !strings.Contains(text(rows[0]), "No transactions") {
					t.Fatalf("empty history rows: %d", len(rows))
				}
				return
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			if l := links(rows[0], "/explorer/tx/"); len(l) != 1 || l[0] != "/explorer/tx/"+tc.first {
				t.Fatalf("first row links %v, want %s", l, tc.first)
			}
		})
	}
	// Paging links: the first page points to the second only, the last to the one before only.
	first := f.page(t, "/explorer/address/"+f.address(f.miner), 200)
	if l := relLinks(first); len(l) != 1 || l["next"] != "/explorer/address/"+f.address(f.miner)+"?page=2" {
		t.Fatalf("first page's pager %v", l)
	}
	last := f.page(t, "/explorer/address/"+f.address(f.miner)+"?page=6", 200)
	if l := relLinks(last); len(l) != 1 || l["prev"] != "/explorer/address/"+f.address(f.miner)+"?page=5" {
		t.Fatalf("last page's pager %v", l)
	}
	f.page(t, "/explorer/address/"+f.address(f.miner)+"?page=7", 404)
}

// relLinks maps the rel attribute of the page's links to their hrefs.
func relLinks(doc *html.Node) map[string]string {
	out := map[string]string{}
	for _, a := range all(doc, "a") {
		if rel := attr(a, "rel"); rel != "" {
			out[rel] = attr(a, "href")
		}
	}
	return out
}
