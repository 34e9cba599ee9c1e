package wallet

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// coin is one of the wallet's unspent outputs.
type coin struct {
	op     tx.OutPoint
	amount int64
	key    [32]byte
	height uint64 // 0 while unconfirmed
	confs  uint64
	// spendable: mature, not spent by a pool transaction, and either
	// confirmed or change of the wallet's own unconfirmed transaction.
	spendable bool
}

func (c coin) confirmed() bool { return c.height > 0 }

func (c coin) prevOut() tx.TxOut { return tx.TxOut{Amount: c.amount, PubKey: c.key} }

// coins lists the wallet's unspent outputs from a scan, and which of them it may spend.
// An unconfirmed output is spendable only when the wallet made the transaction
// itself (every input is its own): someone else's unconfirmed payment may
// still be replaced or never confirm.
func (w *Wallet) coins(ctx context.Context, node Node, res *rpc.ScanResult) ([]coin, error) {
	own := map[string]bool{}
	var out []coin
	for _, u := range res.UTXOs {
		id, err := chainhash.Parse(u.TxID)
		if err != nil {
			return nil, fmt.Errorf("node returned a bad txid: %w", err)
		}
		raw, err := hex.DecodeString(u.Key)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("node returned a bad key %q", u.Key)
		}
		c := coin{op: tx.OutPoint{TxID: id, Index: u.Vout}, amount: u.Amount, key: [32]byte(raw), height: u.Height, confs: u.Confirmations}
		if u.SpentInMempool {
			continue
		}
		c.spendable = u.Mature
		if c.spendable && u.Height == 0 {
			mine, ok := own[u.TxID]
			if !ok {
				if mine, err = w.madeByUs(ctx, node, u.TxID); err != nil {
					return nil, err
				}
				own[u.TxID] = mine
			}
			c.spendable = mine
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		ci, cj := out[i], out[j]
		if ci.confirmed() != cj.confirmed() {
			return ci.confirmed()
		}
		if ci.height != cj.height {
			return ci.height < cj.height
		}
		if ci.op.TxID != cj.op.TxID {
			return ci.op.TxID.String() < cj.op.TxID.String()
		}
		return ci.op.Index < cj.op.Index
	})
	return out, nil
}

// madeByUs reports whether every input of the pool transaction txid spends one of the wallet's outputs.
func (w *Wallet) madeByUs(ctx context.Context, node Node, txid string) (bool, error) {
	t, err := node.Tx(ctx, txid)
	if err != nil {
		if isNotFound(err) {
			return false, nil // mined or dropped since the scan
		}
		return false, fmt.Errorf("look up unconfirmed tx %s: %w", txid, err)
	}
	if t.Coinbase || len(t.Inputs) == 0 {
		return false, nil
	}
	for _, in := range t.Inputs {
		if !w.ownsAddress(in.Address) {
			return false, nil
		}
	}
	return true, nil
}

// UTXO is one unspent output of the wallet, as `wallet utxos` shows it.
type UTXO struct {
	TxID          string `json:"txid"`
	Index         uint32 `json:"index"`
	Amount        int64  `json:"amount"`
	Height        uint64 `json:"height"` // 0 while unconfirmed
	Confirmations uint64 `json:"confirmations"`
	Address       string `json:"address"`
	// Spendable is false for immature coinbase outputs and for unconfirmed
	// payments from others; send spends only spendable outputs.
	Spendable bool `json:"spendable"`
}

// UTXOs lists the wallet's unspent outputs not yet spent by a pool
// transaction: confirmed ones first, oldest first.
func (w *Wallet) UTXOs(ctx context.Context, node Node) ([]UTXO, error) {
	res, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	cs, err := w.coins(ctx, node, res)
	if err != nil {
		return nil, err
	}
	out := []UTXO{}
	for _, c := range cs {
		out = append(out, UTXO{TxID: c.op.TxID.String(), Index: c.op.Index, Amount: c.amount, Height: c.height,
			Confirmations: c.confs, Address: tx.EncodeAddress(w.params.AddressHRP, c.key), Spendable: c.spendable})
	}
	return out, nil
}

// ParseOutPoint reads TXID:INDEX, as `send --utxo` takes it.
func ParseOutPoint(s string) (tx.OutPoint, error) {
	txid, index, ok := strings.Cut(s, ":")
	if !ok {
		return tx.OutPoint{}, fmt.Errorf("%q is not TXID:INDEX", s)
	}
	id, err := chainhash.Parse(txid)
	if err != nil {
		return tx.OutPoint{}, fmt.Errorf("%q: %v", s, err)
	}
	n, err := strconv.ParseUint(index, 10, 32)
	if err != nil {
		return tx.OutPoint{}, fmt.Errorf("%q: index is not a number", s)
	}
	return tx.OutPoint{TxID: id, Index: uint32(n)}, nil
}
