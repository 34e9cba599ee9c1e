package p2p

import (
	"context"
	"crypto/rand"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// hostOn starts a host listening on ip, so that its connections come from
// that address (Linux routes all of 127.0.0.0/8 to the loopback interface).
func hostOn(t *testing.T, ip string, cfg Config) *Host {
	t.Helper()
	cfg.ListenAddrs, cfg.Network, cfg.Logger, cfg.NoPEX = []string{"/ip4/" + ip + "/tcp/0"}, "test", quiet, true
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// remoteIP is the address victim sees a connected peer at.
func remoteIP(victim *Host, id peer.ID) string {
	for _, p := range victim.Peers() {
		if p.ID == id {
			return p.Addr
		}
	}
	return ""
}

func TestNewKeyFromABannedAddressIsRefused(t *testing.T) {
	victim := hostOn(t, "127.0.0.1", Config{})
	honest := hostOn(t, "127.0.0.1", Config{})
	attacker := hostOn(t, "127.0.0.2", Config{})
	ctx := context.Background()
	for _, h := range []*Host{honest, attacker} {
		if err := h.Connect(ctx, victim.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "both connected", func() bool { return connected(victim, honest) && connected(victim, attacker) })
	if addr := remoteIP(victim, attacker.PeerID()); !strings.HasPrefix(addr, "/ip4/127.0.0.2/") {
		t.Fatalf("attacker seen at %q, want 127.0.0.2", addr)
	}
	victim.Penalize(attacker.PeerID(), BanThreshold, "served junk")
	waitUntil(t, "attacker disconnected", func() bool { return !connected(victim, attacker) })
	bans := victim.Banned()
	if len(bans) != 2 || bans[0].Target != PeerTarget(attacker.PeerID()) || bans[1].Target.String() != "127.0.0.2" {
		t.Fatalf("bans %+v, want the attacker's ID and 127.0.0.2", bans)
	}

	// The same key, and a fresh key from the same address, are refused both ways.
	fresh := hostOn(t, "127.0.0.2", Config{})
	for _, h := range []*Host{attacker, fresh} {
		if err := h.Connect(ctx, victim.Addrs()[0]); err == nil {
			waitUntil(t, "refused connection closed", func() bool { return !connected(victim, h) && !connected(h, victim) })
		}
	}
	if err := victim.Connect(ctx, fresh.Addrs()[0]); err == nil {
		t.Fatal("victim dialled a banned address")
	}
	if !connected(victim, honest) {
		t.Fatal("the honest peer on another address lost its connection")
	}
	late := hostOn(t, "127.0.0.1", Config{})
	if err := late.Connect(ctx, victim.Addrs()[0]); err != nil {
		t.Fatalf("a new honest peer was refused: %v", err)
	}

	// An explicit ban of an address disconnects everything from it.
	target, _ := ParseBanTarget("127.0.0.1")
	if _, err := victim.Ban(target, time.Hour, "operator"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "peers on the banned address disconnected", func() bool { return !connected(victim, honest) && !connected(victim, late) })
	if err := victim.Unban(target); err != nil {
		t.Fatal(err)
	}
	if err := honest.Connect(ctx, victim.Addrs()[0]); err != nil {
		t.Fatalf("reconnect after unban: %v", err)
	}
}

func TestConnectionsPerAddressAreCappedOnLoopbackWhenAsked(t *testing.T) {
	victim := hostOn(t, "127.0.0.1", Config{MaxPeersPerIP: 2, CapLoopback: true})
	ctx := context.Background()
	var crowd []*Host
	for range 4 {
		h := hostOn(t, "127.0.0.3", Config{})
		h.Connect(ctx, victim.Addrs()[0]) // the third and fourth are refused
		crowd = append(crowd, h)
	}
	from3 := func() int {
		n := 0
		for _, h := range crowd {
			if connected(victim, h) {
				n++
			}
		}
		return n
	}
	waitUntil(t, "two of the crowd connected", func() bool { return from3() == 2 })
	other := hostOn(t, "127.0.0.1", Config{})
	if err := other.Connect(ctx, victim.Addrs()[0]); err != nil {
		t.Fatalf("a peer on another address refused: %v", err)
	}
	if n := from3(); n != 2 {
		t.Fatalf("%d connections from 127.0.0.3, cap 2", n)
	}
}

func TestGossipFromABannedPeerIsDroppedUnvalidated(t *testing.T) {
	h := hostOn(t, "127.0.0.1", Config{})
	sender, relay := newPeerID(t), newPeerID(t)
	var calls atomic.Int32
	validate := h.topicValidator("t", func(context.Context, peer.ID, []byte) Verdict {
		calls.Add(1)
		return Reject
	})
	msg := func() *pubsub.Message {
		return &pubsub.Message{Message: &pb.Message{Data: []byte("junk")}, ReceivedFrom: sender}
	}
	ctx := context.Background()
	if got := validate(ctx, sender, msg()); got != pubsub.ValidationReject || calls.Load() != 1 {
		t.Fatalf("before the ban: %v after %d validations", got, calls.Load())
	}
	// Banned while more of its messages wait in the validation queue.
	if _, err := h.Ban(PeerTarget(sender), time.Hour, "test"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := validate(ctx, sender, msg()); got != pubsub.ValidationIgnore {
			t.Fatalf("message from a banned peer: %v, want ignored", got)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("validator ran %d times, want only before the ban", calls.Load())
	}
	// A message relayed by a banned peer is dropped too.
	relayed := msg()
	relayed.ReceivedFrom = relay
	if got := validate(ctx, sender, relayed); got != pubsub.ValidationIgnore || calls.Load() != 1 {
		t.Fatalf("relayed by a banned peer: %v after %d validations", got, calls.Load())
	}
	// So is one a banned peer wrote, whoever relays it.
	authored := msg()
	authored.ReceivedFrom, authored.From = relay, []byte(sender)
	if got := validate(ctx, relay, authored); got != pubsub.ValidationIgnore || calls.Load() != 1 {
		t.Fatalf("written by a banned peer: %v after %d validations", got, calls.Load())
	}
	if h.gater.scores[relay] != nil {
		t.Fatal("a dropped message cost its relay points")
	}
}

func TestBannedPeerIsNotServed(t *testing.T) {
	server := hostOn(t, "127.0.0.1", Config{})
	client := hostOn(t, "127.0.0.1", Config{})
	served := atomic.Int32{}
	server.Handle("echo/1", 16, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		served.Add(1)
		return req, nil
	})
	ctx := context.Background()
	if err := client.Connect(ctx, server.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Request(ctx, server.PeerID(), "echo/1", []byte("hi"), 16); err != nil {
		t.Fatal(err)
	}
	// Banned in the gater only, so the connection is still open, as it is
	// for a request that arrives while the ban is being applied.
	server.gater.ban(PeerTarget(client.PeerID()), time.Hour, "test")
	if _, err := client.Request(ctx, server.PeerID(), "echo/1", []byte("hi"), 16); err == nil {
		t.Fatal("banned peer served")
	}
	if served.Load() != 1 {
		t.Fatalf("handler ran %d times, want once", served.Load())
	}
}

func TestPeerPenalisedAfterLeavingIsBannedByItsLastAddress(t *testing.T) {
	victim := hostOn(t, "127.0.0.1", Config{})
	attacker := hostOn(t, "127.0.0.4", Config{})
	if err := attacker.Connect(context.Background(), victim.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "connected", func() bool { return connected(victim, attacker) })
	attacker.Disconnect(victim.PeerID())
	waitUntil(t, "gone", func() bool { return !connected(victim, attacker) })
	victim.Penalize(attacker.PeerID(), BanThreshold, "never served the blocks it announced")
	bans := victim.Banned()
	if len(bans) != 2 || bans[1].Target.String() != "127.0.0.4" {
		t.Fatalf("bans %+v, want the ID and its last address 127.0.0.4", bans)
	}
}

func TestRecentAddressesAreBounded(t *testing.T) {
	r := newRecentAddrs()
	first := newPeerID(t)
	for i := range 6 {
		r.note(first, netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}))
	}
	if got := r.of(first); len(got) != 4 || got[3] != mustAddr("203.0.113.5") {
		t.Fatalf("addresses of one peer: %v, want the latest 4", got)
	}
	for range maxRecentPeers {
		r.note(peer.ID(newPeerIDBytes(t)), mustAddr("198.51.100.1"))
	}
	if len(r.of(first)) != 0 || len(r.addrs) != maxRecentPeers {
		t.Fatalf("oldest peer not forgotten: %d peers held", len(r.addrs))
	}
}

// newPeerIDBytes is a cheap distinct peer ID for bounds tests (not a real key).
func newPeerIDBytes(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
