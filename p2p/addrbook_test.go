package p2p

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestAddedPeerSurvivesRestartUntilRemoved(t *testing.T) {
	dirA := t.TempDir()
	b := newHost(t, t.TempDir())
	a := newHost(t, dirA)
	ctx := context.Background()
	id, ok, err := a.AddPeer(ctx, b.Addrs()[0])
	if err != nil || !ok || id != b.PeerID() || !a.InAddrBook(id) {
		t.Fatalf("add peer: id %s connected %v err %v in book %v", id, ok, err, a.InAddrBook(id))
	}
	if _, _, err := a.AddPeer(ctx, "/ip4/127.0.0.1/tcp/1"); err == nil {
		t.Fatal("added an address without /p2p/ID")
	}
	a.Close()

	// Restarted on the same data directory, it finds b again by itself.
	a2 := newHost(t, dirA)
	waitUntil(t, "the restarted host to reconnect to the added peer", func() bool { return connected(a2, b) })
	if _, saved, err := a2.RemovePeer(b.PeerID().String()); err != nil || !saved {
		t.Fatalf("remove: saved %v err %v", saved, err)
	}
	waitUntil(t, "the removed peer to be disconnected", func() bool { return !connected(a2, b) })
	if _, _, err := a2.RemovePeer("not-a-peer"); err == nil {
		t.Fatal("removing garbage succeeded")
	}
	a2.Close()
	a3 := newHost(t, dirA)
	if a3.InAddrBook(b.PeerID()) {
		t.Fatal("a removed peer came back from the address book")
	}
}

func TestKnownPeersAreRedialledAfterRestart(t *testing.T) {
	dirA := t.TempDir()
	b := newHost(t, t.TempDir())
	a := newHostWith(t, Config{DataDir: dirA, NoPEX: true})
	if err := a.Connect(context.Background(), b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "connection", func() bool { return connected(a, b) })
	a.Close() // records connected peers in peers.json
	a2 := newHostWith(t, Config{DataDir: dirA, NoPEX: true})
	waitUntil(t, "the restarted host to dial the peer it knew", func() bool { return connected(a2, b) })
}

func TestDamagedAddressBookIsSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, AddrBookFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	book, err := loadAddrBook(dir)
	if err != nil || len(book.entries) != 0 {
		t.Fatalf("damaged book: %v, %d entries", err, len(book.entries))
	}
	if data, err := os.ReadFile(path + ".bad"); err != nil || string(data) != "{not json" {
		t.Fatalf("damaged book not kept aside: %q %v", data, err)
	}
}

// FuzzLoadAddrBook: any peers.json loads (possibly empty) without a panic, and what loads saves again.
func FuzzLoadAddrBook(f *testing.F) {
	f.Add(`[{"id":"12D3KooWAzjuhTr3WwLVQvfDpmxp1zhpDpJ43qpgfiax8ZmyvNGY","addrs":["/ip4/127.0.0.1/tcp/1"],"added":true,"seen":5}]`)
	f.Add(`[{"id":"x","addrs":["garbage"]}]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, AddrBookFile), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		book, err := loadAddrBook(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(book.entries) > addrBookMax {
			t.Fatalf("%d entries loaded, more than %d", len(book.entries), addrBookMax)
		}
		book.list()
		if err := book.save(); err != nil {
			t.Fatal(err)
		}
	})
}

// A request made after RemovePeer (a peer-exchange callback that runs late,
// say) must not open the connection again: requests do not dial.
func TestRequestToARemovedPeerDoesNotReconnect(t *testing.T) {
	a := newHost(t, t.TempDir())
	b := newHost(t, t.TempDir())
	b.Handle("echo/1", 16, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) { return req, nil })
	if _, _, err := a.AddPeer(context.Background(), b.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	if resp, err := a.Request(context.Background(), b.PeerID(), "echo/1", []byte("hi"), 16); err != nil || string(resp) != "hi" {
		t.Fatalf("setup: request while connected: %q %v", resp, err)
	}
	if _, saved, err := a.RemovePeer(b.PeerID().String()); err != nil || !saved {
		t.Fatalf("remove: saved %v err %v", saved, err)
	}
	waitUntil(t, "the removed peer to be disconnected", func() bool { return !connected(a, b) })
	// The peerstore may still know an address of b (b's own identify, say):
	// give it one, so that only the request's refusal to dial stops it.
	a.h.Peerstore().AddAddrs(b.PeerID(), b.h.Addrs(), time.Minute)
	if _, err := a.Request(context.Background(), b.PeerID(), "echo/1", []byte("hi"), 16); err == nil {
		t.Fatal("a request to a peer that is not connected was answered")
	}
	if connected(a, b) || a.IsConnected(b.PeerID()) {
		t.Fatal("a request reconnected a removed peer")
	}
}
