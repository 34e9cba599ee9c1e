package explorer_test

import (
	"strings"
	"testing"

	"github.com/ledgerd/ledger/explorer"
)

func TestStaticFiles(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	cases := []struct {
		name, contentType, contains string
	}{
		{"explorer.js", "text/javascript; charset=utf-8", "new EventSource('/explorer/events')"},
		{"explorer.css", "text/css; charset=utf-8", "#recent-blocks"},
		{"favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get("/explorer/static/" + tc.name)
			if w.Code != 200 || w.Header().Get("Content-Type") != tc.contentType {
				t.Fatalf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
			}
			if !strings.Contains(w.Body.String(), tc.contains) {
				t.Fatalf("body lacks %q", tc.contains)
			}
		})
	}
}
