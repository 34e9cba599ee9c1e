package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blocksync"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
)

// Sync tuning at the edge; the policy lives in blocksync.
const (
	tickInterval = time.Second
	// requestGrace lets the machine's own deadline fire before the request's context does.
	requestGrace = 2 * time.Second
	// maxHintEvents bounds queued gossip hints (relayed or orphan blocks);
	// past it they are dropped, as the status poll brings the same news.
	maxHintEvents = 1024
)

// syncer is the I/O edge of the sync state machine: it feeds the machine
// events (peers coming and going, responses, processed blocks, time) from one
// goroutine that owns it, and carries out the actions it returns. Requests
// run in goroutines of their own, bounded by what the machine keeps in
// flight; blocks are processed in order by a second goroutine, so that
// validation overlaps the download.
type syncer struct {
	n   *Node
	cfg blocksync.Config
	// connected reports whether the host is connected to a peer now (see peerChanged).
	connected func(peer.ID) bool

	mu     sync.Mutex
	events []func(m *blocksync.Machine, now time.Time)
	hints  int
	wake   chan struct{}

	apply *applyQueue

	// Snapshot for status reports, written by the loop.
	snapMu   sync.Mutex
	progress rpc.SyncProgress
	syncing  bool
	heights  map[peer.ID]uint64
	bestID   peer.ID
	best     *netproto.Status
	episode  struct {
		start       time.Time
		startHeight uint64
		lastLog     time.Time
	}

	mempoolSem chan struct{}
	parentSem  chan struct{}

	// ctx and wg are the loop's, set before it starts; only the loop and the
	// goroutines it starts use them.
	ctx context.Context
	wg  *sync.WaitGroup
}

func newSyncer(n *Node, cfg blocksync.Config) *syncer {
	s := &syncer{n: n, cfg: cfg.WithDefaults(), wake: make(chan struct{}, 1), apply: newApplyQueue(),
		heights: map[peer.ID]uint64{}, mempoolSem: make(chan struct{}, 4), parentSem: make(chan struct{}, maxTxParentFetches)}
	if n != nil && n.host != nil {
		s.connected = n.host.IsConnected
	}
	return s
}

// post queues an event for the loop. It never blocks.
func (s *syncer) post(ev func(m *blocksync.Machine, now time.Time)) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// postHint queues a gossip hint unless too many are waiting.
func (s *syncer) postHint(ev func(m *blocksync.Machine, now time.Time)) {
	s.mu.Lock()
	if s.hints >= maxHintEvents {
		s.mu.Unlock()
		return
	}
	s.hints++
	s.mu.Unlock()
	s.post(func(m *blocksync.Machine, now time.Time) {
		s.mu.Lock()
		s.hints--
		s.mu.Unlock()
		ev(m, now)
	})
}

// peerChanged tells the machine whether a peer is connected, as the host
// has it when the machine takes the event. The host runs each connect and
// disconnect callback on a goroutine of its own, so they may arrive out of
// order (a disconnect after the reconnect that followed it): taking the
// state at delivery, rather than the event's kind, leaves the machine right
// once the last event is in, whatever the order.
func (s *syncer) peerChanged(id peer.ID) {
	s.post(func(m *blocksync.Machine, now time.Time) {
		if s.connected(id) {
			m.PeerConnected(now, id)
		} else {
			m.PeerDisconnected(now, id)
		}
	})
}

// orphanBlock reports a relayed block whose parent we lack: its sender is asked for headers.
func (s *syncer) orphanBlock(id peer.ID, hash chainhash.Hash) {
	s.postHint(func(m *blocksync.Machine, now time.Time) { m.OrphanBlock(now, id, hash) })
}

// peerHasBlock records that a peer relayed a block we accepted.
func (s *syncer) peerHasBlock(id peer.ID, b *block.Block) {
	hash, height := b.Hash(), b.Txs[0].Coinbase.Height
	s.postHint(func(m *blocksync.Machine, now time.Time) { m.PeerHasBlock(now, id, hash, height) })
}

// isSyncing reports whether a download is under way, and its progress.
func (s *syncer) isSyncing() (bool, *rpc.SyncProgress) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if !s.syncing {
		return false, nil
	}
	p := s.progress
	return true, &p
}

// bestPeer returns the peer claiming the most work above ours and its claim, or nil.
func (s *syncer) bestPeer() (peer.ID, *netproto.Status) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	return s.bestID, s.best
}

func (s *syncer) heightOf(id peer.ID) uint64 {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	return s.heights[id]
}

// run owns the machine until ctx ends.
func (s *syncer) run(ctx context.Context, wg *sync.WaitGroup) {
	s.ctx, s.wg = ctx, wg
	m := blocksync.New(s.n.params, s.n.chain, s.cfg)
	wg.Add(1)
	go func() { defer wg.Done(); s.applyLoop(ctx) }()
	for _, p := range s.n.host.Peers() {
		m.PeerConnected(time.Now(), p.ID)
	}
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			m.Tick(time.Now())
		case <-s.wake:
			s.mu.Lock()
			evs := s.events
			s.events = nil
			s.mu.Unlock()
			for _, ev := range evs {
				ev(m, time.Now())
			}
		}
		for _, a := range m.Ready() {
			s.do(ctx, wg, a)
		}
		s.snapshot(m)
	}
}

// do carries out one action of the machine.
func (s *syncer) do(ctx context.Context, wg *sync.WaitGroup, a blocksync.Action) {
	n := s.n
	switch a.Kind {
	case blocksync.SendStatus:
		s.request(ctx, wg, a, netproto.ProtoStatus, nil, netproto.MaxStatusSize, s.cfg.HeadersTimeout,
			func(m *blocksync.Machine, now time.Time, raw []byte) { m.StatusResponse(now, a.Peer, a.Req, raw) })
	case blocksync.SendHeaders:
		req := netproto.HeadersRequest{Locator: a.Locator, Stop: a.Stop, Max: netproto.MaxHeaders}
		s.request(ctx, wg, a, netproto.ProtoHeaders, req.Encode(), netproto.MaxHeadersSize, s.cfg.HeadersTimeout,
			func(m *blocksync.Machine, now time.Time, raw []byte) { m.HeadersResponse(now, a.Peer, a.Req, raw) })
	case blocksync.SendBlocks:
		// The response is refused unread past what the machine reserved for it.
		s.request(ctx, wg, a, netproto.ProtoBlocks, netproto.EncodeHashes(a.Hashes), a.MaxBytes, s.cfg.BlocksTimeout,
			func(m *blocksync.Machine, now time.Time, raw []byte) { m.BlocksResponse(now, a.Peer, a.Req, raw) })
	case blocksync.Process:
		s.apply.push(a)
	case blocksync.Penalize:
		n.host.Penalize(a.Peer, a.Points, a.Reason)
	case blocksync.Disconnect:
		n.host.Disconnect(a.Peer)
	case blocksync.FetchMempool:
		select {
		case s.mempoolSem <- struct{}{}:
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-s.mempoolSem }()
				s.fetchMempool(ctx, a.Peer)
			}()
		default: // enough reconciliations under way; the next round catches up
		}
	}
}

// request runs one request in a goroutine and posts its outcome.
func (s *syncer) request(ctx context.Context, wg *sync.WaitGroup, a blocksync.Action, proto string, body []byte, max int,
	timeout time.Duration, onResponse func(m *blocksync.Machine, now time.Time, raw []byte)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		rctx, cancel := context.WithTimeout(ctx, timeout+requestGrace)
		defer cancel()
		raw, err := s.n.host.Request(rctx, a.Peer, proto, body, max)
		if err != nil {
			why := blocksync.Transport
			switch {
			case errors.Is(err, p2p.ErrUnsupported):
				why = blocksync.Unsupported
				if a.Kind == blocksync.SendStatus {
					s.dropOtherNetwork(a.Peer)
				}
			case errors.Is(err, p2p.ErrRemote):
				why = blocksync.Remote
			case errors.Is(err, p2p.ErrTooLarge):
				why = blocksync.Oversize
			}
			s.n.log.Debug("request failed", "peer", a.Peer, "proto", proto, "err", err)
			s.post(func(m *blocksync.Machine, now time.Time) { m.RequestFailed(now, a.Peer, a.Req, why) })
			return
		}
		s.post(func(m *blocksync.Machine, now time.Time) { onResponse(m, now, raw) })
	}()
}

// dropOtherNetwork disconnects a peer that serves another network's
// protocols; one serving none is a light client (SPV) and stays.
func (s *syncer) dropOtherNetwork(id peer.ID) {
	if nets := s.n.host.PeerNetworks(id); len(nets) > 0 && !slices.Contains(nets, s.n.params.Name) {
		s.n.log.Info("dropping peer that does not speak this network's protocol", "peer", id, "its_networks", nets)
		s.n.host.Disconnect(id)
	}
}

// applyLoop processes downloaded blocks in the order the machine handed them over.
func (s *syncer) applyLoop(ctx context.Context) {
	for {
		a, ok := s.apply.pop(ctx)
		if !ok {
			return
		}
		// The next block's checks that need only itself (its signatures
		// above all) fill the cores while this one is connected.
		s.n.chain.Prepare(a.Block)
		if next, ok := s.apply.peek(); ok {
			s.n.chain.Prepare(next.Block)
		}
		_, err := s.n.processBlock(a.Block, chain.ProcessOptions{})
		if err != nil && !errors.Is(err, chain.ErrDuplicateBlock) {
			s.n.log.Warn("downloaded block rejected", "peer", a.Peer, "hash", a.Block.Hash(), "err", err)
		}
		hash := a.Block.Hash()
		s.post(func(m *blocksync.Machine, now time.Time) { m.BlockProcessed(now, hash, err) })
	}
}

// snapshot publishes progress for status reports and logs it while syncing.
func (s *syncer) snapshot(m *blocksync.Machine) {
	pr := m.Progress()
	tip := s.n.chain.Tip()
	now := time.Now()
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.heights = m.PeerHeights()
	s.bestID, s.best = m.BestClaim()
	if !pr.Syncing {
		if s.syncing {
			took := now.Sub(s.episode.start)
			rate := float64(tip.Height-min(tip.Height, s.episode.startHeight)) / max(took.Seconds(), 1e-3)
			s.n.log.Info("synced", "height", tip.Height, "took", took.Round(time.Millisecond), "blocks_per_sec", fmt.Sprintf("%.1f", rate))
		}
		s.syncing = false
		return
	}
	if !s.syncing {
		s.syncing = true
		// The first progress line comes at once, the next every few seconds.
		s.episode.start, s.episode.startHeight, s.episode.lastLog = now, tip.Height, time.Time{}
	}
	target := max(pr.TargetHeight, tip.Height)
	elapsed := now.Sub(s.episode.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(tip.Height-min(tip.Height, s.episode.startHeight)) / elapsed
	}
	eta := 0.0
	if rate > 0 {
		eta = float64(target-tip.Height) / rate
	}
	pct := 100.0
	if target > 0 {
		pct = 100 * float64(tip.Height) / float64(target)
	}
	s.progress = rpc.SyncProgress{Height: tip.Height, TargetHeight: target, Percent: pct, BlocksPerSec: rate, ETASeconds: eta}
	if now.Sub(s.episode.lastLog) >= 2*time.Second {
		s.episode.lastLog = now
		s.n.log.Info("sync progress", "height", tip.Height, "target", target, "percent", fmt.Sprintf("%.1f", pct),
			"blocks_per_sec", fmt.Sprintf("%.1f", rate), "eta", (time.Duration(eta) * time.Second).String(), "pending_headers", m.Pending())
	}
}

// applyQueue hands Process actions from the loop to the apply goroutine
// without ever blocking the loop (the machine's window bounds its length).
type applyQueue struct {
	mu    sync.Mutex
	items []blocksync.Action
	wake  chan struct{}
}

func newApplyQueue() *applyQueue { return &applyQueue{wake: make(chan struct{}, 1)} }

func (q *applyQueue) push(a blocksync.Action) {
	q.mu.Lock()
	q.items = append(q.items, a)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// peek returns the action pop would return next, if one is queued.
func (q *applyQueue) peek() (blocksync.Action, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return blocksync.Action{}, false
	}
	return q.items[0], true
}

func (q *applyQueue) pop(ctx context.Context) (blocksync.Action, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			a := q.items[0]
			q.items = q.items[1:]
			q.mu.Unlock()
			return a, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return blocksync.Action{}, false
		case <-q.wake:
		}
	}
}
