package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// ErrCannotBump reports a transaction bumpfee cannot replace.
var ErrCannotBump = errors.New("cannot bump the fee")

// BumpResult describes a replacement: its txid, the txid it replaces and its fee.
type BumpResult struct {
	TxID     string `json:"txid"`
	Replaces string `json:"replaces"`
	Fee      int64  `json:"fee"`
}

// BumpFee replaces the wallet's unconfirmed transaction txid with one that
// pays the same outputs and a higher fee: feeRate units per byte, or when 0
// the larger of the node's estimate for target blocks and the old rate plus
// the node's minimum relay rate. The extra fee comes out of the change
// output (dropping it when it would be dust), and from more confirmed coins
// when the change does not cover it. The pools' replacement rules need the
// new fee to exceed the old by at least the minimum relay rate times the new
// size, which this always pays.
func (w *Wallet) BumpFee(ctx context.Context, node Node, txid string, feeRate int64, target int) (*BumpResult, error) {
	if w.WatchOnly() {
		return nil, watchOnlyError()
	}
	id, err := chainhash.Parse(txid)
	if err != nil {
		return nil, fmt.Errorf("txid: %w", err)
	}
	old, err := node.Tx(ctx, id.String())
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s is not known to the node (neither in its mempool nor mined)", ErrCannotBump, id)
		}
		return nil, err
	}
	if old.Block != nil {
		return nil, fmt.Errorf("%w: %s is already mined", ErrCannotBump, id)
	}
	raw, err := hex.DecodeString(old.Hex)
	if err != nil {
		return nil, fmt.Errorf("node returned bad hex for %s: %w", id, err)
	}
	orig, err := tx.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("node returned an undecodable %s: %w", id, err)
	}
	if !orig.SignalsReplaceable() {
		return nil, fmt.Errorf("%w: %s did not opt in to replacement; spend its change with a higher fee instead (child pays for parent)", ErrCannotBump, id)
	}
	var prevOuts []tx.TxOut
	var in int64
	for i, input := range old.Inputs {
		pub, err := tx.DecodeAddress(w.params.AddressHRP, input.Address)
		if err != nil || !w.IsMine(pub) {
			return nil, fmt.Errorf("%w: input %d of %s is not this wallet's; only the wallet's own sends can be bumped", ErrCannotBump, i, id)
		}
		prevOuts = append(prevOuts, tx.TxOut{Amount: input.Amount, PubKey: pub})
		in += input.Amount
	}
	res, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	for _, u := range res.UTXOs {
		if u.TxID == id.String() && u.SpentInMempool {
			return nil, fmt.Errorf("%w: a pool transaction spends an output of %s and would be evicted with it; bump that newest transaction instead", ErrCannotBump, id)
		}
	}
	minRate, rate, err := w.bumpRates(ctx, node, old.Fee, orig.Size(), feeRate, target)
	if err != nil {
		return nil, err
	}
	// The same payments; the change output (if any) is rebuilt.
	t := &tx.Tx{Version: orig.Version, Inputs: orig.Inputs}
	for _, o := range orig.Outputs {
		if ref, ok := w.index[o.PubKey]; !ok || !ref.change {
			t.Outputs = append(t.Outputs, o)
		}
	}
	if len(t.Outputs) == 0 {
		return nil, fmt.Errorf("%w: %s pays only this wallet's change addresses", ErrCannotBump, id)
	}
	coins, err := w.coins(ctx, node, res)
	if err != nil {
		return nil, err
	}
	var extra []coin
	for _, c := range coins {
		if c.spendable && c.confirmed() {
			extra = append(extra, c) // confirmed only: a replacement may add no unconfirmed input
		}
	}
	out, _ := t.OutputTotal()
	// fee covers both the new rate and the old fee plus the relay rate for the new size.
	feeFor := func(size int) int64 { return max(rate*int64(size), old.Fee+minRate*int64(size)) }
	for feeFor(t.Size()) > in-out {
		if len(extra) == 0 {
			return nil, fmt.Errorf("%w: a fee of %s needs more than the %s of spendable confirmed coins",
				ErrInsufficientFunds, tx.FormatAmount(feeFor(t.Size())), tx.FormatAmount(in-out))
		}
		c := extra[len(extra)-1] // coins are oldest first; take the newest ones, leaving old coins for larger payments
		extra = extra[:len(extra)-1]
		t.Inputs = append(t.Inputs, tx.TxIn{Prev: c.op})
		prevOuts = append(prevOuts, c.prevOut())
		in += c.amount
	}
	if change := in - out - feeFor(t.Size()+outputSize); change >= DustLimit {
		pub, err := w.nextKey(true)
		if err != nil {
			return nil, err
		}
		t.Outputs = append(t.Outputs, tx.TxOut{Amount: change, PubKey: pub})
	}
	if err := w.signAll(t, prevOuts); err != nil {
		return nil, err
	}
	newOut, _ := t.OutputTotal()
	p := pendingSend{TxID: t.ID().String(), Hex: hex.EncodeToString(t.Encode()), Fee: in - newOut}
	sent, err := w.submit(ctx, node, p)
	if err != nil {
		return nil, err
	}
	return &BumpResult{TxID: sent.TxID, Replaces: id.String(), Fee: sent.Fee}, nil
}

// bumpRates returns the node's minimum relay rate and the fee rate of a
// replacement of a transaction that paid oldFee for oldSize bytes.
func (w *Wallet) bumpRates(ctx context.Context, node Node, oldFee int64, oldSize int, rate int64, target int) (int64, int64, error) {
	if target <= 0 {
		target = DefaultConfTarget
	}
	est, err := node.EstimateFee(ctx, target)
	if err != nil {
		return 0, 0, fmt.Errorf("fee estimate: %w", err)
	}
	minRate := max(est.MinFeeRate, 1)
	oldRate := (oldFee + int64(oldSize) - 1) / int64(oldSize) // rounded up
	if rate == 0 {
		return minRate, max(est.FeeRate, oldRate+minRate), nil
	}
	if rate*int64(oldSize) <= oldFee {
		return 0, 0, fmt.Errorf("%w: --fee-rate %d is not above the current %d per byte", ErrCannotBump, rate, oldRate)
	}
	return minRate, rate, nil
}
