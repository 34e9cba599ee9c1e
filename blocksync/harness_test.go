package blocksync

import (
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/netserve"
)

var params = chaincfg.Regtest

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openChain(t *testing.T) *chain.Chain {
	t.Helper()
	c, err := chain.Open(t.TempDir(), params, chain.Options{NoSync: true, SigWorkers: 1, Logger: quiet})
	if err != nil {
		t.Fatalf("open chain: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// mine builds n blocks on parent (at height) paying key seed.
func mine(parent block.Header, height uint64, n int, seed uint64) []*block.Block {
	bl := chaintest.Builder{Params: params, Miner: chaintest.NewKey(seed)}
	out := make([]*block.Block, 0, n)
	for i := 0; i < n; i++ {
		b := bl.Next(parent, height+uint64(i)+1, 0)
		out = append(out, b)
		parent = b.Header
	}
	return out
}

func load(t *testing.T, c *chain.Chain, blocks []*block.Block) {
	t.Helper()
	for _, b := range blocks {
		if _, err := c.ProcessBlock(b, clockStart.Unix()); err != nil {
			t.Fatalf("load block: %v", err)
		}
	}
}

var clockStart = time.Unix(params.GenesisTime+10_000_000, 0)

// scriptedPeer answers the victim's requests. By default it serves its own
// chain honestly; a test replaces any answer to script an attack. An answer
// with ok false is never sent (the peer stalls).
type scriptedPeer struct {
	id       peer.ID
	c        *chain.Chain
	status   func() ([]byte, bool)
	headers  func(netproto.HeadersRequest) ([]byte, bool)
	blocks   func(hashes []chainhash.Hash) ([]byte, bool)
	requests map[ActionKind]int
}

func newPeer(t *testing.T, name string, blocks []*block.Block) *scriptedPeer {
	p := &scriptedPeer{id: peer.ID(name), c: openChain(t), requests: map[ActionKind]int{}}
	load(t, p.c, blocks)
	p.status = func() ([]byte, bool) { return netserve.LocalStatus(p.c).Encode(), true }
	p.headers = func(q netproto.HeadersRequest) ([]byte, bool) {
		return netproto.EncodeHeaders(p.c.HeadersAfter(q.Locator, q.Stop, netproto.MaxHeaders)), true
	}
	p.blocks = func(hashes []chainhash.Hash) ([]byte, bool) { return serveBlocks(p.c, hashes), true }
	return p
}

func serveBlocks(c *chain.Chain, hashes []chainhash.Hash) []byte {
	blobs := make([][]byte, len(hashes))
	for i, h := range hashes {
		if b, _, err := c.BlockByHash(h); err == nil {
			blobs[i] = b.Encode()
		}
	}
	return netproto.EncodeBlobs(blobs)
}

// claim makes the peer's status claim work more than its chain has.
func (p *scriptedPeer) claim(extra int64) {
	p.status = func() ([]byte, bool) {
		st := netserve.LocalStatus(p.c)
		st.Work = new(big.Int).Add(st.Work, big.NewInt(extra))
		st.Height += 1000
		return st.Encode(), true
	}
}

// network runs a victim machine against scripted peers, delivering
// responses in order and turning penalties into bans at 100 points.
type network struct {
	t      *testing.T
	m      *Machine
	victim *chain.Chain
	now    time.Time
	peers  map[peer.ID]*scriptedPeer
	score  map[peer.ID]int
	banned map[peer.ID]bool
	log    []Action
	queue  []func()
	// hold keeps blocks handed to the chain in held, unprocessed, until release.
	hold bool
	held []func()
}

func newNetwork(t *testing.T, victim *chain.Chain, cfg Config) *network {
	return &network{t: t, m: New(params, victim, cfg), victim: victim, now: clockStart,
		peers: map[peer.ID]*scriptedPeer{}, score: map[peer.ID]int{}, banned: map[peer.ID]bool{}}
}

func (n *network) connect(ps ...*scriptedPeer) {
	for _, p := range ps {
		n.peers[p.id] = p
		n.m.PeerConnected(n.now, p.id)
	}
	n.m.Tick(n.now)
	n.run()
}

// run carries out actions and delivers responses until nothing is left.
func (n *network) run() {
	for steps := 0; ; steps++ {
		if steps > 1_000_000 {
			n.t.Fatalf("network did not settle")
		}
		for _, a := range n.m.Ready() {
			n.log = append(n.log, a)
			n.do(a)
		}
		if len(n.queue) == 0 {
			if acts := n.m.Ready(); len(acts) == 0 {
				return
			} else {
				for _, a := range acts {
					n.log = append(n.log, a)
					n.do(a)
				}
				continue
			}
		}
		f := n.queue[0]
		n.queue = n.queue[1:]
		f()
	}
}

func (n *network) do(a Action) {
	p := n.peers[a.Peer]
	switch a.Kind {
	case SendStatus, SendHeaders, SendBlocks:
		if p == nil || n.banned[a.Peer] {
			return
		}
		p.requests[a.Kind]++
		var resp []byte
		var ok bool
		switch a.Kind {
		case SendStatus:
			resp, ok = p.status()
		case SendHeaders:
			resp, ok = p.headers(netproto.HeadersRequest{Locator: a.Locator, Stop: a.Stop})
		case SendBlocks:
			resp, ok = p.blocks(a.Hashes)
		}
		if !ok {
			return
		}
		if a.Kind == SendBlocks && len(resp) > a.MaxBytes {
			// Refused from its length, as the p2p layer does.
			n.queue = append(n.queue, func() { n.m.RequestFailed(n.now, a.Peer, a.Req, Oversize) })
			return
		}
		n.queue = append(n.queue, func() {
			switch a.Kind {
			case SendStatus:
				n.m.StatusResponse(n.now, a.Peer, a.Req, resp)
			case SendHeaders:
				n.m.HeadersResponse(n.now, a.Peer, a.Req, resp)
			case SendBlocks:
				n.m.BlocksResponse(n.now, a.Peer, a.Req, resp)
			}
		})
	case Process:
		process := func() {
			_, err := n.victim.ProcessBlock(a.Block, n.now.Unix())
			hash := a.Block.Hash()
			n.queue = append(n.queue, func() { n.m.BlockProcessed(n.now, hash, err) })
		}
		if n.hold {
			n.held = append(n.held, process)
			return
		}
		process()
	case Penalize:
		n.score[a.Peer] += a.Points
		if n.score[a.Peer] >= 100 && !n.banned[a.Peer] {
			n.banned[a.Peer] = true
			n.queue = append(n.queue, func() { n.m.PeerDisconnected(n.now, a.Peer) })
		}
	case Disconnect:
		n.queue = append(n.queue, func() { n.m.PeerDisconnected(n.now, a.Peer) })
	}
}

// release processes the held blocks and stops holding them.
func (n *network) release() {
	n.hold = false
	for _, process := range n.held {
		process()
	}
	n.held = nil
	n.run()
}

// advance moves the clock in steps of at most a second, ticking each time.
func (n *network) advance(d time.Duration) {
	for end := n.now.Add(d); n.now.Before(end); {
		n.now = n.now.Add(min(time.Second, end.Sub(n.now)))
		n.m.Tick(n.now)
		n.run()
	}
}

// untilTip advances time until the victim's tip is want or the limit passes.
func (n *network) untilTip(want chainhash.Hash, limit time.Duration) time.Duration {
	n.t.Helper()
	start := n.now
	for n.victim.Tip().Hash != want {
		if n.now.Sub(start) > limit {
			n.t.Fatalf("victim at height %d (%s), not at %s after %v; penalties: %v", n.victim.Tip().Height, n.victim.Tip().Hash, want, limit, n.penalties())
		}
		n.advance(time.Second)
	}
	return n.now.Sub(start)
}

func (n *network) penalties() []string {
	var out []string
	for _, a := range n.log {
		if a.Kind == Penalize {
			out = append(out, fmt.Sprintf("%s +%d (%s)", a.Peer, a.Points, a.Reason))
		}
	}
	return out
}

func (n *network) requireNotPenalized(ids ...peer.ID) {
	n.t.Helper()
	for _, id := range ids {
		if n.score[id] != 0 {
			n.t.Fatalf("honest peer %s was penalised: %v", id, n.penalties())
		}
	}
}

func (n *network) requirePenalized(id peer.ID) {
	n.t.Helper()
	if n.score[id] == 0 {
		n.t.Fatalf("hostile peer %s was not penalised", id)
	}
}

// reqsFor returns the id of the request of kind in flight to id (0 if none).
func (m *Machine) reqsFor(id peer.ID, kind ActionKind) uint64 {
	for _, rid := range m.sortedReqs() {
		if r := m.reqs[rid]; r.peer == id && r.kind == kind {
			return rid
		}
	}
	return 0
}
