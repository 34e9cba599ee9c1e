package explorer_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/explorer"
)

// TestEveryResponseCarriesTheSecurityHeaders, pages, errors and static
// files alike: the CSP allows only the node itself.
func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	}
	for _, path := range []string{"/explorer/", "/explorer/block/1", "/explorer/block/zz", "/explorer/nope",
		"/explorer/static/explorer.js", "/explorer/static/explorer.css", "/explorer/static/favicon.svg", "/explorer/search?q=x"} {
		w := f.get(path)
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Fatalf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}

// TestPagesLoadNothingInlineOrOutside: no inline script or style (which the
// CSP would block), and every src and href stays on the node.
func TestPagesLoadNothingInlineOrOutside(t *testing.T) {
	f := newFixture(t, fixtureHeight, explorer.Config{})
	for _, path := range []string{"/explorer/", "/explorer/block/" + f.hashAt(paidHeight), "/explorer/tx/" + f.paid.ID().String(),
		"/explorer/address/" + f.address(f.miner), "/explorer/mempool", "/explorer/peers", "/explorer/block/zz"} {
		status := http.StatusOK
		if strings.HasSuffix(path, "zz") {
			status = http.StatusBadRequest
		}
		doc := f.page(t, path, status)
		for _, s := range all(doc, "script") {
			if attr(s, "src") != "/explorer/static/explorer.js" || text(s) != "" {
				t.Fatalf("%s: script %v with %q", path, s.Attr, text(s))
			}
		}
		if n := len(all(doc, "style")); n != 0 {
			t.Fatalf("%s: %d inline style elements", path, n)
		}
		for _, tag := range []string{"a", "link", "script", "img", "form"} {
			for _, el := range all(doc, tag) {
				for _, a := range el.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Fatalf("%s: inline %s attribute on <%s>", path, a.Key, tag)
					}
					if (a.Key == "href" || a.Key == "src" || a.Key == "action") && !strings.HasPrefix(a.Val, "/explorer/") {
						t.Fatalf("%s: <%s %s=%q> leaves the explorer", path, tag, a.Key, a.Val)
					}
				}
			}
		}
		form := mustID(t, doc, "search")
		if attr(form, "method") != "GET" || attr(form, "action") != "/explorer/search" {
			t.Fatalf("%s: search form %v", path, form.Attr)
		}
	}
}

// TestNoHTMLInjection: text from the query string, the path and the peers
// (which remote nodes choose) is escaped wherever it lands.
func TestNoHTMLInjection(t *testing.T) {
	const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	f := newFixture(t, spendHeight, explorer.Config{})
	f.node.peers = []explorer.Peer{{ID: evil, Addr: evil, Since: f.now}}
	esc := url.QueryEscape(evil)
	cases := []struct {
		name, path string
		status     int
	}{
		{"search box and message", "/explorer/search?q=" + esc, http.StatusNotFound},
		{"block id", "/explorer/block/" + url.PathEscape(evil), http.StatusBadRequest},
		{"tx id", "/explorer/tx/" + url.PathEscape(evil), http.StatusBadRequest},
		{"address", "/explorer/address/" + url.PathEscape(evil), http.StatusBadRequest},
		{"page number", "/explorer/mempool?page=" + esc, http.StatusBadRequest},
		{"peers", "/explorer/peers", http.StatusOK},
		{"static name", "/explorer/static/" + url.PathEscape(evil), http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(tc.path)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			body := w.Body.String()
			for _, raw := range []string{"<script>alert", "<img src=x", `"><`} {
				if strings.Contains(body, raw) {
					t.Fatalf("body contains %q unescaped:\n%s", raw, body)
				}
			}
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Fatalf("the text is not shown escaped:\n%s", body)
			}
		})
	}
}

func TestPanicBecomesErrorPage(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	f.node.panic = true
	w := f.get("/explorer/peers")
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	checkErrorPage(t, "/explorer/peers", w.Body.String())
	if strings.Contains(w.Body.String(), "exploded") {
		t.Fatal("the panic's value reached the page")
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{RateLimit: 1e-6, RateBurst: 2})
	for i, want := range []int{200, 200, 429} {
		w := f.get("/explorer/static/explorer.css")
		if w.Code != want {
			t.Fatalf("request %d: status %d, want %d", i, w.Code, want)
		}
	}
}
