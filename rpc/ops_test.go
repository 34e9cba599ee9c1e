package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/internal/wait"
)

// opsBackend adds the operator endpoints to the test backend.
type opsBackend struct {
	backend
	bus     *events.Bus
	stopped chan struct{}
}

func (o *opsBackend) Stop(context.Context) (*StopResult, error) {
	close(o.stopped)
	return &StopResult{Stopping: true}, nil
}
func (o *opsBackend) Mempool(context.Context) (*MempoolResult, error) {
	return &MempoolResult{Count: 1, Txs: []MempoolEntry{{TxID: "ab", FeeRate: 2, Size: 100}}}, nil
}
func (o *opsBackend) AddPeer(_ context.Context, r PeerRequest) (*PeerChangeResult, error) {
	if r.Addr == "" {
		return nil, BadRequest("no address")
	}
	return &PeerChangeResult{ID: r.Addr, Connected: true, Saved: true}, nil
}
func (o *opsBackend) RemovePeer(_ context.Context, r PeerRequest) (*PeerChangeResult, error) {
	return &PeerChangeResult{ID: r.Addr}, nil
}
func (o *opsBackend) Subscribe(context.Context) (*events.Sub, error) { return o.bus.Subscribe(8), nil }

func TestOpsEndpoints(t *testing.T) {
	b := &opsBackend{bus: &events.Bus{}, stopped: make(chan struct{})}
	srv := httptest.NewServer(NewHandler(b, "secret", quiet))
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "secret")
	ctx := context.Background()
	if res, err := c.Stop(ctx); err != nil || !res.Stopping {
		t.Fatalf("stop: %+v %v", res, err)
	}
	select {
	case <-b.stopped:
	default:
		t.Fatal("stop did not reach the backend")
	}
	if res, err := c.Mempool(ctx); err != nil || res.Count != 1 || res.Txs[0].TxID != "ab" {
		t.Fatalf("mempool: %+v %v", res, err)
	}
	if _, err := c.AddPeer(ctx, ""); err == nil {
		t.Fatal("adding an empty address succeeded")
	}
	if res, err := c.AddPeer(ctx, "/ip4/127.0.0.1/tcp/1/p2p/x"); err != nil || !res.Saved {
		t.Fatalf("add peer: %+v %v", res, err)
	}
	// A plain backend has no operator endpoints: 404, not a crash.
	plain := httptest.NewServer(NewHandler(backend{}, "secret", quiet))
	t.Cleanup(plain.Close)
	var re *Error
	if _, err := NewClient(plain.URL, "secret").Mempool(ctx); !errors.As(err, &re) || re.Status != 404 {
		t.Fatalf("mempool on a backend without it: %v", err)
	}
}

func TestEventStream(t *testing.T) {
	b := &opsBackend{bus: &events.Bus{}, stopped: make(chan struct{})}
	srv := httptest.NewServer(NewHandler(b, "secret", quiet))
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "secret")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan events.Event, 4)
	done := make(chan error, 1)
	go func() {
		done <- c.Events(ctx, func(raw json.RawMessage) error {
			var ev events.Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				return err
			}
			got <- ev
			return nil
		})
	}()
	// Publish only once the stream is subscribed, as a node would between events.
	wait.For(t, 10*time.Second, "the stream to subscribe", func() bool { return b.bus.Subscribers() > 0 })
	b.bus.Publish(events.Event{Type: events.TypeBlock, Hash: "00ab", Height: 3})
	b.bus.Publish(events.Event{Type: events.TypeTx, TxID: "cd"})
	for _, want := range []string{"block", "tx"} {
		select {
		case ev := <-got:
			if ev.Type != want {
				t.Fatalf("event %+v, want type %s", ev, want)
			}
			if want == "block" && (ev.Hash != "00ab" || ev.Height != 3) {
				t.Fatalf("block event %+v", ev)
			}
		case <-ctx.Done():
			t.Fatalf("no %s event", want)
		}
	}
	// Closing the bus (the node stopping) ends the stream cleanly.
	b.bus.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stream ended with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("stream did not end when the bus closed")
	}
}

// TestEventStreamOutlivesReadTimeout: a stream stays open and delivers past
// the server's read timeout.
func TestEventStreamOutlivesReadTimeout(t *testing.T) {
	b := &opsBackend{bus: &events.Bus{}, stopped: make(chan struct{})}
	srv := httptest.NewUnstartedServer(NewHandler(b, "secret", quiet))
	const readTimeout = 100 * time.Millisecond
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan string, 1)
	go NewClient(srv.URL, "secret").Events(ctx, func(raw json.RawMessage) error {
		got <- string(raw)
		return nil
	})
	wait.For(t, 10*time.Second, "the stream to subscribe", func() bool { return b.bus.Subscribers() > 0 })
	// Let the read deadline pass (the condition under test is time itself).
	<-time.After(3 * readTimeout)
	if b.bus.Subscribers() != 1 {
		t.Fatal("the stream ended at the server's read timeout")
	}
	b.bus.Publish(events.Event{Type: events.TypeBlock, Height: 9})
	select {
	case raw := <-got:
		if !strings.Contains(raw, `"height":9`) {
			t.Fatalf("event %s", raw)
		}
	case <-ctx.Done():
		t.Fatal("no event after the read timeout passed")
	}
}
