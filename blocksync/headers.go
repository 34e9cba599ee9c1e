package blocksync

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/rule"
)

// HeadersResponse handles a peer's answer to a headers request.
func (m *Machine) HeadersResponse(now time.Time, from peer.ID, req uint64, raw []byte) {
	r := m.take(req, from, SendHeaders)
	if r == nil {
		return
	}
	p := m.peers[from]
	defer m.step(now)
	headers, err := netproto.DecodeHeaders(raw)
	if err != nil {
		m.penalize(from, PenaltyMalformed, "malformed headers")
		m.discard(p)
		return
	}
	full := len(headers) >= m.cfg.MaxHeaders
	// Skip what we already have: the peer resends the part we share.
	i := 0
	for i < len(headers) {
		h := headers[i].Hash()
		if _, ok := p.pendingSet[h]; !ok && !m.chain.HasBlock(h) {
			break
		}
		i++
	}
	fresh := headers[i:]
	if len(fresh) == 0 {
		m.checkOrphanLinked(p, r.orphan)
		m.checkClaimBacked(p, false)
		return
	}
	nodes, err := m.extend(p, fresh, now)
	if err != nil {
		m.refuseHeaders(p, err)
		return
	}
	p.appendPending(nodes)
	if end := p.pendingEnd(); p.claim != nil && end.Work.Cmp(p.claim.Work) > 0 {
		// It has more than it said; believe the headers.
		c := *p.claim
		c.Work, c.Height, c.Tip = end.Work, end.Height, end.Hash
		p.claim = &c
	}
	if len(p.pending) > m.cfg.MaxPendingHeaders && p.pendingEnd().Work.Cmp(m.chain.Tip().Work) <= 0 {
		m.penalize(from, PenaltyTooManyHeaders, fmt.Sprintf("more than %d headers without more work than our chain", m.cfg.MaxPendingHeaders))
		m.discard(p)
		return
	}
	m.checkClaimBacked(p, full)
	m.dl.stale = true
}

// extend validates fresh headers from p: as a continuation of the headers
// it sent before, or from a block the chain has.
func (m *Machine) extend(p *peerState, fresh []block.Header, now time.Time) ([]*headerchain.Node, error) {
	if at, ok := p.pendingIndex(fresh[0].Prev); ok {
		p.truncatePending(at + 1)
		return headerchain.CheckFrom(m.params, p.pending[at], fresh, now.Unix())
	}
	p.clearPending()
	return m.chain.HeaderNodes(fresh, now.Unix())
}

// checkClaimBacked penalises a peer whose headers ran out (an empty or short
// response) before reaching the work it claimed, and discards the claim so
// that sync goes on with other peers at once.
func (m *Machine) checkClaimBacked(p *peerState, more bool) {
	if more || !p.claimsMoreThan(m.chain.Tip().Work) {
		return
	}
	m.penalize(p.id, PenaltyUnbackedClaim, "claimed more chain work than its headers show")
	p.claim = nil
}

// checkOrphanLinked penalises a peer that relayed a block whose parent we
// lack and, asked for the headers linking it, shows nothing we do not have:
// it cannot link the block to any chain, which an honest relayer (whose
// main chain held the block when it relayed it) can. Nothing is held
// against it if it showed the block's header before, or if the block has
// reached us some other way meanwhile.
func (m *Machine) checkOrphanLinked(p *peerState, orphan chainhash.Hash) {
	if _, shown := p.pendingSet[orphan]; shown || orphan.IsZero() || m.chain.HasBlock(orphan) {
		return
	}
	m.penalize(p.id, PenaltyUnconnected, "relayed a block it cannot link to our chain")
}

// refuseHeaders penalises headers that break a rule, and forgets what the
// peer showed.
func (m *Machine) refuseHeaders(p *peerState, err error) {
	code, isRule := rule.CodeOf(err)
	switch {
	case !isRule:
		// A local failure; not the peer's fault.
	case code == rule.ErrTimeTooNew:
		// Perhaps our clock is behind; try again later.
	case code == rule.ErrUnknownParent:
		m.penalize(p.id, PenaltyUnconnected, "headers that link to nothing known")
	default:
		m.penalize(p.id, PenaltyInvalid, "invalid headers: "+err.Error())
	}
	m.discard(p)
}

// discard forgets a peer's claim and pending headers.
func (m *Machine) discard(p *peerState) {
	p.claim = nil
	if len(p.pending) > 0 {
		p.clearPending()
		m.dl.stale = true
	}
}

// isFinal reports whether a processing error condemns the block for good.
func isFinal(err error) bool {
	code, isRule := rule.CodeOf(err)
	return isRule && code != rule.ErrTimeTooNew && code != rule.ErrUnknownParent
}
