package node

import (
	"context"
	"encoding/hex"
	"sort"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// maxScanKeys bounds the keys of one scan request.
const maxScanKeys = 2000

// Scan answers what the chain and the mempool hold for a wallet's keys: its
// unspent outputs (confirmed and not) and the transactions that touched it.
func (b *backend) Scan(ctx context.Context, req rpc.ScanRequest) (*rpc.ScanResult, error) {
	if len(req.Keys) > maxScanKeys {
		return nil, rpc.BadRequest("at most %d keys per scan, got %d", maxScanKeys, len(req.Keys))
	}
	keys := make(map[[32]byte]bool, len(req.Keys))
	for _, k := range req.Keys {
		raw, err := hex.DecodeString(k)
		if err != nil || len(raw) != 32 {
			return nil, rpc.BadRequest("key %q is not 64 hex digits", k)
		}
		keys[[32]byte(raw)] = true
	}
	n := b.n
	tip := n.chain.Tip()
	res := &rpc.ScanResult{Height: tip.Height, Tip: tip.Hash.String(), UTXOs: []rpc.UTXO{}, History: []rpc.HistoryItem{}}
	seen := map[chainhash.Hash]bool{}
	var confirmed []chain.HistoryEntry
	for k := range keys {
		utxos, err := n.chain.UnspentByKey(k)
		if err != nil {
			return nil, err
		}
		for _, u := range utxos {
			confs := tip.Height - u.UTXO.Height + 1
			_, spent := n.pool.SpentBy(u.OutPoint)
			res.UTXOs = append(res.UTXOs, rpc.UTXO{
				TxID: u.OutPoint.TxID.String(), Vout: u.OutPoint.Index, Amount: u.UTXO.Output.Amount, Key: hex.EncodeToString(k[:]),
				Height: u.UTXO.Height, Coinbase: u.UTXO.Coinbase, Confirmations: confs,
				// Like bitcoind's wallet, a coinbase counts as mature once it has more confirmations than the maturity.
				Mature:         !u.UTXO.Coinbase || confs > n.params.CoinbaseMaturity,
				SpentInMempool: spent,
			})
		}
		entries, err := n.chain.HistoryByKey(k)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !seen[e.TxID] {
				seen[e.TxID] = true
				confirmed = append(confirmed, e)
			}
		}
	}
	// Chain order across all keys: by height, then position in the block.
	sort.Slice(confirmed, func(i, j int) bool { return confirmed[i].Before(confirmed[j]) })
	for _, e := range confirmed {
		res.History = append(res.History, rpc.HistoryItem{TxID: e.TxID.String(), Height: e.Height, Confirmations: tip.Height - e.Height + 1})
	}
	for _, e := range n.pool.Transactions() {
		touched := false
		for i, o := range e.Tx.Outputs {
			if !keys[o.PubKey] {
				continue
			}
			touched = true
			op := tx.OutPoint{TxID: e.ID, Index: uint32(i)}
			_, spent := n.pool.SpentBy(op)
			res.UTXOs = append(res.UTXOs, rpc.UTXO{TxID: e.ID.String(), Vout: uint32(i), Amount: o.Amount, Key: hex.EncodeToString(o.PubKey[:]),
				Mature: true, SpentInMempool: spent})
		}
		for _, in := range e.Tx.Inputs {
			if out, ok := b.spentOutput(in.Prev); ok && keys[out.PubKey] {
				touched = true
			}
		}
		if touched && !seen[e.ID] {
			seen[e.ID] = true
			res.History = append(res.History, rpc.HistoryItem{TxID: e.ID.String()})
		}
	}
	return res, nil
}
