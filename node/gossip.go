package node

import (
	"context"
	"errors"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// processBlock runs a block through the chain and lets the mempool, the
// miner and the metrics follow the tip.
func (n *Node) processBlock(b *block.Block) (*chain.Result, error) {
	n.submitMu.Lock()
	defer n.submitMu.Unlock()
	res, err := n.chain.ProcessBlock(b, now())
	n.metrics.blockProcessed(err)
	if res != nil && len(res.Changes) > 0 {
		for _, t := range n.pool.ApplyChanges(res.Changes) {
			// Transactions of a losing branch are back in the pool: tell peers,
			// whose pools may never have held them.
			go n.txs.Publish(context.Background(), t.Encode())
		}
		if n.miner != nil {
			n.miner.NotifyNewTip()
		}
		if n.stratum != nil {
			n.stratum.NotifyNewTip()
		}
		n.tipChanged(res)
	}
	return res, err
}

// submitLocalBlock processes a block this node mined and announces it.
func (n *Node) submitLocalBlock(ctx context.Context, b *block.Block) error {
	if _, err := n.processBlock(b); err != nil {
		return err
	}
	return n.blocks.Publish(ctx, b.Encode())
}

// verdictFor maps a block or transaction error to the gossip verdict: invalid
// data is rejected (the sender is penalised and it is not relayed); data that
// is merely not useful now (duplicates, orphans, policy) is ignored.
func verdictFor(err error) p2p.Verdict {
	if err == nil {
		return p2p.Accept
	}
	code, isRule := rule.CodeOf(err)
	if !isRule {
		return p2p.Ignore
	}
	switch code {
	case rule.ErrUnknownParent, rule.ErrTimeTooNew, rule.ErrMissingInput, rule.ErrSpentInput,
		rule.ErrImmatureSpend, rule.ErrOutputIndexRange:
		// Could be honest: the sender knows a chain or transactions we do not yet.
		return p2p.Ignore
	}
	return p2p.Reject
}

func (n *Node) validateBlockMsg(ctx context.Context, from peer.ID, data []byte) p2p.Verdict {
	if from == n.host.PeerID() {
		return p2p.Accept
	}
	b, err := chain.DecodeBlock(data)
	if err != nil {
		n.metrics.reject(err)
		n.log.Warn("malformed block from peer", "peer", from, "err", err)
		return p2p.Reject
	}
	_, err = n.processBlock(b)
	switch {
	case errors.Is(err, chain.ErrDuplicateBlock):
		return p2p.Ignore
	case err != nil:
		if code, ok := rule.CodeOf(err); ok && code == rule.ErrUnknownParent {
			n.sync.requestAncestors(from)
		} else {
			n.log.Warn("block from peer rejected", "peer", from, "hash", b.Hash(), "err", err)
		}
	}
	n.sync.peerHasBlock(from, b)
	return verdictFor(err)
}

// acceptTx adds a transaction to the mempool and returns what was added (it
// and any orphans it completed).
func (n *Node) acceptTx(t *tx.Tx) ([]*tx.Tx, error) {
	added, err := n.pool.Accept(t)
	n.metrics.txProcessed(err)
	n.metrics.mempool.Set(float64(n.pool.Count()))
	n.txsAccepted(added)
	return added, err
}

func (n *Node) validateTxMsg(ctx context.Context, from peer.ID, data []byte) p2p.Verdict {
	if from == n.host.PeerID() {
		return p2p.Accept
	}
	t, err := chain.DecodeTx(data)
	if err != nil {
		n.metrics.reject(err)
		n.log.Warn("malformed transaction from peer", "peer", from, "err", err)
		return p2p.Reject
	}
	_, err = n.acceptTx(t)
	switch {
	case err == nil:
		return p2p.Accept
	case errors.Is(err, mempool.ErrOrphan):
		n.sync.requestTxParents(from, t)
		return p2p.Ignore
	}
	if v := verdictFor(err); v == p2p.Reject {
		n.log.Warn("transaction from peer rejected", "peer", from, "txid", t.ID(), "err", err)
		return v
	}
	return p2p.Ignore
}

// submitTx accepts a transaction from the RPC and announces it and any
// orphans it completed to peers.
func (n *Node) submitTx(ctx context.Context, t *tx.Tx) error {
	added, err := n.acceptTx(t)
	if err != nil {
		return err
	}
	for _, a := range added {
		if err := n.txs.Publish(ctx, a.Encode()); err != nil {
			n.log.Warn("publish transaction", "txid", a.ID(), "err", err)
		}
	}
	return nil
}
