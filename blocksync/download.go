package blocksync

import (
	"errors"
	"math/big"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
)

type wantState int

const (
	needed wantState = iota
	inflight
	buffered
	processing
	done
)

// wanted is one block of the download target.
type wanted struct {
	node  *headerchain.Node
	state wantState
	req   uint64
	from  peer.ID
	block *block.Block
	size  int
	// tried are the peers that failed to serve it; they are not asked again.
	tried map[peer.ID]bool
}

// download is the chain being downloaded: the most-work chain of validated
// headers any peer showed, if it has more work than ours.
type download struct {
	target *headerchain.Node
	want   []*wanted // blocks of target the chain lacks, in order
	byHash map[chainhash.Hash]*wanted
	bytes  int  // bytes of blocks received and not yet handed to the chain
	stale  bool // peers' headers changed: choose the target and reaches again
}

func (d *download) reset() {
	*d = download{byHash: map[chainhash.Hash]*wanted{}, stale: true}
}

func (d *download) empty() bool { return len(d.want) == 0 }

// requeue puts the blocks of a failed request back to be asked of another peer.
func (d *download) requeue(r *request, from peer.ID) {
	for _, h := range r.hashes {
		if w := d.byHash[h]; w != nil && w.state == inflight && w.req == r.id {
			w.state = needed
			w.tried[from] = true
		}
	}
}

// chooseTarget picks the most-work pending header chain with more work than
// ours (the first-connected peer's on ties) and lists its blocks we lack.
func (m *Machine) chooseTarget(ours *big.Int) {
	d := &m.dl
	if !d.stale {
		return
	}
	d.stale = false
	var best *headerchain.Node
	for _, id := range m.order {
		end := m.peers[id].pendingEnd()
		if end != nil && end.Work.Cmp(ours) > 0 && (best == nil || end.Work.Cmp(best.Work) > 0) {
			best = end
		}
	}
	if best == nil {
		d.reset()
		d.stale = false
	} else if d.target == nil || d.target.Hash != best.Hash {
		var path []*headerchain.Node
		for n := best; n != nil && !m.chain.HasBlock(n.Hash); n = n.Parent {
			path = append(path, n)
		}
		old := d.byHash
		d.target, d.want, d.byHash = best, make([]*wanted, 0, len(path)), make(map[chainhash.Hash]*wanted, len(path))
		for i := len(path) - 1; i >= 0; i-- {
			w := old[path[i].Hash]
			if w == nil {
				w = &wanted{node: path[i], tried: map[peer.ID]bool{}}
			}
			delete(old, path[i].Hash)
			d.want = append(d.want, w)
			d.byHash[w.node.Hash] = w
		}
		for _, w := range old {
			if w.state == buffered {
				d.bytes -= w.size
			}
		}
	}
	for _, id := range m.order {
		m.computeReach(m.peers[id])
	}
}

// computeReach finds the highest target block the peer announced.
func (m *Machine) computeReach(p *peerState) {
	p.reach = -1
	for i := len(p.pending) - 1; i >= 0; i-- {
		if m.dl.byHash[p.pending[i].Hash] != nil {
			p.reach = int64(p.pending[i].Height)
			break
		}
	}
	for _, t := range p.tips {
		if w := m.dl.byHash[t]; w != nil && int64(w.node.Height) > p.reach {
			p.reach = int64(w.node.Height)
		}
	}
}

func (m *Machine) canServe(p *peerState, w *wanted) bool {
	return int64(w.node.Height) <= p.reach && !w.tried[p.id]
}

// server returns the least busy peer that announced w and has a free request slot.
func (m *Machine) server(w *wanted) (best *peerState, anyone bool) {
	for _, id := range m.order {
		p := m.peers[id]
		if !m.canServe(p, w) {
			continue
		}
		anyone = true
		if p.blockReqs < m.cfg.RequestsPerPeer && (best == nil || p.blockReqs < best.blockReqs) {
			best = p
		}
	}
	return best, anyone
}

// requestBlocks asks announcers for the target's blocks, within the window.
func (m *Machine) requestBlocks(now time.Time) {
	d := &m.dl
	limit := min(len(d.want), m.cfg.Window)
	for i := 0; i < limit && d.bytes < m.cfg.WindowBytes; i++ {
		w := d.want[i]
		if w.state != needed {
			continue
		}
		if m.chain.HasBlock(w.node.Hash) { // it came by gossip meanwhile
			w.state = done
			continue
		}
		p, anyone := m.server(w)
		if !anyone {
			m.noServer(w)
			return
		}
		if p == nil {
			continue
		}
		batch := []*wanted{w}
		for j := i + 1; j < limit && len(batch) < m.cfg.BlocksPerRequest; j++ {
			x := d.want[j]
			if x.state != needed || !m.canServe(p, x) {
				break
			}
			batch = append(batch, x)
		}
		hashes := make([]chainhash.Hash, len(batch))
		for k, x := range batch {
			hashes[k] = x.node.Hash
		}
		r := m.send(now, SendBlocks, p.id, m.cfg.BlocksTimeout, Action{Hashes: hashes})
		p.blockReqs++
		for _, x := range batch {
			x.state, x.req = inflight, r.id
		}
		i += len(batch) - 1
	}
}

// noServer gives up on a target whose next block no announcer will serve:
// their claims and headers are forgotten (they were penalised as they
// failed), and sync turns to what other peers show.
func (m *Machine) noServer(w *wanted) {
	for _, id := range m.order {
		if p := m.peers[id]; int64(w.node.Height) <= p.reach {
			m.discard(p)
		}
	}
	m.dl.reset()
}

// processReady hands received blocks to the chain, strictly in order.
func (m *Machine) processReady() {
	d := &m.dl
	for len(d.want) > 0 && d.want[0].state == done {
		delete(d.byHash, d.want[0].node.Hash)
		d.want = d.want[1:]
	}
	for _, w := range d.want {
		switch w.state {
		case processing, done:
			continue
		case buffered:
			m.emit(Action{Kind: Process, Peer: w.from, Block: w.block})
			w.state, w.block = processing, nil
			d.bytes -= w.size
			continue
		}
		return
	}
}

// BlocksResponse handles a peer's answer to a blocks request.
func (m *Machine) BlocksResponse(now time.Time, from peer.ID, req uint64, raw []byte) {
	r := m.take(req, from, SendBlocks)
	if r == nil {
		return
	}
	defer m.step(now)
	blobs, err := netproto.DecodeBlobs(raw, len(r.hashes), netproto.MaxBlockSize)
	if err != nil || len(blobs) != len(r.hashes) {
		m.penalize(from, PenaltyMalformed, "malformed blocks response")
		m.dl.requeue(r, from)
		return
	}
	withheld := false
	for i, blob := range blobs {
		w := m.dl.byHash[r.hashes[i]]
		mine := w != nil && w.state == inflight && w.req == r.id
		if len(blob) == 0 {
			// It announced the block and now says it lacks it.
			withheld = true
			if mine {
				w.state = needed
				w.tried[from] = true
			}
			continue
		}
		b, err := chain.DecodeBlock(blob)
		if err != nil || b.Hash() != r.hashes[i] {
			m.penalize(from, PenaltyMalformed, "served a block that is not the one asked for")
			m.dl.requeue(r, from)
			return
		}
		if mine {
			w.state, w.block, w.from, w.size = buffered, b, from, len(blob)
			m.dl.bytes += len(blob)
		}
	}
	if withheld {
		m.penalize(from, PenaltyWithheld, "announced blocks it then did not serve")
	}
}

// BlockProcessed reports what the chain made of a block handed to it.
func (m *Machine) BlockProcessed(now time.Time, hash chainhash.Hash, err error) {
	defer m.step(now)
	w := m.dl.byHash[hash]
	if w == nil || w.state != processing {
		return
	}
	switch {
	case err == nil || errors.Is(err, chain.ErrDuplicateBlock):
		w.state = done
	case isFinal(err):
		m.penalize(w.from, PenaltyInvalid, "served an invalid block: "+err.Error())
		for _, id := range m.order {
			p := m.peers[id]
			if int64(w.node.Height) > p.reach {
				continue
			}
			if id != w.from {
				m.penalize(id, PenaltyAnnouncedBadOne, "announced headers of an invalid block")
			}
			m.discard(p)
		}
		if p := m.peers[w.from]; p != nil {
			m.discard(p)
		}
		m.dl.reset()
	default:
		// Not the block's fault (a local error, or a time we cannot judge
		// yet): start over from what peers show.
		m.dl.reset()
	}
	for _, id := range m.order {
		m.peers[id].trimPending(m.chain.HasBlock)
	}
}
