package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestExplorerInBrowser opens a node's explorer in headless Chromium as a
// person would: the home page's tip, a block from the recent list and its
// transactions, the search box, and the home page following a new block
// without a reload, with no console error on any page.
func TestExplorerInBrowser(t *testing.T) {
	// The browser starts first so that it outlives the node: the node must stop
	// cleanly while the home page still holds its event stream open.
	b := startBrowser(t, 10*time.Minute)
	n := startNode(t, "n1", "--explorer")
	payer, payee := newWallet(t, n, "payer"), newWallet(t, n, "payee")
	payer.must("create")
	payee.must("create")
	payerAddr := payer.must("address")["address"].(string)
	payeeAddr := payee.must("address")["address"].(string)
	n.generate(101, payerAddr) // the first coinbase matures
	txid, _ := payer.must("send", "--to", payeeAddr, "--amount", "3.25")["txid"].(string)
	if txid == "" {
		t.Fatal("wallet send printed no txid")
	}
	payBlock := n.generate(1, payerAddr)[0]
	height := n.status().Height
	base := n.info.RPCURL + "/explorer/"
	const step = 30 * time.Second

	// Home: the tip height, and the newest block first in the recent list.
	b.run("open the home page", step, chromedp.Navigate(base), chromedp.WaitVisible("#tip-height", chromedp.ByQuery))
	if got := b.text("#tip-height"); got != strconv.FormatUint(height, 10) {
		t.Fatalf("#tip-height shows %q, the node is at height %d", got, height)
	}
	first := `#recent-blocks a[href^="/explorer/block/"]`
	if href := b.attr(first, "href"); href != "/explorer/block/"+payBlock {
		t.Fatalf("first recent block links to %q, want the tip /explorer/block/%s", href, payBlock)
	}

	// The tip's block page lists the payment and the coinbase.
	b.run("follow the newest block link", step, chromedp.Click(first, chromedp.ByQuery), chromedp.WaitVisible("#block-txs", chromedp.ByQuery))
	if loc := b.location(); !strings.HasSuffix(loc, "/explorer/block/"+payBlock) {
		t.Fatalf("block link led to %s", loc)
	}
	var txLinks []*cdp.Node
	b.run("read the block's transactions", step, chromedp.Nodes(`#block-txs a[href^="/explorer/tx/"]`, &txLinks, chromedp.ByQueryAll))
	var linked []string
	for _, l := range txLinks {
		linked = append(linked, strings.TrimPrefix(l.AttributeValue("href"), "/explorer/tx/"))
	}
	if len(linked) != 2 || !slices.Contains(linked, txid) {
		t.Fatalf("#block-txs links to transactions %v, want the coinbase and the payment %s", linked, txid)
	}

	// The search box finds a transaction and an address from any page.
	b.search(txid, "#txid")
	if loc := b.location(); !strings.HasSuffix(loc, "/explorer/tx/"+txid) {
		t.Fatalf("search for the payment landed on %s, want /explorer/tx/%s", loc, txid)
	}
	if got := b.text("#txid"); got != txid {
		t.Fatalf("#txid shows %q, want %s", got, txid)
	}
	b.screenshot("explorer-tx.png")
	b.search(payeeAddr, "#balance")
	if loc := b.location(); !strings.HasSuffix(loc, "/explorer/address/"+payeeAddr) {
		t.Fatalf("search for the payee landed on %s, want /explorer/address/%s", loc, payeeAddr)
	}
	if got := b.text("#balance"); !strings.HasPrefix(got, "3.25") {
		t.Fatalf("#balance shows %q for the payee, want the 3.25 coins paid", got)
	}

	// The other pages load without console errors too.
	for _, page := range []string{"mempool", "peers"} {
		b.run("open the "+page+" page", step, chromedp.Navigate(base+page), chromedp.WaitVisible("main h1", chromedp.ByQuery))
	}

	// Live update: a block mined while the home page is open shows up without a reload.
	b.drainStreams()
	b.run("open the home page again", step, chromedp.Navigate(base), chromedp.WaitVisible("#tip-height", chromedp.ByQuery))
	b.waitStream("/explorer/events", step)
	b.run("mark the page", step, chromedp.Evaluate(`window.notReloaded = true`, nil))
	next := n.generate(1, payerAddr)[0]
	want := strconv.FormatUint(height+1, 10)
	var updated bool
	b.run("wait for the new tip without a reload", time.Minute, chromedp.Poll(fmt.Sprintf(
		`document.querySelector("#tip-height").textContent.trim() === %q &&
		 document.querySelector(%q).getAttribute("href") === %q`, want, first, "/explorer/block/"+next),
		&updated, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
	var same bool
	b.run("check the page was not reloaded", step, chromedp.Evaluate(`window.notReloaded === true`, &same))
	if !same {
		t.Fatal("the home page reloaded to show the new block; it should update in place")
	}
	b.screenshot("explorer-home.png")
	b.checkNoProblems()
}

// search types query into the page's search box, presses Enter and waits
// for an element matching sel on the page it lands on.
func (b *browser) search(query, sel string) {
	b.t.Helper()
	input := `form#search input[name="q"]`
	b.run("search for "+query, 30*time.Second,
		chromedp.Clear(input, chromedp.ByQuery),
		chromedp.SendKeys(input, query+kb.Enter, chromedp.ByQuery),
		chromedp.WaitVisible(sel, chromedp.ByQuery))
}

// text returns the trimmed text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run("read "+sel, 30*time.Second, chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

// attr returns attribute name of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	var v string
	var ok bool
	b.run("read "+sel+" "+name, 30*time.Second, chromedp.AttributeValue(sel, name, &v, &ok, chromedp.ByQuery))
	if !ok {
		b.t.Fatalf("%s has no %s attribute", sel, name)
	}
	return v
}

// location returns the tab's URL.
func (b *browser) location() string {
	b.t.Helper()
	var u string
	b.run("read the location", 30*time.Second, chromedp.Location(&u))
	return u
}
