package node

import (
	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/tx"
)

// Events returns the node's event bus: blocks connected to the main chain,
// transactions accepted to the mempool, and reorganisations. Subscribers
// such as the RPC's /v1/events stream and the explorer read from it.
func (n *Node) Events() *events.Bus { return n.events }

// tipChanged reports a move of the main chain's tip made by processing b:
// one log line for the new tip, block and reorg events, the notification
// hooks and the chain metrics. The caller holds submitMu, so tips are
// reported in the order the chain made them.
func (n *Node) tipChanged(res *chain.Result) {
	if res == nil || len(res.Changes) == 0 {
		return
	}
	tip := n.chain.Tip()
	var disconnected, connected []chain.Change
	for _, ch := range res.Changes {
		if ch.Connected {
			connected = append(connected, ch)
		} else {
			disconnected = append(disconnected, ch)
		}
	}
	if len(disconnected) > 0 {
		fork := disconnected[len(disconnected)-1].Height - 1
		oldTip := disconnected[0].Block.Hash().String()
		n.metrics.reorgs.Inc()
		n.metrics.reorgDepth.Observe(float64(len(disconnected)))
		n.log.Warn("reorganisation", "depth", len(disconnected), "fork_height", fork, "old_tip", oldTip, "new_tip", tip.Hash)
		n.events.Publish(events.Event{Type: events.TypeReorg, OldTip: oldTip, NewTip: tip.Hash.String(), ForkHeight: fork,
			Disconnected: len(disconnected), Connected: len(connected)})
	}
	for _, ch := range connected {
		n.blockConnected(ch.Block, ch.Height)
	}
	n.metrics.height.Set(float64(tip.Height))
	n.metrics.difficulty.Set(tip.Header.Difficulty.Bits())
	n.metrics.mempool.Set(float64(n.pool.Count()))
	n.metrics.mempoolBytes.Set(float64(n.pool.Bytes()))
	n.progress.observe(nowTime(), tip.Work)
	attrs := []any{"height", tip.Height, "hash", tip.Hash, "txs", len(connected[len(connected)-1].Block.Txs),
		"difficulty", tip.Header.Difficulty.String()}
	if syncing, prog := n.sync.isSyncing(); syncing && prog != nil {
		attrs = append(attrs, "progress", formatPercent(prog.Percent))
	}
	if len(connected) > 1 {
		attrs = append(attrs, "connected", len(connected))
	}
	n.log.Info("new tip", attrs...)
}

// blockConnected publishes one connected block and runs the hooks for it.
func (n *Node) blockConnected(b *block.Block, height uint64) {
	hash := b.Hash().String()
	n.events.Publish(events.Event{Type: events.TypeBlock, Hash: hash, Height: height, Prev: b.Header.Prev.String(),
		Time: b.Header.Time, Txs: len(b.Txs), Difficulty: b.Header.Difficulty.Bits()})
	if n.blockHook != nil {
		n.blockHook.Notify(hash)
	}
	if n.walletHook != nil {
		for _, t := range b.Txs {
			n.walletHook.Notify(t.ID().String())
		}
	}
}

// txsAccepted publishes transactions the mempool took and runs the wallet hook for them.
func (n *Node) txsAccepted(added []*tx.Tx) {
	for _, t := range added {
		id := t.ID()
		ev := events.Event{Type: events.TypeTx, TxID: id.String(), Size: t.Size()}
		if e, ok := n.pool.Get(id); ok {
			ev.Fee, ev.FeeRate = e.Fee, e.Fee/int64(max(e.Size, 1))
			n.metrics.feeRates.Observe(float64(e.Fee) / float64(max(e.Size, 1)))
		}
		n.events.Publish(ev)
		if n.walletHook != nil {
			n.walletHook.Notify(ev.TxID)
		}
	}
	n.metrics.mempoolBytes.Set(float64(n.pool.Bytes()))
}
