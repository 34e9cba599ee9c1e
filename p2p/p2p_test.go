package p2p

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/internal/wait"
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
	wait.For(t, 15*time.Second, what, cond)
}

func connected(a, b *Host) bool {
	for _, p := range a.Peers() {
		if p.ID == b.PeerID() {
			return true
		}
	}
	return false
}

// inMesh reports whether h is in the mesh of t.
func inMesh(t *Topic, h *Host) bool { return slices.Contains(t.MeshPeers(), h.PeerID()) }

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
	// A handler that answers only after the test ends: only the caller's
	// deadline can end the request.
	release := make(chan struct{})
	defer close(release)
	server.Handle("slow/1", 16, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		<-release
		return nil, nil
	})
	slowCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = client.Request(slowCtx, server.PeerID(), "slow/1", nil, 64)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("request to a handler that never answers: %v, want a timeout", err)
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
	// Wait for the line to be a mesh, so that each message is pushed along it.
	waitUntil(t, "a-b-c mesh", func() bool {
		return inMesh(ta, b) && inMesh(tb, a) && inMesh(tb, c) && inMesh(tc, b)
	})
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
	var rejected atomic.Int64 // junk the victim has judged
	_, err := victim.JoinTopic("t", func(ctx context.Context, from peer.ID, data []byte) Verdict {
		if strings.HasPrefix(string(data), "junk") {
			rejected.Add(1)
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
	waitUntil(t, "the victim in the attacker's mesh", func() bool { return inMesh(ta, victim) })
	banned := func() bool { return victim.IsBanned(attacker.PeerID()) }
	for i := int64(0); i < 8 && !banned(); i++ {
		// Each message needs new content to pass the seen-message cache; the
		// next is sent once the victim has judged this one.
		ta.Publish(ctx, []byte("junk"+strings.Repeat(" ", int(i))))
		waitUntil(t, "the victim to judge the junk", func() bool { return rejected.Load() > i || banned() })
	}
	waitUntil(t, "attacker banned", banned)
	waitUntil(t, "attacker disconnected", func() bool { return !connected(victim, attacker) && !connected(attacker, victim) })
	// The ban covers the attacker's address: the victim refuses the connection before the handshake.
	if err := attacker.Connect(context.Background(), victim.Addrs()[0]); err == nil {
		t.Fatal("banned peer reconnected")
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
