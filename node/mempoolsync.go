package node

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/blocksync"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/tx"
)

// Mempool reconciliation over request/response: gossip is best effort, so
// the node asks peers which transactions they hold and fetches the ones it
// lacks (the sync machine decides when), and fetches the missing parents of
// an orphan transaction from the peer that relayed it.

// Penalties for peers that serve bad transactions or lists.
const (
	penaltyBadTx   = 100
	penaltyBadList = 50
	// maxTxParentFetches bounds concurrent orphan-parent fetches.
	maxTxParentFetches = 8
)

// fetchMempool asks a peer which transactions it holds and fetches the ones we lack.
func (s *syncer) fetchMempool(ctx context.Context, id peer.ID) {
	n := s.n
	rctx, cancel := context.WithTimeout(ctx, s.cfg.BlocksTimeout)
	defer cancel()
	raw, err := n.host.Request(rctx, id, netproto.ProtoMempool, nil, netproto.MaxMempoolRespSize)
	if err != nil {
		n.log.Debug("mempool fetch failed", "peer", id, "err", err)
		return
	}
	ids, err := netproto.DecodeHashes(raw, netproto.MaxMempoolIDs)
	if err != nil {
		n.host.Penalize(id, penaltyBadList, "malformed mempool list")
		return
	}
	for _, txid := range ids {
		if _, ok := n.pool.Get(txid); ok || n.chain.HasTx(txid) {
			continue
		}
		t, ok := s.fetchTx(rctx, id, txid)
		if !ok {
			return
		}
		if t != nil {
			if _, err := n.acceptTx(t); err != nil {
				n.log.Debug("transaction from a peer's mempool refused", "peer", id, "txid", txid, "err", err)
			}
		}
	}
}

// fetchTx asks id for one transaction; ok is false if the peer served a wrong one (it is penalised).
func (s *syncer) fetchTx(ctx context.Context, id peer.ID, txid chainhash.Hash) (*tx.Tx, bool) {
	raw, err := s.n.host.Request(ctx, id, netproto.ProtoTx, netproto.EncodeHashes([]chainhash.Hash{txid}), netproto.MaxTxRespSize)
	if err != nil {
		return nil, true // it may have been mined or evicted meanwhile
	}
	t, err := chain.DecodeTx(raw)
	if err != nil || t.ID() != txid {
		s.n.host.Penalize(id, penaltyBadTx, "served a transaction that is not the one asked for")
		return nil, false
	}
	return t, true
}

// requestTxParents fetches the missing parents of an orphan transaction
// from the peer that sent it. The loop starts the fetch, so that every
// goroutine is started by one that its owner is waiting for.
func (s *syncer) requestTxParents(id peer.ID, t *tx.Tx) {
	s.postHint(func(*blocksync.Machine, time.Time) { s.fetchTxParents(s.ctx, s.wg, id, t) })
}

func (s *syncer) fetchTxParents(ctx context.Context, wg *sync.WaitGroup, id peer.ID, t *tx.Tx) {
	select {
	case s.parentSem <- struct{}{}:
	default:
		return // enough under way; the orphan waits in the pool for its parents
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { <-s.parentSem }()
		rctx, cancel := context.WithTimeout(ctx, s.cfg.BlocksTimeout)
		defer cancel()
		for _, in := range t.Inputs {
			if _, ok := s.n.pool.Get(in.Prev.TxID); ok || s.n.chain.HasTx(in.Prev.TxID) {
				continue
			}
			parent, ok := s.fetchTx(rctx, id, in.Prev.TxID)
			if !ok {
				return
			}
			if parent != nil {
				s.n.acceptTx(parent)
			}
		}
		s.n.acceptTx(t)
	}()
}
