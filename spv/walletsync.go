package spv

import (
	"context"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
)

// Progress reports how far a wallet sync has matched filters.
type Progress struct {
	Height, Target uint64
}

// WalletSync is the outcome of a wallet sync: the wallet's balance and
// history at the tip of the most-work header chain.
type WalletSync struct {
	Balance Balance
	History []HistoryItem
	Tip     chainhash.Hash
	// CrossChecked is the fewest peers whose filter headers were compared
	// for any range of blocks; with 1, a lying peer could hide payments.
	CrossChecked int
	Dropped      []DroppedPeer
	Stats        SyncStats
}

// SyncStats counts what a wallet sync downloaded.
type SyncStats struct {
	Blocks            uint64 `json:"blocks"` // blocks whose filters were matched
	MatchedBlocks     uint64 `json:"matched_blocks"`
	HeaderBytes       int64  `json:"header_bytes"`
	FilterHeaderBytes int64  `json:"filter_header_bytes"`
	FilterBytes       int64  `json:"filter_bytes"`
	BlockBytes        int64  `json:"block_bytes"`
}

// SyncWallet brings the header chain and the wallet record (kept next to
// the header store) up to date from the given peers, and returns the
// wallet's balance and history. It finds the wallet's transactions by
// matching each block's compact filter, checked against filter headers
// cross-checked across the peers, with the wallet's keys and coins, and
// downloads only the blocks that match. When the most-work chain no longer
// holds blocks the record was built from, the record is rolled back to the
// fork and scanned forward again.
func (c *Client) SyncWallet(ctx context.Context, peers []string, keys Keys, progress func(Progress)) (*WalletSync, error) {
	rec, err := loadRecord(recordPath(c.dir, c.params.Name))
	if err != nil {
		return nil, err
	}
	s, err := c.connect(ctx, peers)
	if err != nil {
		return nil, err
	}
	defer s.close()
	s.syncHeaders(ctx)
	if len(s.peers) == 0 {
		return nil, fmt.Errorf("spv: no peer served a usable header chain (%s)", s.droppedSummary())
	}
	c.mu.Lock()
	tip := c.index.Best()
	c.mu.Unlock()
	w, err := rewind(rec, tip, keys)
	if err != nil {
		return nil, err
	}
	out := &WalletSync{Tip: tip.Hash, CrossChecked: len(s.peers)}
	next, _ := rec.height()
	if len(rec.chain) > 0 {
		next++
	}
	for start := next; start <= tip.Height; {
		end := min(start+netproto.MaxFilterHeaders-1, tip.Height)
		nodes := branch(tip, start, end)
		var prev chainhash.Hash
		if start > 0 {
			prev = rec.chain[start-1].FilterHeader
		}
		agreed, n, err := s.agreeFilterHeaders(ctx, nodes, prev)
		if err != nil {
			return nil, s.fail(rec, err)
		}
		out.CrossChecked = min(out.CrossChecked, n)
		if err := s.scanFilters(ctx, rec, w, nodes, agreed, prev, &out.Stats); err != nil {
			return nil, s.fail(rec, err)
		}
		if err := rec.save(); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(Progress{Height: end, Target: tip.Height})
		}
		start = end + 1
	}
	if err := rec.save(); err != nil {
		return nil, err
	}
	if out.CrossChecked < 2 {
		c.log.Warn("filter headers came from a single peer: a lying peer could hide payments; give more --peer")
	}
	out.Balance = w.balance(tip.Height, c.params.CoinbaseMaturity)
	out.History = w.history(rec.txs, tip.Height)
	out.Dropped = s.dropped
	out.Stats.HeaderBytes = s.received[netproto.ProtoHeaders]
	out.Stats.FilterHeaderBytes = s.received[netproto.ProtoFilterHeaders]
	return out, nil
}

// fail saves what a sync verified before err and returns err with the dropped peers.
func (s *session) fail(rec *record, err error) error {
	if serr := rec.save(); serr != nil {
		s.c.log.Warn("could not save the wallet record", "err", serr)
	}
	if len(s.dropped) > 0 {
		return fmt.Errorf("%w (dropped peers: %s)", err, s.droppedSummary())
	}
	return err
}

// rewind rolls rec back to its last block on the chain ending at tip and
// returns the watcher of the transactions that remain.
func rewind(rec *record, tip *headerchain.Node, keys Keys) (*watcher, error) {
	if h, ok := rec.height(); ok {
		n := tip.Ancestor(min(h, tip.Height))
		for n != nil && rec.chain[n.Height].Hash != n.Hash {
			n = n.Parent
		}
		if n == nil {
			rec.reset()
		} else {
			rec.rollback(n.Height)
		}
	}
	w, err := newWatcher(keys)
	if err != nil {
		return nil, err
	}
	for _, t := range rec.txs {
		if err := w.add(t.Tx, t.Height); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// branch returns the nodes of tip's chain from height start to end.
func branch(tip *headerchain.Node, start, end uint64) []*headerchain.Node {
	nodes := make([]*headerchain.Node, end-start+1)
	for n, i := tip.Ancestor(end), len(nodes)-1; i >= 0; n, i = n.Parent, i-1 {
		nodes[i] = n
	}
	return nodes
}

// scanFilters downloads and checks the filters of nodes, matches them with
// the wallet, and adds the blocks to rec, fetching and scanning those that match.
func (s *session) scanFilters(ctx context.Context, rec *record, w *watcher, nodes []*headerchain.Node, agreed []chainhash.Hash, prev chainhash.Hash, st *SyncStats) error {
	for k := 0; k < len(nodes); {
		if len(s.peers) == 0 {
			return fmt.Errorf("spv: no peer left to serve the filters of blocks from height %d", nodes[k].Height)
		}
		server := s.peers[s.c.perm(len(s.peers))[0]]
		filters, size, err := s.filtersFrom(ctx, server, nodes[k:], agreed[k:], prev)
		if err != nil {
			if !s.punish(server, err) {
				s.drop(server.String(), err.Error())
				s.remove(server)
			}
			continue
		}
		st.FilterBytes += int64(size)
		for j, f := range filters {
			node := nodes[k+j]
			match, err := f.MatchAny(w.elements())
			if err != nil {
				return fmt.Errorf("spv: filter of block %s: %w", node.Hash, err)
			}
			if match {
				before := prev
				if j > 0 {
					before = agreed[k+j-1]
				}
				if err := s.scanBlock(ctx, rec, w, node, before, agreed[k+j], server, st); err != nil {
					return err
				}
			}
			rec.chain = append(rec.chain, scanned{Hash: node.Hash, FilterHeader: agreed[k+j]})
			st.Blocks++
		}
		prev = agreed[k+len(filters)-1]
		k += len(filters)
	}
	return nil
}

// scanBlock downloads a block whose filter matched, from a peer other than
// the filter's server when there is one, and records the wallet's transactions in it.
//
// The block's recomputed filter must give the agreed filter header: if it
// does not, every peer that agreed on that header lied together, and the
// sync stops rather than trust any of them.
func (s *session) scanBlock(ctx context.Context, rec *record, w *watcher, node *headerchain.Node, prevHeader, header chainhash.Hash, server peer.ID, st *SyncStats) error {
	before := s.received[netproto.ProtoBlocks]
	b, err := s.fetchBlock(ctx, node, server)
	if err != nil {
		return fmt.Errorf("spv: the filter of block %s at height %d matches the wallet, but %w", node.Hash, node.Height, err)
	}
	f, err := blockfilter.Build(b)
	if err != nil {
		return err
	}
	if blockfilter.Header(blockfilter.Hash(f), prevHeader) != header {
		return fmt.Errorf("spv: block %s at height %d does not have the filter that every peer's filter headers commit to: "+
			"the peers agree on a lie; try other peers", node.Hash, node.Height)
	}
	st.MatchedBlocks++
	st.BlockBytes += s.received[netproto.ProtoBlocks] - before
	txs, err := w.scanBlock(b, node.Height)
	if err != nil {
		return err
	}
	if len(txs) > 0 {
		s.c.log.Info("wallet transactions found", "block", node.Hash, "height", node.Height, "txs", len(txs))
	}
	rec.txs = append(rec.txs, txs...)
	return nil
}
