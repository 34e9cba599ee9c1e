package p2p

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// fakePEXServer starts a host whose peer exchange lists n made-up peers.
func fakePEXServer(t *testing.T, n int) *Host {
	t.Helper()
	srv := newHostWith(t, Config{NoPEX: true})
	var entries []pexEntry
	for range n {
		entries = append(entries, pexEntry{ID: newPeerID(t).String(), Addrs: []string{"/ip4/127.0.0.1/tcp/9"}})
	}
	list, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle(pexProtocol, 0, func(context.Context, peer.ID, []byte) ([]byte, error) { return list, nil })
	return srv
}

// hangingDials makes h's peer-exchange dials hang until the host closes,
// counting those running and the most at once.
func hangingDials(h *Host) (running, most *atomic.Int64) {
	running, most = new(atomic.Int64), new(atomic.Int64)
	h.pexDial = func(ctx context.Context, info peer.AddrInfo) error {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-ctx.Done()
		running.Add(-1)
		return ctx.Err()
	}
	return running, most
}

func newPEXClient(t *testing.T) *Host {
	t.Helper()
	// NoPEX: no exchange starts by itself; the test calls exchange.
	h, err := New(context.Background(), Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: "test", Logger: quiet, NoPEX: true})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCloseWaitsForPeerExchangeDials: Close returns only once the dials an
// exchange started have ended. The dials outlive the host's context until
// the test sees Close waiting on its goroutines; a Close that did not wait
// for them returns first, and the count (and the race detector, for the
// dials' unsynchronised write) fail.
func TestCloseWaitsForPeerExchangeDials(t *testing.T) {
	srv := fakePEXServer(t, pexDialLimit)
	a := newPEXClient(t)
	var started, cancelled atomic.Int64
	release := make(chan struct{})
	ended := 0 // written by each dial as it returns, under mu; read after Close without it
	var mu sync.Mutex
	a.pexDial = func(ctx context.Context, info peer.AddrInfo) error {
		started.Add(1)
		<-ctx.Done()
		cancelled.Add(1)
		<-release
		mu.Lock()
		ended++
		mu.Unlock()
		return ctx.Err()
	}
	if err := a.Connect(context.Background(), srv.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	a.exchange(srv.PeerID())
	waitUntil(t, "the exchange's dials", func() bool { return started.Load() == pexDialLimit })
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	waitUntil(t, "the dials to see the host close", func() bool { return cancelled.Load() == pexDialLimit })
	waitUntil(t, "Close to wait for the host's goroutines", closeIsWaiting)
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if ended != pexDialLimit {
		t.Fatalf("Close returned with %d of %d peer-exchange dials ended", ended, pexDialLimit)
	}
}

// closeIsWaiting reports whether a goroutine is in Host.Close waiting on a WaitGroup.
func closeIsWaiting() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sync.(*WaitGroup).Wait") && strings.Contains(g, "p2p.(*Host).Close") {
			return true
		}
	}
	return false
}

// TestPeerExchangeDialsAreBounded: however many exchanges ask, at most
// pexMaxDials dials run at once; exchanges waiting for a slot give up when
// the host closes.
func TestPeerExchangeDialsAreBounded(t *testing.T) {
	a := newPEXClient(t)
	running, most := hangingDials(a)
	var exchanges sync.WaitGroup
	for range 3 { // 3 x pexDialLimit candidates > pexMaxDials
		srv := fakePEXServer(t, pexDialLimit)
		if err := a.Connect(context.Background(), srv.Addrs()[0]); err != nil {
			t.Fatal(err)
		}
		exchanges.Add(1)
		go func() {
			defer exchanges.Done()
			a.exchange(srv.PeerID())
		}()
	}
	waitUntil(t, "the dials to fill their bound", func() bool { return running.Load() == pexMaxDials })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	exchanges.Wait()
	if most.Load() != pexMaxDials || running.Load() != 0 {
		t.Fatalf("%d peer-exchange dials at once (want %d), %d left after Close", most.Load(), pexMaxDials, running.Load())
	}
}

func TestNoOwnedGoroutineStartsAfterClose(t *testing.T) {
	h := newHost(t, t.TempDir())
	if !h.goOwned(func() {}) {
		t.Fatal("goOwned refused to start before Close")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if h.goOwned(func() { t.Error("ran after Close") }) {
		t.Fatal("goOwned started a goroutine after Close")
	}
}

// The dial slot a dial holds is handed back when it ends, so later exchanges dial again.
func TestPeerExchangeDialSlotsAreReturned(t *testing.T) {
	srv := fakePEXServer(t, pexMaxDials+pexDialLimit)
	a := newHostWith(t, Config{})
	var dials atomic.Int64
	a.pexDial = func(context.Context, peer.AddrInfo) error { dials.Add(1); return context.Canceled }
	if err := a.Connect(context.Background(), srv.Addrs()[0]); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		a.exchange(srv.PeerID())
	}
	waitUntil(t, "every slot back", func() bool { return len(a.pexDials) == 0 && dials.Load() >= 3*pexDialLimit })
}
