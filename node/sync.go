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
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// Sync tuning.
const (
	statusInterval   = 5 * time.Second
	requestTimeout   = 20 * time.Second
	blocksPerRequest = netproto.MaxBlocksPerReq
	parallelRequests = 4
	// Penalties for peers that serve bad data.
	penaltyWrongNetwork = 100
	penaltyBadHeaders   = 50
	penaltyBadBlock     = 100
	penaltyUnrequested  = 20
)

// peerState is what the node knows of a peer from its handshake and gossip.
type peerState struct {
	status *netproto.Status
}

// syncer keeps the node on the most-work chain its peers know: it runs the
// status handshake with every new peer, polls statuses, and downloads
// headers first, then blocks in parallel from several peers.
type syncer struct {
	n       *Node
	mu      sync.Mutex
	peers   map[peer.ID]*peerState
	kick    chan peer.ID
	syncing bool
	prog    *rpc.SyncProgress
}

func newSyncer(n *Node) *syncer {
	return &syncer{n: n, peers: map[peer.ID]*peerState{}, kick: make(chan peer.ID, 64)}
}

func (s *syncer) peerConnected(id peer.ID) {
	select {
	case s.kick <- id:
	default:
	}
}

func (s *syncer) peerDisconnected(id peer.ID) {
	s.mu.Lock()
	delete(s.peers, id)
	s.mu.Unlock()
}

// requestAncestors is called when a peer gossips a block whose parent we lack.
func (s *syncer) requestAncestors(id peer.ID) { s.peerConnected(id) }

// peerHasBlock records that a peer has a block, raising what we think its height is.
func (s *syncer) peerHasBlock(id peer.ID, b *block.Block) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.peers[id]; ok && st.status != nil {
		if h := b.Txs[0].Coinbase.Height; h > st.status.Height {
			st.status.Height = h
		}
	}
}

// requestTxParents fetches the missing parents of an orphan transaction from the peer that sent it.
func (s *syncer) requestTxParents(id peer.ID, t *tx.Tx) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		for _, in := range t.Inputs {
			if _, ok := s.n.pool.Get(in.Prev.TxID); ok || s.n.chain.HasTx(in.Prev.TxID) {
				continue
			}
			raw, err := s.n.host.Request(ctx, id, netproto.ProtoTx, netproto.EncodeHashes([]chainhash.Hash{in.Prev.TxID}), netproto.MaxTxRespSize)
			if err != nil {
				continue
			}
			parent, err := chain.DecodeTx(raw)
			if err != nil || parent.ID() != in.Prev.TxID {
				s.n.host.Penalize(id, penaltyBadBlock, "served a transaction that is not the one asked for")
				return
			}
			s.n.acceptTx(parent)
		}
		s.n.acceptTx(t)
	}()
}

// isSyncing reports whether an initial or catch-up download is under way, and its progress.
func (s *syncer) isSyncing() (bool, *rpc.SyncProgress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prog == nil {
		return s.syncing, nil
	}
	p := *s.prog
	return s.syncing, &p
}

func (s *syncer) heightOf(id peer.ID) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.peers[id]; ok && st.status != nil {
		return st.status.Height
	}
	return 0
}

func (s *syncer) run(ctx context.Context) {
	ticker := time.NewTicker(statusInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.kick:
			s.handshake(ctx, id)
		case <-ticker.C:
			for _, p := range s.n.host.Peers() {
				s.handshake(ctx, p.ID)
			}
		}
		s.syncToBest(ctx)
	}
}

// handshake asks a peer for its status; a peer on another network is dropped.
func (s *syncer) handshake(ctx context.Context, id peer.ID) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	raw, err := s.n.host.Request(rctx, id, netproto.ProtoStatus, nil, netproto.MaxStatusSize)
	if errors.Is(err, p2p.ErrUnsupported) {
		// Protocol IDs carry the network name. A peer serving another
		// network's protocols is on another network; one serving none is a
		// light client (SPV) and stays.
		if nets := s.n.host.PeerNetworks(id); len(nets) > 0 && !slices.Contains(nets, s.n.params.Name) {
			s.n.log.Info("dropping peer that does not speak this network's protocol", "peer", id, "its_networks", nets)
			s.n.host.Disconnect(id)
		}
		return
	}
	if err != nil {
		s.n.log.Debug("status request failed", "peer", id, "err", err)
		return
	}
	st, err := netproto.DecodeStatus(raw)
	if err != nil {
		s.n.host.Penalize(id, penaltyBadHeaders, "malformed status")
		return
	}
	if st.Network != s.n.params.Name || st.Genesis != s.n.params.GenesisHash() {
		s.n.log.Warn("peer is on another network", "peer", id, "network", st.Network)
		s.n.host.Penalize(id, penaltyWrongNetwork, "wrong network or genesis")
		return
	}
	s.mu.Lock()
	old, known := s.peers[id]
	s.peers[id] = &peerState{status: st}
	s.mu.Unlock()
	// A new peer, or one whose tip moved (a reorg can put transactions back
	// in its pool), may hold transactions we lack.
	if !known || old.status == nil || old.status.Tip != st.Tip {
		go s.fetchMempool(ctx, id)
	}
}

// fetchMempool asks a new peer which transactions it holds and fetches the
// ones we lack: gossip is best effort, this makes the pools complete.
func (s *syncer) fetchMempool(ctx context.Context, id peer.ID) {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	raw, err := s.n.host.Request(rctx, id, netproto.ProtoMempool, nil, netproto.MaxMempoolRespSize)
	if err != nil {
		return
	}
	ids, err := netproto.DecodeHashes(raw, netproto.MaxMempoolIDs)
	if err != nil {
		s.n.host.Penalize(id, penaltyBadHeaders, "malformed mempool list")
		return
	}
	for _, txid := range ids {
		if _, ok := s.n.pool.Get(txid); ok || s.n.chain.HasTx(txid) {
			continue
		}
		raw, err := s.n.host.Request(rctx, id, netproto.ProtoTx, netproto.EncodeHashes([]chainhash.Hash{txid}), netproto.MaxTxRespSize)
		if err != nil {
			continue
		}
		t, err := chain.DecodeTx(raw)
		if err != nil || t.ID() != txid {
			s.n.host.Penalize(id, penaltyBadBlock, "served a transaction that is not the one asked for")
			return
		}
		s.n.acceptTx(t)
	}
}

// bestPeer returns the peer claiming the most work, if it is more than ours.
func (s *syncer) bestPeer() (peer.ID, *netproto.Status) {
	ours := s.n.chain.Tip().Work
	s.mu.Lock()
	defer s.mu.Unlock()
	var best peer.ID
	var bestSt *netproto.Status
	for id, st := range s.peers {
		if st.status == nil || st.status.Work.Cmp(ours) <= 0 {
			continue
		}
		if bestSt == nil || st.status.Work.Cmp(bestSt.Work) > 0 {
			best, bestSt = id, st.status
		}
	}
	return best, bestSt
}

// peersAtLeast returns peers whose last status reached height.
func (s *syncer) peersAtLeast(height uint64) []peer.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []peer.ID
	for id, st := range s.peers {
		if st.status != nil && st.status.Height >= height {
			out = append(out, id)
		}
	}
	return out
}

func (s *syncer) setSyncing(on bool, prog *rpc.SyncProgress) {
	s.mu.Lock()
	s.syncing, s.prog = on, prog
	s.mu.Unlock()
}

// syncToBest downloads from the peer with the most work until we have caught up.
func (s *syncer) syncToBest(ctx context.Context) {
	for ctx.Err() == nil {
		id, st := s.bestPeer()
		if st == nil {
			s.setSyncing(false, nil)
			return
		}
		if err := s.syncFrom(ctx, id, st); err != nil {
			s.n.log.Warn("sync from peer failed", "peer", id, "err", err)
			s.mu.Lock()
			delete(s.peers, id) // ask again at the next status round
			s.mu.Unlock()
			return
		}
	}
}

// syncFrom fetches headers from id after our locator, checks them, then
// downloads and connects their blocks, repeating until id has nothing new.
func (s *syncer) syncFrom(ctx context.Context, id peer.ID, st *netproto.Status) error {
	started := time.Now()
	startHeight := s.n.chain.Tip().Height
	for ctx.Err() == nil {
		req := netproto.HeadersRequest{Locator: s.n.chain.Locator(), Max: netproto.MaxHeaders}
		if len(req.Locator) > netproto.MaxLocator {
			req.Locator = req.Locator[:netproto.MaxLocator]
		}
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		raw, err := s.n.host.Request(rctx, id, netproto.ProtoHeaders, req.Encode(), netproto.MaxHeadersSize)
		cancel()
		if err != nil {
			return fmt.Errorf("headers: %w", err)
		}
		headers, err := netproto.DecodeHeaders(raw)
		if err != nil {
			s.n.host.Penalize(id, penaltyBadHeaders, "malformed headers")
			return err
		}
		if len(headers) == 0 {
			return nil
		}
		// Skip headers we already have (the peer may resend the part we share).
		for len(headers) > 0 && s.n.chain.HasBlock(headers[0].Hash()) {
			headers = headers[1:]
		}
		if len(headers) == 0 {
			return nil
		}
		work, err := s.n.chain.CheckHeaders(headers, now())
		if err != nil {
			if code, ok := rule.CodeOf(err); ok && code != rule.ErrTimeTooNew {
				s.n.host.Penalize(id, penaltyBadHeaders, "invalid headers: "+err.Error())
			}
			return fmt.Errorf("headers from peer: %w", err)
		}
		target := st.Height
		if last := headerHeight(s.n.chain, headers); last > target {
			target = last
		}
		if err := s.downloadBlocks(ctx, id, headers, startHeight, target, started); err != nil {
			return err
		}
		if work.Cmp(st.Work) >= 0 || len(headers) < netproto.MaxHeaders {
			if tip := s.n.chain.Tip(); tip.Work.Cmp(st.Work) >= 0 {
				s.n.log.Info("synced", "height", tip.Height, "peer", id, "took", time.Since(started).Round(time.Millisecond))
				return nil
			}
		}
	}
	return ctx.Err()
}

// headerHeight returns the height the last of headers will have.
func headerHeight(c *chain.Chain, headers []block.Header) uint64 {
	_, info, err := c.BlockByHash(headers[0].Prev)
	if err != nil {
		return 0
	}
	return info.Height + uint64(len(headers))
}

// downloadBlocks fetches the blocks of headers in batches from several peers
// at once and connects them in order, reporting progress.
func (s *syncer) downloadBlocks(ctx context.Context, primary peer.ID, headers []block.Header, startHeight, target uint64, started time.Time) error {
	type batch struct {
		index  int
		hashes []chainhash.Hash
		blocks []*block.Block
		err    error
		done   chan struct{}
	}
	baseHeight := headerHeight(s.n.chain, headers) - uint64(len(headers))
	var batches []*batch
	for i := 0; i < len(headers); i += blocksPerRequest {
		end := min(i+blocksPerRequest, len(headers))
		b := &batch{index: i, done: make(chan struct{})}
		for _, h := range headers[i:end] {
			b.hashes = append(b.hashes, h.Hash())
		}
		batches = append(batches, b)
	}
	sem := make(chan struct{}, parallelRequests)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for i, b := range batches {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(i int, b *batch) {
				defer close(b.done)
				candidates := s.peersAtLeast(baseHeight + uint64(b.index+len(b.hashes)))
				who := primary
				if len(candidates) > 0 {
					who = candidates[i%len(candidates)]
				}
				b.blocks, b.err = s.fetchBlocks(ctx, who, b.hashes)
				if b.err != nil && who != primary {
					b.blocks, b.err = s.fetchBlocks(ctx, primary, b.hashes)
				}
			}(i, b)
		}
	}()
	lastLog := time.Now()
	for _, b := range batches {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-sem
		if b.err != nil {
			return b.err
		}
		for _, blk := range b.blocks {
			if _, err := s.n.processBlock(blk); err != nil && !errors.Is(err, chain.ErrDuplicateBlock) {
				return fmt.Errorf("connect downloaded block %s: %w", blk.Hash(), err)
			}
		}
		s.report(startHeight, target, started, &lastLog)
	}
	return nil
}

// fetchBlocks asks id for blocks by hash and checks it sent exactly those.
func (s *syncer) fetchBlocks(ctx context.Context, id peer.ID, hashes []chainhash.Hash) ([]*block.Block, error) {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	raw, err := s.n.host.Request(rctx, id, netproto.ProtoBlocks, netproto.EncodeHashes(hashes), netproto.MaxBlocksRespSize)
	if err != nil {
		return nil, fmt.Errorf("blocks from %s: %w", id, err)
	}
	blobs, err := netproto.DecodeBlobs(raw, len(hashes), netproto.MaxBlockSize)
	if err != nil || len(blobs) != len(hashes) {
		s.n.host.Penalize(id, penaltyBadBlock, "malformed blocks response")
		return nil, fmt.Errorf("blocks from %s: malformed response", id)
	}
	out := make([]*block.Block, len(blobs))
	for i, blob := range blobs {
		b, err := chain.DecodeBlock(blob)
		if err != nil || b.Hash() != hashes[i] {
			s.n.host.Penalize(id, penaltyBadBlock, "served a block that is not the one asked for")
			return nil, fmt.Errorf("blocks from %s: block %d is not %s", id, i, hashes[i])
		}
		out[i] = b
	}
	return out, nil
}

// report updates and logs sync progress at most every few seconds.
func (s *syncer) report(startHeight, target uint64, started time.Time, lastLog *time.Time) {
	height := s.n.chain.Tip().Height
	elapsed := time.Since(started).Seconds()
	done := float64(height - min(height, startHeight))
	rate := 0.0
	if elapsed > 0 {
		rate = done / elapsed
	}
	pct := 100.0
	if target > 0 {
		pct = 100 * float64(height) / float64(target)
	}
	eta := 0.0
	if rate > 0 && target > height {
		eta = float64(target-height) / rate
	}
	prog := &rpc.SyncProgress{Height: height, TargetHeight: target, Percent: min(pct, 100), BlocksPerSec: rate, ETASeconds: eta}
	s.setSyncing(height < target, prog)
	if time.Since(*lastLog) >= 2*time.Second || height >= target {
		*lastLog = time.Now()
		s.n.log.Info("sync progress", "height", height, "target", target, "percent", fmt.Sprintf("%.1f", prog.Percent),
			"blocks_per_sec", fmt.Sprintf("%.1f", rate), "eta", (time.Duration(eta) * time.Second).String())
	}
}
