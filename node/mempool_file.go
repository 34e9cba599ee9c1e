package node

import (
	"path/filepath"

	"github.com/ledgerd/ledger/mempool"
)

// loadMempool restores the pool saved at the last clean stop, re-validating
// each transaction against the chain. A damaged file is moved aside with a
// warning; the node starts with an empty pool.
func (n *Node) loadMempool() {
	path := filepath.Join(n.cfg.DataDir, mempool.FileName)
	res, err := n.pool.Load(path)
	if err != nil {
		n.log.Warn("saved mempool not loaded", "err", err)
		return
	}
	if res.Accepted+res.Dropped > 0 {
		n.log.Info("mempool restored", "txs", res.Accepted, "dropped", res.Dropped)
	}
}

// saveMempool writes the pool for the next start. It runs after everything
// that could add to the pool has stopped. Failing to save costs only the
// unconfirmed transactions (peers and wallets still hold them), so it is a
// warning, not a failed shutdown.
func (n *Node) saveMempool() {
	count, err := n.pool.Save(filepath.Join(n.cfg.DataDir, mempool.FileName))
	if err != nil {
		n.log.Warn("mempool not saved", "err", err)
		return
	}
	n.log.Info("mempool saved", "txs", count)
}
