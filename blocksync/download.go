package blocksync

import (
	"cmp"
	"errors"
	"math/big"
	"slices"
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

// download is what is being downloaded: the blocks we lack of every chain
// of validated headers a peer showed that has more work than ours, in height
// order. Downloading every such chain at once (not only the best) means that
// a peer which shows the most work and then stalls holds up only its own
// chain until it times out; the honest chains progress meanwhile.
type download struct {
	target *headerchain.Node // the most-work chain shown, for progress reports
	want   []*wanted         // blocks the chain lacks, by height
	byHash map[chainhash.Hash]*wanted
	// The window's bytes: blocks received and waiting for their turn
	// (buffered), blocks handed to the chain and not yet processed
	// (handed), and the most the responses of the block requests in flight
	// may take (reserved).
	buffered, handed, reserved int
	stale                      bool // peers' headers changed: choose the targets and who serves what again
}

// used returns the window's bytes in use.
func (d *download) used() int { return d.buffered + d.handed + d.reserved }

// setState moves w to state s, keeping the byte counts of received blocks.
func (d *download) setState(w *wanted, s wantState) {
	d.count(w, -1)
	w.state = s
	d.count(w, 1)
}

// count adds (sign 1) or removes (sign -1) w's bytes to the count of its state.
func (d *download) count(w *wanted, sign int) {
	switch w.state {
	case buffered:
		d.buffered += sign * w.size
	case processing:
		d.handed += sign * w.size
	}
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

// chooseTargets lists the blocks we lack of every pending header chain with
// more work than ours, keeping the state of blocks already under way, and
// works out which peer can serve which.
func (m *Machine) chooseTargets(ours *big.Int) {
	d := &m.dl
	if !d.stale {
		return
	}
	d.stale = false
	var ends []*headerchain.Node
	d.target = nil
	for _, id := range m.order {
		end := m.peers[id].pendingEnd()
		if end == nil || end.Work.Cmp(ours) <= 0 {
			continue
		}
		ends = append(ends, end)
		if d.target == nil || end.Work.Cmp(d.target.Work) > 0 {
			d.target = end
		}
	}
	old := d.byHash
	d.want, d.byHash = nil, map[chainhash.Hash]*wanted{}
	for _, end := range ends {
		for n := end; n != nil && d.byHash[n.Hash] == nil && !m.chain.HasBlock(n.Hash); n = n.Parent {
			w := old[n.Hash]
			if w == nil {
				w = &wanted{node: n, tried: map[peer.ID]bool{}}
			}
			delete(old, n.Hash)
			d.want = append(d.want, w)
			d.byHash[n.Hash] = w
		}
	}
	slices.SortStableFunc(d.want, func(a, b *wanted) int { return cmp.Compare(a.node.Height, b.node.Height) })
	for _, w := range old {
		d.count(w, -1) // no longer wanted: its bytes leave the window
	}
	for _, id := range m.order {
		m.computeServes(m.peers[id])
	}
}

// computeServes finds the wanted blocks a peer announced, or announced a
// descendant of: it has all of them.
func (m *Machine) computeServes(p *peerState) {
	p.serves = map[chainhash.Hash]bool{}
	mark := func(n *headerchain.Node) {
		for ; n != nil && m.dl.byHash[n.Hash] != nil && !p.serves[n.Hash]; n = n.Parent {
			p.serves[n.Hash] = true
		}
	}
	if end := p.pendingEnd(); end != nil {
		for i := len(p.pending) - 1; i >= 0; i-- {
			if m.dl.byHash[p.pending[i].Hash] != nil {
				mark(p.pending[i])
				break
			}
		}
	}
	for _, t := range p.tips {
		if w := m.dl.byHash[t]; w != nil {
			mark(w.node)
		}
	}
}

func (m *Machine) canServe(p *peerState, w *wanted) bool {
	return p.serves[w.node.Hash] && !w.tried[p.id]
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

// maxBlockSize is the most one block can take: the network's limit.
func (m *Machine) maxBlockSize() int { return min(m.params.MaxBlockSize, netproto.MaxBlockSize) }

// fitting returns how many blocks (up to BlocksPerRequest) one request may
// ask for so that its response fits in the window's free bytes, whatever
// their size. When only blocks waiting for their turn hold the window
// (nothing in flight or being processed would free it) it is one, so that
// the block they wait for can still be fetched.
func (m *Machine) fitting() int {
	d := &m.dl
	free := m.cfg.WindowBytes - d.used()
	n := m.cfg.BlocksPerRequest
	for n > 0 && netproto.BlobsSize(n, m.maxBlockSize()) > free {
		n--
	}
	if n == 0 && d.reserved == 0 && d.handed == 0 {
		n = 1
	}
	return n
}

// requestBlocks asks announcers for wanted blocks, within the window.
//
// It runs at every step (every block processed), so it stops as soon as no
// peer has a free request slot, and looks a block up in the chain only when
// it is about to ask for it or give up on it: a scan of the whole window
// with a lookup per block, at every step, cost more as the chain's index
// grew past the CPU's caches (issue 12).
func (m *Machine) requestBlocks(now time.Time) {
	d := &m.dl
	free := 0 // peers with a free request slot
	for _, id := range m.order {
		if m.peers[id].blockReqs < m.cfg.RequestsPerPeer {
			free++
		}
	}
	limit := min(len(d.want), m.cfg.Window)
	for i := 0; i < limit && free > 0; i++ {
		w := d.want[i]
		if w.state != needed {
			continue
		}
		p, anyone := m.server(w)
		if p == nil && anyone {
			continue // its announcers are busy
		}
		if m.chain.HasBlock(w.node.Hash) { // it came by gossip meanwhile
			w.state = done
			continue
		}
		if !anyone {
			m.noServer(w)
			continue
		}
		room := m.fitting()
		if room == 0 {
			return // the window's bytes are taken; responses and processing free them
		}
		batch := []*wanted{w}
		for j := i + 1; j < limit && len(batch) < room; j++ {
			if x := d.want[j]; x.state == needed && m.canServe(p, x) {
				batch = append(batch, x)
			}
		}
		hashes := make([]chainhash.Hash, len(batch))
		for k, x := range batch {
			hashes[k] = x.node.Hash
		}
		r := m.send(now, SendBlocks, p.id, m.cfg.BlocksTimeout,
			Action{Hashes: hashes, MaxBytes: netproto.BlobsSize(len(hashes), m.maxBlockSize())})
		p.blockReqs++
		if p.blockReqs == m.cfg.RequestsPerPeer {
			free--
		}
		for _, x := range batch {
			x.state, x.req = inflight, r.id
		}
	}
}

// noServer gives up on a chain whose block w no announcer will serve: the
// claims and headers of the peers that announced it are forgotten (they
// were penalised as they failed), and the other chains go on.
func (m *Machine) noServer(w *wanted) {
	for _, id := range m.order {
		if p := m.peers[id]; p.serves[w.node.Hash] {
			m.discard(p)
		}
	}
	w.state = done // not wanted any more; the targets are chosen again at the next step
	m.dl.stale = true
}

// processReady hands received blocks to the chain, each after its parent.
func (m *Machine) processReady() {
	d := &m.dl
	for len(d.want) > 0 && d.want[0].state == done {
		delete(d.byHash, d.want[0].node.Hash)
		d.want = d.want[1:]
	}
	for _, w := range d.want[:min(len(d.want), m.cfg.Window)] {
		if w.state != buffered || !m.parentReady(w) {
			continue
		}
		m.emit(Action{Kind: Process, Peer: w.from, Block: w.block})
		d.setState(w, processing) // its bytes count until it is processed
		w.block = nil
	}
}

// parentReady reports whether w's parent is in the chain or handed to it already.
func (m *Machine) parentReady(w *wanted) bool {
	if p := m.dl.byHash[w.node.Header.Prev]; p != nil {
		return p.state == processing || (p.state == done && m.chain.HasBlock(p.node.Hash))
	}
	return m.chain.HasBlock(w.node.Header.Prev)
}

// BlocksResponse handles a peer's answer to a blocks request.
func (m *Machine) BlocksResponse(now time.Time, from peer.ID, req uint64, raw []byte) {
	r := m.take(req, from, SendBlocks)
	if r == nil {
		return
	}
	defer m.step(now)
	blobs, err := netproto.DecodeBlobs(raw, len(r.hashes), m.maxBlockSize())
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
			w.block, w.from, w.size = b, from, len(blob)
			m.dl.setState(w, buffered)
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
		m.dl.setState(w, done)
	case isFinal(err):
		m.dl.setState(w, done)
		m.penalize(w.from, PenaltyInvalid, "served an invalid block: "+err.Error())
		for _, id := range m.order {
			p := m.peers[id]
			if !p.serves[w.node.Hash] && id != w.from {
				continue
			}
			if id != w.from {
				m.penalize(id, PenaltyAnnouncedBadOne, "announced headers of an invalid block")
			}
			m.discard(p)
		}
		m.dl.stale = true
	default:
		// Not the block's fault (a local error, or a time we cannot judge
		// yet): ask again.
		m.dl.setState(w, needed)
		w.tried[w.from] = true
		m.dl.stale = true
	}
	for _, id := range m.order {
		m.peers[id].trimPending(m.chain.HasBlock)
	}
}
