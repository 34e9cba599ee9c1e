package p2p

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHost(t *testing.T, dir string, peers ...string) *Host {
	return newHostWith(t, Config{DataDir: dir, StaticPeers: peers})
}

func newHostWith(t *testing.T, cfg Config) *Host {
	t.Helper()
	cfg.ListenAddrs, cfg.Network, cfg.Logger = []string{"/ip4/127.0.0.1/tcp/0"}, "test", quiet
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func connected(a, b *Host) bool {
	for _, p := range a.Peers() {
		if p.ID == b.PeerID() {
			return true
		}
	}
	return false
}

func TestIdentityPersistsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	a := newHost(t, dir)
	id := a.PeerID()
	a.Close()
	if b := newHost(t, dir); b.PeerID() != id {
		t.Fatalf("peer ID changed across restart: %s -> %s", id, b.PeerID())
	}
	if !strings.HasSuffix(newHost(t, t.TempDir()).Addrs()[0], "") {
		t.Fatal("no address")
	}
}

func TestRequestResponse(t *testing.T) {
	server := newHost(t, t.TempDir())
	client := newHost(t, t.TempDir(), server.Addrs()[0])
	server.Handle("echo/1", 16, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		if string(req) == "fail" {
			return nil, errors.New("handler says no")
		}
		return append([]byte("echo:"), req...), nil
	})
	waitUntil(t, "connection", func() bool { return connected(client, server) })
	ctx := context.Background()
	resp, err := client.Request(ctx, server.PeerID(), "echo/1", []byte("hi"), 64)
	if err != nil || string(resp) != "echo:hi" {
		t.Fatalf("round trip: %q %v", resp, err)
	}
	if _, err := client.Request(ctx, server.PeerID(), "echo/1", []byte("fail"), 64); !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "handler says no") {
		t.Fatalf("handler error: %v", err)
	}
	if _, err := client.Request(ctx, server.PeerID(), "echo/1", []byte("0123456789"), 8); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("response over the limit: %v", err)
	}
	if _, err := client.Request(ctx, server.PeerID(), "echo/1", []byte(strings.Repeat("x", 17)), 64); err == nil {
		t.Fatal("request over the limit answered")
	}
	slowCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	server.Handle("slow/1", 16, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		time.Sleep(2 * time.Second)
		return nil, nil
	})
	start := time.Now()
	if _, err := client.Request(slowCtx, server.PeerID(), "slow/1", nil, 64); err == nil || time.Since(start) > time.Second {
		t.Fatalf("timeout not honoured: %v after %s", err, time.Since(start))
	}
}

func TestGossipRelaysValidAndStopsRejected(t *testing.T) {
	// A line a-b-c without peer exchange, so c hears a only through b.
	a := newHostWith(t, Config{NoPEX: true})
	b := newHostWith(t, Config{NoPEX: true, StaticPeers: a.Addrs()})
	c := newHostWith(t, Config{NoPEX: true, StaticPeers: b.Addrs()})
	accept := func(ctx context.Context, from peer.ID, data []byte) Verdict {
		if strings.HasPrefix(string(data), "bad") {
			return Reject
		}
		return Accept
	}
	ta, _ := a.JoinTopic("t", func(context.Context, peer.ID, []byte) Verdict { return Accept })
	tb, _ := b.JoinTopic("t", accept)
	tc, _ := c.JoinTopic("t", func(ctx context.Context, from peer.ID, data []byte) Verdict { return Accept })
	var got atomic.Value
	got.Store("")
	tc.Subscribe(func(from peer.ID, data []byte) { got.Store(string(data)) })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := ta.WaitForPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := tc.WaitForPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.WaitForPeers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let the mesh form
	if err := ta.Publish(ctx, []byte("good one")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "relay from a through b to c", func() bool { return got.Load() == "good one" })
	// b rejects "bad": c never sees it, even though a accepts its own message.
	if err := ta.Publish(ctx, []byte("bad one")); err != nil {
		t.Fatal(err)
	}
	ta.Publish(ctx, []byte("good two"))
	waitUntil(t, "the next good message", func() bool { return got.Load() == "good two" })
	if got.Load() == "bad one" {
		t.Fatal("rejected message was relayed")
	}
}

func TestRepeatedInvalidGossipGetsPeerBanned(t *testing.T) {
	honest := newHost(t, t.TempDir())
	victim := newHost(t, t.TempDir(), honest.Addrs()[0])
	attacker := newHost(t, t.TempDir())
	if err := attacker.Connect(context.Background(), victim.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	_, err := victim.JoinTopic("t", func(ctx context.Context, from peer.ID, data []byte) Verdict {
		if strings.HasPrefix(string(data), "junk") {
			return Reject
		}
		return Accept
	})
	if err != nil {
		t.Fatal(err)
	}
	// The honest peer applies the same rule, so it never relays the junk.
	honest.JoinTopic("t", func(ctx context.Context, from peer.ID, data []byte) Verdict {
		if strings.HasPrefix(string(data), "junk") {
			return Reject
		}
		return Accept
	})
	ta, _ := attacker.JoinTopic("t", func(context.Context, peer.ID, []byte) Verdict { return Accept })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := ta.WaitForPeers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	for i := 0; i < 8 && !victim.IsBanned(attacker.PeerID()); i++ {
		// Each message needs new content to pass the seen-message cache.
		ta.Publish(ctx, []byte("junk"+strings.Repeat(" ", i)))
		time.Sleep(200 * time.Millisecond)
	}
	waitUntil(t, "attacker banned", func() bool { return victim.IsBanned(attacker.PeerID()) })
	waitUntil(t, "attacker disconnected", func() bool { return !connected(victim, attacker) })
	if err := attacker.Connect(context.Background(), victim.Addrs()[0]); err == nil {
		time.Sleep(300 * time.Millisecond)
		if connected(victim, attacker) {
			t.Fatal("banned peer reconnected")
		}
	}
	if !connected(victim, honest) {
		t.Fatal("honest peer lost its connection")
	}
}

func TestPeerExchangeFindsOtherPeers(t *testing.T) {
	a := newHost(t, t.TempDir())
	b := newHost(t, t.TempDir(), a.Addrs()[0])
	waitUntil(t, "a-b", func() bool { return connected(b, a) })
	c := newHost(t, t.TempDir(), b.Addrs()[0])
	waitUntil(t, "c learns of a through b", func() bool { return connected(c, a) })
}
