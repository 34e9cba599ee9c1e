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
func (n *Node) processBlock(b *block.Block, opts chain.ProcessOptions) (*chain.Result, error) {
	n.submitMu.Lock()
	defer n.submitMu.Unlock()
	res, err := n.chain.ProcessBlockWith(b, now(), opts)
	n.metrics.blockProcessed(err)
	if res != nil && len(res.Changes) > 0 {
		for _, t := range n.pool.ApplyChanges(res.Changes) {
			// Transactions of a losing branch are back in the pool: tell peers,
			// whose pools may never have held them.
			n.txs.PublishInBackground(t.Encode())
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

// submitLocalBlock processes a block this node mined and announces it if
// it is on the main chain. A block mined on a tip that another block has
// replaced meanwhile is kept on its side branch but not announced: a node
// relays only blocks it has connected, so that it can always show a peer
// the branch that links a block it relayed (the peer asks for it when it
// lacks the block's parent).
func (n *Node) submitLocalBlock(ctx context.Context, b *block.Block) error {
	res, err := n.processBlock(b, chain.ProcessOptions{})
	if err != nil {
		return err
	}
	if !res.MainChain {
		n.log.Info("mined block not announced: the tip moved on while it was mined", "hash", b.Hash())
		return nil
	}
	return n.blocks.Publish(ctx, b.Encode())
}

// txVerdict maps a transaction error to the gossip verdict: invalid data is
// rejected (the sender is penalised and it is not relayed); data that is
// merely not useful now (duplicates, orphans, policy) is ignored.
func txVerdict(err error) p2p.Verdict {
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

// blockVerdict maps a block error to the gossip verdict. Unlike a
// transaction, a block that fails against the UTXO set (a missing or
// immature input) failed with its parent connected: that is final, and the
// sender is penalised like for any consensus failure. Only a block we cannot
// judge yet (unknown parent, a time ahead of our clock) or do not want (a
// duplicate, a chain lighter than ours) is ignored.
func blockVerdict(err error) p2p.Verdict {
	if err == nil {
		return p2p.Accept
	}
	code, isRule := rule.CodeOf(err)
	if !isRule || code == rule.ErrUnknownParent || code == rule.ErrTimeTooNew {
		return p2p.Ignore
	}
	return p2p.Reject
}

// penaltyInvalidBlock is what relaying a block that breaks a consensus rule costs.
const penaltyInvalidBlock = 100

func (n *Node) validateBlockMsg(ctx context.Context, from peer.ID, data []byte) p2p.Verdict {
	if from == n.host.PeerID() {
		return p2p.Accept
	}
	switch hash, orphan, err := orphanHeader(n.params, n.chain, data); {
	case err != nil:
		n.metrics.reject(err)
		n.log.Warn("block from peer rejected", "peer", from, "hash", hash, "err", err)
		n.host.Penalize(from, penaltyInvalidBlock, "relayed an invalid block: "+err.Error())
		return p2p.Reject
	case orphan:
		n.metrics.reject(rule.Errorf(rule.ErrUnknownParent, "block %s: parent not known", hash))
		n.sync.orphanBlock(from, hash)
		return p2p.Ignore
	}
	b, err := chain.DecodeBlock(data)
	if err != nil {
		n.metrics.reject(err)
		n.log.Warn("malformed block from peer", "peer", from, "err", err)
		return p2p.Reject
	}
	// Nobody asked for it: it is stored only if its chain has the tip's work.
	res, err := n.processBlock(b, chain.ProcessOptions{Unrequested: true})
	verdict := blockVerdict(err)
	switch {
	case err == nil:
		n.sync.peerHasBlock(from, b)
		if !res.MainChain {
			// Kept on a side branch with as much work as the tip: not
			// relayed, as a block mined on a stale tip is not announced.
			verdict = p2p.Ignore
		}
	case verdict == p2p.Reject:
		n.log.Warn("block from peer rejected", "peer", from, "hash", b.Hash(), "err", err)
		n.host.Penalize(from, penaltyInvalidBlock, "relayed an invalid block: "+err.Error())
	case errors.Is(err, chain.ErrDuplicateBlock):
		n.sync.peerHasBlock(from, b)
	default:
		if code, ok := rule.CodeOf(err); ok && code == rule.ErrUnknownParent {
			// Its body is not kept; the headers linking it are fetched first.
			n.sync.orphanBlock(from, b.Hash())
		}
	}
	return verdict
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
	if v := txVerdict(err); v == p2p.Reject {
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
