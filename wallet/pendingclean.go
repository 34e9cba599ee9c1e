package wallet

import (
	"context"
	"encoding/hex"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// cleanPending forgets pending sends that can no longer be retried: ones a
// block has mined, and ones that conflict with what the chain or the pool
// holds now (an input is no longer an unspent output of the wallet, or a
// pool transaction other than the pending one spends it). res is a fresh
// scan of the wallet's keys. Entries the node cannot be asked about stay.
func (w *Wallet) cleanPending(ctx context.Context, node Node, res *rpc.ScanResult) {
	ps, err := w.loadPending()
	if err != nil || len(ps) == 0 {
		return
	}
	unspent := map[tx.OutPoint]bool{} // true when a pool transaction spends it
	for _, u := range res.UTXOs {
		if id, err := chainhash.Parse(u.TxID); err == nil {
			unspent[tx.OutPoint{TxID: id, Index: u.Vout}] = u.SpentInMempool
		}
	}
	var keep []pendingSend
	for _, p := range ps {
		if w.pendingStillValid(ctx, node, p, unspent) {
			keep = append(keep, p)
		}
	}
	if len(keep) != len(ps) {
		w.storePending(keep)
	}
}

func (w *Wallet) pendingStillValid(ctx context.Context, node Node, p pendingSend, unspent map[tx.OutPoint]bool) bool {
	known, err := node.Tx(ctx, p.TxID)
	switch {
	case err == nil && known.Block != nil:
		return false // mined: done
	case err == nil:
		return true // in the pool: a retry is acknowledged as already known
	case !isNotFound(err):
		return true // cannot tell now
	}
	raw, err := hex.DecodeString(p.Hex)
	if err != nil {
		return false
	}
	t, err := tx.Decode(raw)
	if err != nil {
		return false
	}
	for _, in := range t.Inputs {
		spentInPool, ok := unspent[in.Prev]
		if !ok || spentInPool {
			return false // conflicted: something else spent this input
		}
	}
	return true
}
