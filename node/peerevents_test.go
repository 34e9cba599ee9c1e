package node

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/blocksync"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
)

// TestPeerEventsTakeTheStateAtDelivery delivers a peer's connect,
// reconnect and, last, the disconnect that came between them (the host runs
// each callback on a goroutine of its own, so they can arrive so): the
// machine must still know the peer, which is connected, and ask it for its
// status; and forget it once it is gone.
func TestPeerEventsTakeTheStateAtDelivery(t *testing.T) {
	c, err := chain.Open(t.TempDir(), chaincfg.Regtest, chain.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := blocksync.New(chaincfg.Regtest, c, blocksync.Config{})
	s := newSyncer(nil, blocksync.Config{})
	connected := map[peer.ID]bool{}
	s.connected = func(id peer.ID) bool { return connected[id] }
	now := time.Unix(1_000_000, 0)
	deliver := func() {
		for _, ev := range s.events {
			ev(m, now)
		}
		s.events = nil
		now = now.Add(time.Hour) // past any status interval
		m.Tick(now)
	}
	asked := func(id peer.ID) bool {
		for _, a := range m.Ready() {
			if a.Kind == blocksync.SendStatus && a.Peer == id {
				return true
			}
		}
		return false
	}
	id := peer.ID("peer-a")
	connected[id] = true
	s.peerChanged(id) // connected
	s.peerChanged(id) // connected again
	s.peerChanged(id) // the disconnect between the two, delivered last
	deliver()
	if !asked(id) {
		t.Fatal("a connected peer whose old disconnect arrived last is not asked for its status")
	}
	connected[id] = false
	s.peerChanged(id)
	deliver()
	if asked(id) {
		t.Fatal("a disconnected peer is still asked for its status")
	}
}
