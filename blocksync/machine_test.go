package blocksync

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
)

// Two honest peers on the same chain both serve blocks, and the download
// never runs further ahead of the chain than the window.
func TestDownloadsFromEveryAnnouncerWithinTheWindow(t *testing.T) {
	const window = 40
	s := newScenario(t, Config{Window: window, BlocksPerRequest: 4, RequestsPerPeer: 2})
	all, a, b := s.twoPeersAhead(t, 170)
	widest := 0
	onBlocksRequest(func() {
		ahead := 0
		for _, w := range s.victim.m.dl.want {
			if w.state != needed && w.state != done {
				ahead++
			}
		}
		widest = max(widest, ahead)
	}, a, b)
	s.victim.connect(a, b)
	s.victim.untilTip(all[len(all)-1].Hash(), time.Minute)
	if a.requests[SendBlocks] == 0 || b.requests[SendBlocks] == 0 {
		t.Fatalf("blocks asked of a %d times and of b %d times; want both", a.requests[SendBlocks], b.requests[SendBlocks])
	}
	if widest > window {
		t.Fatalf("%d blocks ahead of the chain, window is %d", widest, window)
	}
	s.victim.requireNotPenalized(a.id, b.id)
}

// A peer that disconnects mid-download leaves its blocks to the others.
func TestBlocksOfADisconnectedPeerGoToAnother(t *testing.T) {
	s := newScenario(t, Config{BlocksPerRequest: 2})
	all := append(append([]*block.Block{}, s.base...), s.ahead...)
	quitter := newPeer(t, "quitter", all)
	quitter.blocks = func([]chainhash.Hash) ([]byte, bool) {
		s.victim.queue = append(s.victim.queue, func() { s.victim.m.PeerDisconnected(s.victim.now, quitter.id) })
		return nil, false
	}
	s.victim.connect(quitter, s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	s.victim.requireNotPenalized(quitter.id, s.honest.id)
}

// The machine is deterministic: the same events give the same actions.
func TestSameEventsGiveSameActions(t *testing.T) {
	run := func() []string {
		s := newScenario(t, Config{BlocksPerRequest: 3})
		all := append(append([]*block.Block{}, s.base...), s.ahead...)
		other := newPeer(t, "other", all)
		s.victim.connect(s.honest, other)
		s.victim.untilTip(s.honestTip(), time.Minute)
		var out []string
		for _, a := range s.victim.log {
			out = append(out, fmt.Sprintf("%v %v", a, a.Hashes))
		}
		return out
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Fatalf("two runs of the same events differ:\n%v\n%v", first, second)
	}
}

// A node that was behind reconciles its mempool with every peer once it has
// caught up (a late joiner gets the transactions its peers hold), and again
// periodically.
func TestMempoolIsFetchedOnceSyncedAndPeriodically(t *testing.T) {
	s := newScenario(t, Config{MempoolInterval: time.Minute})
	count := func() (total, afterLastProcess int) {
		for _, a := range s.victim.log {
			switch a.Kind {
			case Process:
				afterLastProcess = 0
			case FetchMempool:
				total++
				afterLastProcess++
			}
		}
		return
	}
	s.victim.connect(s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	n, after := count()
	if after == 0 {
		t.Fatalf("no mempool fetch after catching up")
	}
	s.victim.advance(2 * time.Minute)
	if total, _ := count(); total <= n {
		t.Fatalf("no periodic mempool fetch in two minutes")
	}
}

// A relayed block whose parent we lack makes the machine ask its sender for
// headers, once at a time however many such blocks come.
func TestOrphanAnnouncementAsksForHeadersOnce(t *testing.T) {
	s := newScenario(t, Config{})
	more := s.syncThenHonestMines(t, 5)
	stall := s.honest.headers
	var held []func()
	s.honest.headers = func(q netproto.HeadersRequest) ([]byte, bool) {
		resp, _ := stall(q)
		held = append(held, func() {
			s.victim.m.HeadersResponse(s.victim.now, s.honest.id, s.victim.m.reqsFor(s.honest.id, SendHeaders), resp)
		})
		return nil, false
	}
	before := s.honest.requests[SendHeaders]
	for _, b := range more[1:] {
		s.victim.m.OrphanBlock(s.victim.now, s.honest.id, b.Hash())
		s.victim.run()
	}
	if n := s.honest.requests[SendHeaders] - before; n != 1 {
		t.Fatalf("%d headers requests for 4 orphans; want 1 in flight at a time", n)
	}
	s.honest.headers = stall
	for _, f := range held {
		f()
	}
	s.victim.untilTip(more[len(more)-1].Hash(), time.Minute)
	s.victim.requireNotPenalized(s.honest.id)
}

// A new peer is asked for its status as it connects, not at the next tick,
// so a node started with a peer syncs from it without waiting: here the
// victim reaches the honest tip with no tick at all.
func TestNewPeerIsAskedForItsStatusAtOnce(t *testing.T) {
	s := newScenario(t, Config{})
	n := s.victim
	n.peers[s.honest.id] = s.honest
	n.m.PeerConnected(n.now, s.honest.id)
	n.run()
	if tip := n.victim.Tip().Hash; tip != s.honestTip() {
		t.Fatalf("victim at height %d (%s) without a tick, want the honest tip %s", n.victim.Tip().Height, tip, s.honestTip())
	}
	n.requireNotPenalized(s.honest.id)
}

// A peer that cannot answer the status request made as it connects (it
// opened the connection before serving the protocol) is asked again at the
// next tick, not a status interval later.
func TestNewPeerIsAskedAgainAtTheNextTickUntilItAnswers(t *testing.T) {
	s := newScenario(t, Config{StatusInterval: time.Minute})
	n := s.victim
	serve := s.honest.status
	refused := 0
	s.honest.status = func() ([]byte, bool) {
		if refused == 0 {
			refused++
			req := n.m.reqsFor(s.honest.id, SendStatus)
			n.queue = append(n.queue, func() { n.m.RequestFailed(n.now, s.honest.id, req, Remote) })
			return nil, false
		}
		return serve()
	}
	n.peers[s.honest.id] = s.honest
	n.m.PeerConnected(n.now, s.honest.id)
	n.run()
	if refused != 1 || n.victim.Tip().Hash == s.honestTip() {
		t.Fatalf("setup: the first status request was not refused (%d refusals)", refused)
	}
	n.advance(time.Second)
	if got := s.honest.requests[SendStatus]; got != 2 {
		t.Fatalf("%d status requests a second after a refused one, want 2", got)
	}
	if tip := n.victim.Tip().Hash; tip != s.honestTip() {
		t.Fatalf("victim at height %d a second after connecting, want the honest tip", n.victim.Tip().Height)
	}
	n.advance(30 * time.Second)
	if got := s.honest.requests[SendStatus]; got != 2 {
		t.Fatalf("%d status requests within the status interval after the handshake, want 2", got)
	}
	n.requireNotPenalized(s.honest.id)
}
