package blocksync

import (
	"math/big"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
)

// maxTips bounds the recent tip hashes remembered per peer.
const maxTips = 8

// peerState is what the machine knows of one peer.
type peerState struct {
	id         peer.ID
	handshaken bool
	// claim is the peer's last status, nil once it was found not to back it.
	claim *netproto.Status
	tip   chainhash.Hash
	// tips are recent tips the peer announced (status, relayed blocks).
	tips []chainhash.Hash

	statusReq   uint64
	headersReq  uint64
	blockReqs   int
	wantHeaders bool
	// orphan is the last block it relayed whose parent we lack, until it is asked for the headers linking it.
	orphan      chainhash.Hash
	lastStatus  time.Time
	lastMempool time.Time

	// pending are validated headers the peer sent whose blocks the chain
	// does not have, in chain order. pendingSet maps their hashes to their
	// sequence numbers: pending[i] has number pendingBase+i, so that
	// dropping headers from the front (at every block the chain connects)
	// leaves the numbers of the others as they are.
	pending     []*headerchain.Node
	pendingSet  map[chainhash.Hash]int
	pendingBase int
	// serves are the wanted blocks the peer announced (or announced a
	// descendant of): it can serve them.
	serves map[chainhash.Hash]bool
}

func newPeerState(id peer.ID) *peerState {
	return &peerState{id: id, pendingSet: map[chainhash.Hash]int{}}
}

func (p *peerState) finished(r *request) {
	switch r.kind {
	case SendStatus:
		p.statusReq = 0
	case SendHeaders:
		p.headersReq = 0
	case SendBlocks:
		p.blockReqs--
	}
}

// claimsMoreThan reports whether the peer claims more work than ours and
// than the headers it has already shown.
func (p *peerState) claimsMoreThan(ours *big.Int) bool {
	if p.claim == nil || p.claim.Work.Cmp(ours) <= 0 {
		return false
	}
	if n := len(p.pending); n > 0 && p.pending[n-1].Work.Cmp(p.claim.Work) >= 0 {
		return false
	}
	return true
}

func (p *peerState) noteTip(h chainhash.Hash) {
	p.tip = h
	for _, t := range p.tips {
		if t == h {
			return
		}
	}
	if len(p.tips) == maxTips {
		p.tips = p.tips[1:]
	}
	p.tips = append(p.tips, h)
}

// pendingEnd returns the last pending header, or nil.
func (p *peerState) pendingEnd() *headerchain.Node {
	if len(p.pending) == 0 {
		return nil
	}
	return p.pending[len(p.pending)-1]
}

func (p *peerState) appendPending(nodes []*headerchain.Node) {
	for _, n := range nodes {
		p.pendingSet[n.Hash] = p.pendingBase + len(p.pending)
		p.pending = append(p.pending, n)
	}
}

// pendingIndex returns the position in pending of the header with hash h.
func (p *peerState) pendingIndex(h chainhash.Hash) (int, bool) {
	seq, ok := p.pendingSet[h]
	return seq - p.pendingBase, ok
}

// truncatePending keeps the first n pending headers.
func (p *peerState) truncatePending(n int) {
	for _, d := range p.pending[n:] {
		delete(p.pendingSet, d.Hash)
	}
	p.pending = p.pending[:n:n]
}

func (p *peerState) clearPending() {
	p.pending, p.pendingBase = nil, 0
	p.pendingSet = map[chainhash.Hash]int{}
	p.serves = nil
}

// trimPending drops the leading headers whose blocks the chain now has. It
// costs what it drops, not what is left (a long sync holds every header of
// the chain pending, and trims at every block).
func (p *peerState) trimPending(has func(chainhash.Hash) bool) {
	i := 0
	for i < len(p.pending) && has(p.pending[i].Hash) {
		delete(p.pendingSet, p.pending[i].Hash)
		p.pending[i] = nil // the backing array outlives the slice's front
		i++
	}
	p.pending = p.pending[i:]
	p.pendingBase += i
}
