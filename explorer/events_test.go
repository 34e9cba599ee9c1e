package explorer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/explorer"
)

// openStream connects to /explorer/events and returns a channel of the
// records' data lines, keyed by event name.
func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, <-chan [2]string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/explorer/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	out := make(chan [2]string, 8)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				out <- [2]string{name, v}
			}
		}
	}()
	return resp, out
}

// waitSubscribers waits until the bus has n subscribers.
func waitSubscribers(t *testing.T, ctx context.Context, bus *events.Bus, n int) {
	t.Helper()
	for bus.Subscribers() != n {
		select {
		case <-ctx.Done():
			t.Fatalf("%d subscribers, want %d", bus.Subscribers(), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestLiveEvents: the stream needs no cookie and sends blocks, mempool
// arrivals and reorgs in the shape the home page's script reads.
func TestLiveEvents(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{})
	srv := httptest.NewServer(f.ex)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, recs := openStream(t, ctx, srv.URL)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	waitSubscribers(t, ctx, f.bus, 1)
	hash := f.hashAt(spendHeight)
	f.bus.Publish(events.Event{Type: events.TypeBlock, Hash: hash, Height: spendHeight, Time: f.params.GenesisTime, Txs: 2})
	f.bus.Publish(events.Event{Type: events.TypeTx, TxID: f.pending.ID().String()})
	f.bus.Publish(events.Event{Type: events.TypeReorg, NewTip: hash, OldTip: "00"})
	want := []struct {
		name string
		json map[string]any
	}{
		{"block", map[string]any{"type": "block", "height": float64(spendHeight), "hash": hash, "time": "2026-01-01 00:00:00 UTC",
			"txs": float64(2), "mempool_count": float64(1), "mempool_bytes": float64(f.pending.Size())}},
		{"tx", map[string]any{"type": "tx", "txid": f.pending.ID().String(), "mempool_count": float64(1), "mempool_bytes": float64(f.pending.Size())}},
		{"reorg", map[string]any{"type": "reorg", "new_tip": hash, "mempool_count": float64(1), "mempool_bytes": float64(f.pending.Size())}},
	}
	for _, w := range want {
		select {
		case rec := <-recs:
			var got map[string]any
			if err := json.Unmarshal([]byte(rec[1]), &got); err != nil {
				t.Fatalf("%s: %v", rec[1], err)
			}
			if rec[0] != w.name || len(got) != len(w.json) {
				t.Fatalf("record %s %v, want %s %v", rec[0], got, w.name, w.json)
			}
			for k, v := range w.json {
				if got[k] != v {
					t.Fatalf("%s: %s = %v, want %v", w.name, k, got[k], v)
				}
			}
		case <-ctx.Done():
			t.Fatalf("no %s record", w.name)
		}
	}
	// The node stopping (its bus closing) ends the stream.
	f.bus.Close()
	select {
	case _, open := <-recs:
		if open {
			t.Fatal("a record after the bus closed")
		}
	case <-ctx.Done():
		t.Fatal("stream open after the bus closed")
	}
}

func TestStreamsAreBounded(t *testing.T) {
	f := newFixture(t, spendHeight, explorer.Config{MaxStreams: 1})
	srv := httptest.NewServer(f.ex)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	openStream(t, ctx, srv.URL)
	waitSubscribers(t, ctx, f.bus, 1)
	w := f.get("/explorer/events")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second stream: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	checkErrorPage(t, "/explorer/events", w.Body.String())
}
