package spv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
)

// How the light wallet trusts filters. Every peer is asked for the filter
// headers of each range of blocks; they must chain from the filter header
// already verified below the range. Where the peers' chains differ, the
// block at the first difference is downloaded, checked against its header
// (hash and Merkle root), and its filter recomputed: the filter header that
// follows from it and the agreed previous one is the truth, and every peer
// that said otherwise is banned. Filters are then downloaded from any one
// peer and each is checked against its agreed filter header before it is
// matched, so a peer can neither hide a payment nor invent one with a filter.
// Only when every peer that answered agrees on a lie (or just one answered)
// can filter headers be wrong; a sync reports how many peers it cross-checked.

// misbehaved marks a request that failed by the peer's fault (malformed or
// inconsistent data), as opposed to one that failed because the peer lacks
// the data or is unreachable.
type misbehaved struct{ reason string }

func (m *misbehaved) Error() string { return m.reason }

func lied(format string, args ...any) error { return &misbehaved{fmt.Sprintf(format, args...)} }

// remove stops using id for the rest of the session.
func (s *session) remove(id peer.ID) {
	for i, p := range s.peers {
		if p == id {
			s.peers = append(s.peers[:i:i], s.peers[i+1:]...)
			return
		}
	}
}

// punish bans id when err is its fault and reports whether it was.
func (s *session) punish(id peer.ID, err error) bool {
	var m *misbehaved
	if !errors.As(err, &m) {
		return false
	}
	s.ban(id, m.reason)
	s.remove(id)
	return true
}

func (s *session) request(ctx context.Context, id peer.ID, proto string, req []byte, max int) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	raw, err := s.host.Request(rctx, id, proto, req, max)
	s.received[proto] += int64(len(raw))
	return raw, err
}

// filterHeadersFrom asks id for the filter headers of nodes (consecutive, on one branch).
func (s *session) filterHeadersFrom(ctx context.Context, id peer.ID, nodes []*headerchain.Node, prev chainhash.Hash) ([]chainhash.Hash, error) {
	first, last := nodes[0], nodes[len(nodes)-1]
	q := netproto.FilterRequest{Start: first.Height, Stop: last.Hash}
	raw, err := s.request(ctx, id, netproto.ProtoFilterHeaders, q.Encode(), netproto.MaxFilterHeadersSize)
	if err != nil {
		return nil, fmt.Errorf("filter headers %d..%d: %w", first.Height, last.Height, err)
	}
	fh, err := netproto.DecodeFilterHeaders(raw)
	if err != nil {
		return nil, lied("malformed filter headers: %v", err)
	}
	if len(fh.Headers) != len(nodes) {
		return nil, lied("sent %d filter headers for the %d blocks %d..%d", len(fh.Headers), len(nodes), first.Height, last.Height)
	}
	if fh.Prev != prev {
		return nil, lied("filter header chain below height %d differs from the verified one", first.Height)
	}
	return fh.Headers, nil
}

// agreeFilterHeaders returns the filter headers of nodes that every
// remaining peer agrees on, after settling disagreements with the blocks
// themselves, and how many peers agreed.
func (s *session) agreeFilterHeaders(ctx context.Context, nodes []*headerchain.Node, prev chainhash.Hash) ([]chainhash.Hash, int, error) {
	type answer struct {
		id      peer.ID
		headers []chainhash.Hash
	}
	var answers []answer
	for _, id := range append([]peer.ID(nil), s.peers...) {
		hs, err := s.filterHeadersFrom(ctx, id, nodes, prev)
		if err != nil {
			if !s.punish(id, err) {
				s.c.log.Info("peer has no filter headers", "peer", id, "err", err)
			}
			continue
		}
		answers = append(answers, answer{id, hs})
	}
	for {
		if len(answers) == 0 {
			return nil, 0, fmt.Errorf("spv: no peer served filter headers for blocks %d..%d", nodes[0].Height, nodes[len(nodes)-1].Height)
		}
		i := firstDifference(len(nodes), func(a int) []chainhash.Hash { return answers[a].headers }, len(answers))
		if i < 0 {
			return answers[0].headers, len(answers), nil
		}
		before := prev
		if i > 0 {
			before = answers[0].headers[i-1] // all answers agree below i
		}
		truth, err := s.recomputeFilterHeader(ctx, nodes[i], before)
		if err != nil {
			return nil, 0, fmt.Errorf("spv: peers disagree on the filter of block %s at height %d, and it could not be settled: %w", nodes[i].Hash, nodes[i].Height, err)
		}
		keep := answers[:0]
		for _, a := range answers {
			if a.headers[i] != truth {
				s.ban(a.id, fmt.Sprintf("served a wrong filter header for block %s at height %d", nodes[i].Hash, nodes[i].Height))
				s.remove(a.id)
				continue
			}
			keep = append(keep, a)
		}
		answers = keep
	}
}

// firstDifference returns the first index at which the n lists differ, or -1.
func firstDifference(length int, list func(int) []chainhash.Hash, n int) int {
	for i := 0; i < length; i++ {
		for a := 1; a < n; a++ {
			if list(a)[i] != list(0)[i] {
				return i
			}
		}
	}
	return -1
}

// recomputeFilterHeader downloads the block of node and returns the filter
// header its filter has after prev.
func (s *session) recomputeFilterHeader(ctx context.Context, node *headerchain.Node, prev chainhash.Hash) (chainhash.Hash, error) {
	b, err := s.fetchBlock(ctx, node, "")
	if err != nil {
		return chainhash.Hash{}, err
	}
	f, err := blockfilter.Build(b)
	if err != nil {
		return chainhash.Hash{}, err
	}
	return blockfilter.Header(blockfilter.Hash(f), prev), nil
}

// fetchBlock downloads the block of node from a random peer other than avoid
// (avoid only if no other is left) and checks it against its header. A peer
// sending a block that does not check is banned; a peer that withholds it,
// having served filter headers for it, is dropped.
func (s *session) fetchBlock(ctx context.Context, node *headerchain.Node, avoid peer.ID) (*block.Block, error) {
	order := make([]peer.ID, 0, len(s.peers))
	var last []peer.ID
	for _, i := range s.c.perm(len(s.peers)) {
		if s.peers[i] == avoid {
			last = append(last, avoid)
			continue
		}
		order = append(order, s.peers[i])
	}
	for _, id := range append(order, last...) {
		b, err := s.blockFrom(ctx, id, node)
		if err == nil {
			return b, nil
		}
		if !s.punish(id, err) {
			s.drop(id.String(), err.Error())
			s.remove(id)
		}
	}
	return nil, fmt.Errorf("no peer served block %s at height %d", node.Hash, node.Height)
}

func (s *session) blockFrom(ctx context.Context, id peer.ID, node *headerchain.Node) (*block.Block, error) {
	// The answer may take what one block of this network can, no more: a
	// longer one is refused from its length prefix, unread.
	maxBlock := min(s.c.params.MaxBlockSize, netproto.MaxBlockSize)
	raw, err := s.request(ctx, id, netproto.ProtoBlocks, netproto.EncodeHashes([]chainhash.Hash{node.Hash}), netproto.BlobsSize(1, maxBlock))
	if errors.Is(err, p2p.ErrTooLarge) {
		return nil, lied("blocks answer for one block longer than a block can be (%d bytes)", maxBlock)
	}
	if err != nil {
		return nil, fmt.Errorf("withheld block %s at height %d: %w", node.Hash, node.Height, err)
	}
	blobs, err := netproto.DecodeBlobs(raw, 1, maxBlock)
	if err != nil {
		return nil, lied("malformed blocks answer: %v", err)
	}
	if len(blobs) != 1 || len(blobs[0]) == 0 {
		return nil, fmt.Errorf("withheld block %s at height %d, which its filter headers cover", node.Hash, node.Height)
	}
	b, err := block.Decode(blobs[0])
	if err != nil {
		return nil, lied("malformed block %s: %v", node.Hash, err)
	}
	if err := checkAgainstHeader(b, node); err != nil {
		return nil, lied("%v", err)
	}
	return b, nil
}

// checkAgainstHeader checks that b is the block of node: same header, and
// transactions committed to by its Merkle root, none twice.
func checkAgainstHeader(b *block.Block, node *headerchain.Node) error {
	if h := b.Hash(); h != node.Hash {
		return fmt.Errorf("sent block %s for %s", h, node.Hash)
	}
	if len(b.Txs) == 0 || block.ComputeMerkleRoot(b.Txs) != node.Header.MerkleRoot {
		return fmt.Errorf("block %s: transactions do not match the header's Merkle root", node.Hash)
	}
	seen := make(map[chainhash.Hash]bool, len(b.Txs))
	for _, t := range b.Txs {
		id := t.ID()
		if seen[id] {
			return fmt.Errorf("block %s: transaction %s twice", node.Hash, id)
		}
		seen[id] = true
	}
	return nil
}

// filtersFrom downloads the filters of a prefix of nodes from id and checks
// each against its agreed filter header (headers[i] for nodes[i], chaining
// from prev). It returns at least one filter, or an error.
func (s *session) filtersFrom(ctx context.Context, id peer.ID, nodes []*headerchain.Node, headers []chainhash.Hash, prev chainhash.Hash) ([]*blockfilter.Filter, int, error) {
	if len(nodes) > netproto.MaxFiltersPerReq {
		nodes = nodes[:netproto.MaxFiltersPerReq]
	}
	first, last := nodes[0], nodes[len(nodes)-1]
	q := netproto.FilterRequest{Start: first.Height, Stop: last.Hash}
	raw, err := s.request(ctx, id, netproto.ProtoFilters, q.Encode(), netproto.MaxFiltersRespSize)
	if err != nil {
		return nil, 0, fmt.Errorf("filters %d..%d: %w", first.Height, last.Height, err)
	}
	got, err := netproto.DecodeFilters(raw)
	if err != nil {
		return nil, 0, lied("malformed filters: %v", err)
	}
	if len(got) == 0 || len(got) > len(nodes) {
		return nil, 0, lied("sent %d filters for the %d blocks %d..%d", len(got), len(nodes), first.Height, last.Height)
	}
	out := make([]*blockfilter.Filter, len(got))
	size := 0
	for i, bf := range got {
		if bf.Block != nodes[i].Hash {
			return nil, 0, lied("sent the filter of %s for block %s", bf.Block, nodes[i].Hash)
		}
		if blockfilter.Header(blockfilter.Hash(bf.Filter), prev) != headers[i] {
			return nil, 0, lied("served a filter for block %s at height %d that does not match its filter header", nodes[i].Hash, nodes[i].Height)
		}
		prev = headers[i]
		if out[i], err = blockfilter.Decode(nodes[i].Hash, bf.Filter); err != nil {
			return nil, 0, lied("filter of block %s: %v", nodes[i].Hash, err)
		}
		size += len(bf.Filter)
	}
	return out, size, nil
}
