package blocksync

import (
	"math/big"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
)

// Chain is what the machine reads of the local chain. *chain.Chain has it.
type Chain interface {
	Tip() chain.TipInfo
	Locator() []chainhash.Hash
	// HasBlock reports whether the chain has the block (stored, or known invalid).
	HasBlock(chainhash.Hash) bool
	// HeaderNodes validates headers that extend a block the chain has.
	HeaderNodes(headers []block.Header, now int64) ([]*headerchain.Node, error)
}

// request is a request in flight.
type request struct {
	id       uint64
	peer     peer.ID
	kind     ActionKind
	deadline time.Time
	hashes   []chainhash.Hash
	// maxBytes is what a blocks request reserves of the byte window.
	maxBytes int
	// orphan is the relayed block whose parent we lack that a headers
	// request asks the peer to link (zero when it asks for no such block).
	orphan chainhash.Hash
}

// Machine is the sync state machine. It is not safe for concurrent use: one
// goroutine (the node's sync loop) owns it.
type Machine struct {
	cfg    Config
	params *chaincfg.Params
	chain  Chain

	peers   map[peer.ID]*peerState
	order   []peer.ID // connection order: every loop over peers follows it, for determinism
	reqs    map[uint64]*request
	nextReq uint64

	dl     download
	synced bool
	out    []Action
}

// New returns a machine for the chain c of network params.
func New(params *chaincfg.Params, c Chain, cfg Config) *Machine {
	m := &Machine{
		cfg: cfg.WithDefaults(), params: params, chain: c,
		peers: map[peer.ID]*peerState{}, reqs: map[uint64]*request{}, synced: true,
	}
	m.dl.reset()
	return m
}

// Ready returns the actions decided since the last call, in order.
func (m *Machine) Ready() []Action {
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

func (m *Machine) penalize(id peer.ID, points int, reason string) {
	m.emit(Action{Kind: Penalize, Peer: id, Points: points, Reason: reason})
}

func (m *Machine) send(now time.Time, kind ActionKind, id peer.ID, timeout time.Duration, a Action) *request {
	m.nextReq++
	r := &request{id: m.nextReq, peer: id, kind: kind, deadline: now.Add(timeout), hashes: a.Hashes, maxBytes: a.MaxBytes}
	m.dl.reserved += r.maxBytes
	m.reqs[r.id] = r
	a.Kind, a.Peer, a.Req = kind, id, r.id
	m.emit(a)
	return r
}

// take removes and returns the request id if it is in flight to from with kind.
func (m *Machine) take(id uint64, from peer.ID, kind ActionKind) *request {
	r, ok := m.reqs[id]
	if !ok || r.peer != from || r.kind != kind {
		return nil
	}
	m.forget(r)
	if p := m.peers[from]; p != nil {
		p.finished(r)
	}
	return r
}

// forget removes a request that is no longer in flight and releases what it reserved.
func (m *Machine) forget(r *request) {
	delete(m.reqs, r.id)
	m.dl.reserved -= r.maxBytes
}

// PeerConnected starts the handshake with a new peer: its status is asked
// for at once, not at the next tick, so that a node that starts with a
// peer begins to sync without waiting. Until it answers, every tick asks
// again (a peer may open the connection before it serves the protocol).
func (m *Machine) PeerConnected(now time.Time, id peer.ID) {
	if _, ok := m.peers[id]; ok {
		return
	}
	p := newPeerState(id)
	m.peers[id] = p
	m.order = append(m.order, id)
	p.statusReq = m.send(now, SendStatus, id, m.cfg.HeadersTimeout, Action{}).id
	m.step(now)
}

// PeerDisconnected forgets a peer; blocks it was sending are asked of others.
func (m *Machine) PeerDisconnected(now time.Time, id peer.ID) {
	if _, ok := m.peers[id]; !ok {
		return
	}
	delete(m.peers, id)
	m.order = slices.DeleteFunc(m.order, func(o peer.ID) bool { return o == id })
	for _, rid := range m.sortedReqs() {
		if r := m.reqs[rid]; r.peer == id {
			m.forget(r)
			m.dl.requeue(r, id)
		}
	}
	m.step(now)
}

// StatusResponse handles a peer's status.
func (m *Machine) StatusResponse(now time.Time, from peer.ID, req uint64, raw []byte) {
	if m.take(req, from, SendStatus) == nil {
		return
	}
	p := m.peers[from]
	st, err := netproto.DecodeStatus(raw)
	if err != nil {
		m.penalize(from, PenaltyMalformed, "malformed status")
		return
	}
	if st.Network != m.params.Name || st.Genesis != m.params.GenesisHash() {
		m.penalize(from, PenaltyWrongNetwork, "status for another network or genesis")
		m.emit(Action{Kind: Disconnect, Peer: from})
		return
	}
	first := !p.handshaken
	tipMoved := p.tip != st.Tip
	p.handshaken = true
	p.claim = st
	p.noteTip(st.Tip)
	m.noteWanted(st.Tip)
	m.step(now)
	// Only a node that has caught up can judge a peer's transactions; one
	// that is behind fetches them when it catches up (updateSynced).
	if m.synced && (first || tipMoved) && now.Sub(p.lastMempool) > 0 {
		m.fetchMempool(now, p)
	}
}

// RequestFailed reports a request that got no usable response.
func (m *Machine) RequestFailed(now time.Time, from peer.ID, req uint64, why Failure) {
	r, ok := m.reqs[req]
	if !ok || r.peer != from {
		return
	}
	m.take(req, from, r.kind)
	p := m.peers[from]
	if why == Oversize {
		m.penalize(from, PenaltyMalformed, "response larger than the request allows")
	}
	switch r.kind {
	case SendHeaders:
		// It claimed more work and could not show it: look elsewhere.
		p.claim = nil
	case SendBlocks:
		if why == Remote {
			m.penalize(from, PenaltyBlocksTimeout, "refused to serve blocks it announced")
		}
		m.dl.requeue(r, from)
	}
	m.step(now)
}

// PeerHasBlock records that a peer relayed a block (so it can serve it).
func (m *Machine) PeerHasBlock(now time.Time, from peer.ID, hash chainhash.Hash, height uint64) {
	p := m.peers[from]
	if p == nil {
		return
	}
	p.noteTip(hash)
	m.noteWanted(hash)
	if p.claim != nil && height > p.claim.Height {
		p.claim.Height = height
	}
	m.step(now)
}

// OrphanBlock reports that a peer relayed a block whose parent we do not
// have. Its body was not kept; the peer is asked for the headers linking it.
func (m *Machine) OrphanBlock(now time.Time, from peer.ID, hash chainhash.Hash) {
	p := m.peers[from]
	if p == nil {
		return
	}
	p.noteTip(hash)
	p.wantHeaders, p.orphan = true, hash
	m.step(now)
}

// Tick advances time: status polls, request timeouts, mempool reconciliation.
func (m *Machine) Tick(now time.Time) {
	for _, rid := range m.sortedReqs() {
		r := m.reqs[rid]
		if now.Before(r.deadline) {
			continue
		}
		m.take(rid, r.peer, r.kind)
		p := m.peers[r.peer]
		switch r.kind {
		case SendHeaders:
			p.claim = nil
		case SendBlocks:
			m.penalize(r.peer, PenaltyBlocksTimeout, "did not serve blocks it announced in time")
			m.dl.requeue(r, r.peer)
		}
	}
	for _, id := range m.order {
		p := m.peers[id]
		if p.statusReq == 0 && (!p.handshaken || now.Sub(p.lastStatus) >= m.cfg.StatusInterval) {
			p.lastStatus = now
			p.statusReq = m.send(now, SendStatus, id, m.cfg.HeadersTimeout, Action{}).id
		}
		if m.synced && p.handshaken && now.Sub(p.lastMempool) >= m.cfg.MempoolInterval {
			m.fetchMempool(now, p)
		}
	}
	m.step(now)
}

// noteWanted marks the download for a new look when a peer announces a block it wants.
func (m *Machine) noteWanted(h chainhash.Hash) {
	if m.dl.byHash[h] != nil {
		m.dl.stale = true
	}
}

func (m *Machine) fetchMempool(now time.Time, p *peerState) {
	p.lastMempool = now
	m.emit(Action{Kind: FetchMempool, Peer: p.id})
}

func (m *Machine) sortedReqs() []uint64 {
	ids := make([]uint64, 0, len(m.reqs))
	for id := range m.reqs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// step decides what to request and process next after any event.
func (m *Machine) step(now time.Time) {
	tip := m.chain.Tip()
	if t := m.dl.target; t != nil && t.Work.Cmp(tip.Work) <= 0 {
		m.dl.stale = true // reached (or passed) by other means
	}
	m.requestHeaders(now, tip.Work)
	m.chooseTargets(tip.Work)
	m.requestBlocks(now)
	m.processReady()
	m.updateSynced(now, tip.Work)
}

// requestHeaders asks every peer that claims more work than we and its
// headers have for its next headers, all in parallel.
func (m *Machine) requestHeaders(now time.Time, ours *big.Int) {
	for _, id := range m.order {
		p := m.peers[id]
		if p.headersReq != 0 || !p.handshaken {
			continue
		}
		if !p.wantHeaders && !p.claimsMoreThan(ours) {
			continue
		}
		orphan := p.orphan
		p.wantHeaders, p.orphan = false, chainhash.Hash{}
		loc := m.chain.Locator()
		if n := len(p.pending); n > 0 {
			loc = append([]chainhash.Hash{p.pending[n-1].Hash}, loc...)
		}
		if len(loc) > netproto.MaxLocator {
			loc = loc[:netproto.MaxLocator]
		}
		// For an orphan, the branch that ends at it: an honest relayer has
		// it, even once it has reorganised onto another.
		r := m.send(now, SendHeaders, id, m.cfg.HeadersTimeout, Action{Locator: loc, Stop: orphan})
		r.orphan = orphan
		p.headersReq = r.id
	}
}

// updateSynced tracks whether we have caught up with every claim; on
// catching up, mempools are reconciled with every peer (a node that joins
// while its peers hold unconfirmed transactions gets them then).
func (m *Machine) updateSynced(now time.Time, ours *big.Int) {
	synced := m.dl.empty()
	for _, id := range m.order {
		if m.peers[id].claimsMoreThan(ours) {
			synced = false
		}
	}
	if synced && !m.synced {
		for _, id := range m.order {
			if p := m.peers[id]; p.handshaken {
				m.fetchMempool(now, p)
			}
		}
	}
	m.synced = synced
}

// Progress describes sync for status reports.
type Progress struct {
	Syncing bool
	// TargetHeight is the highest height a peer with more work than us has shown or claimed.
	TargetHeight uint64
}

// Progress reports whether sync is under way and toward which height.
func (m *Machine) Progress() Progress {
	tip := m.chain.Tip()
	pr := Progress{Syncing: !m.synced, TargetHeight: tip.Height}
	if t := m.dl.target; t != nil && t.Height > pr.TargetHeight {
		pr.TargetHeight = t.Height
	}
	for _, id := range m.order {
		if p := m.peers[id]; p.claimsMoreThan(tip.Work) && p.claim.Height > pr.TargetHeight {
			pr.TargetHeight = p.claim.Height
		}
	}
	return pr
}

// Pending reports how many validated headers peers have announced whose blocks we lack, summed over peers.
func (m *Machine) Pending() int {
	n := 0
	for _, p := range m.peers {
		n += len(p.pending)
	}
	return n
}

// PeerHeights returns the height each handshaken peer last showed (its
// claim, or its highest relayed block).
func (m *Machine) PeerHeights() map[peer.ID]uint64 {
	out := make(map[peer.ID]uint64, len(m.peers))
	for _, id := range m.order {
		p := m.peers[id]
		if p.claim != nil {
			out[id] = p.claim.Height
		} else if end := p.pendingEnd(); end != nil {
			out[id] = end.Height
		}
	}
	return out
}

// BestClaim returns the peer claiming the most work, if that is more than
// ours, with its claim (a copy), or nil.
func (m *Machine) BestClaim() (peer.ID, *netproto.Status) {
	ours := m.chain.Tip().Work
	var id peer.ID
	var best *netproto.Status
	for _, pid := range m.order {
		p := m.peers[pid]
		if p.claim == nil || p.claim.Work.Cmp(ours) <= 0 {
			continue
		}
		if best == nil || p.claim.Work.Cmp(best.Work) > 0 {
			c := *p.claim
			id, best = pid, &c
		}
	}
	return id, best
}
