package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// ErrInsufficientFunds reports a payment larger than the spendable balance.
var ErrInsufficientFunds = errors.New("insufficient funds")

// DustLimit is the smallest change output worth creating; smaller change goes to the fee.
const DustLimit = 1000

// DefaultConfTarget is the confirmation target, in blocks, of the fee rate a
// payment pays when none is given.
const DefaultConfTarget = 6

// txVersion is the version of the wallet's transactions: they opt in to
// replacement, so `wallet bumpfee` can raise their fee.
const txVersion = 1 | tx.FlagReplaceable

// SendResult describes a submitted payment.
type SendResult struct {
	TxID string `json:"txid"`
	Fee  int64  `json:"fee"`
}

// SendRequest describes a payment.
type SendRequest struct {
	To     string
	Amount int64 // units
	// FeeRate is in units per byte; 0 asks the node for an estimate for ConfTarget blocks.
	FeeRate    int64
	ConfTarget int // 0 means DefaultConfTarget
	// Coins, when set, are the only outputs spent (coin control).
	Coins []tx.OutPoint
}

// draft is a built payment, not signed yet.
type draft struct {
	t        *tx.Tx
	prevOuts []tx.TxOut
	fee      int64
}

// Send pays req.Amount units to req.To. Nothing is submitted when any input
// is wrong. It spends confirmed coins first and the wallet's own unconfirmed
// change when those do not suffice, so payments can follow each other
// without waiting for a block.
func (w *Wallet) Send(ctx context.Context, node Node, req SendRequest) (*SendResult, error) {
	if w.WatchOnly() {
		return nil, watchOnlyError()
	}
	if _, err := tx.DecodeAddress(w.params.AddressHRP, req.To); err != nil {
		return nil, err
	}
	res, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	w.cleanPending(ctx, node, res)
	if retry, ok := w.pendingFor(req.To, req.Amount); ok && len(req.Coins) == 0 {
		// A previous attempt with the same payee and amount was signed but not
		// acknowledged: submit that same transaction again instead of paying twice.
		return w.submit(ctx, node, retry)
	}
	d, err := w.draft(ctx, node, req, res)
	if err != nil {
		return nil, err
	}
	if err := w.signAll(d.t, d.prevOuts); err != nil {
		return nil, err
	}
	p := pendingSend{TxID: d.t.ID().String(), Hex: hex.EncodeToString(d.t.Encode()), To: req.To, Amount: req.Amount, Fee: d.fee}
	if err := w.addPending(p); err != nil {
		return nil, err
	}
	return w.submit(ctx, node, p)
}

// feeRateFor returns rate, or the node's estimate for target blocks when rate is 0.
func feeRateFor(ctx context.Context, node Node, rate int64, target int) (int64, error) {
	if rate < 0 {
		return 0, fmt.Errorf("fee rate must not be negative, got %d", rate)
	}
	if rate > 0 {
		return rate, nil
	}
	if target <= 0 {
		target = DefaultConfTarget
	}
	fr, err := node.EstimateFee(ctx, target)
	if err != nil {
		return 0, fmt.Errorf("fee estimate: %w (or pass --fee-rate)", err)
	}
	return max(fr.FeeRate, fr.MinFeeRate, 1), nil
}

// draft selects coins and builds the unsigned payment of req, with change to
// a fresh change address when it is worth making.
func (w *Wallet) draft(ctx context.Context, node Node, req SendRequest, res *rpc.ScanResult) (*draft, error) {
	payee, err := tx.DecodeAddress(w.params.AddressHRP, req.To)
	if err != nil {
		return nil, err
	}
	if req.Amount <= 0 || req.Amount > tx.MaxMoney {
		return nil, fmt.Errorf("%w: %d units", tx.ErrInvalidAmount, req.Amount)
	}
	feeRate, err := feeRateFor(ctx, node, req.FeeRate, req.ConfTarget)
	if err != nil {
		return nil, err
	}
	coins, err := w.coins(ctx, node, res)
	if err != nil {
		return nil, err
	}
	t := &tx.Tx{Version: txVersion, Outputs: []tx.TxOut{{Amount: req.Amount, PubKey: payee}}}
	var sel selection
	if len(req.Coins) > 0 {
		if sel, err = chosenCoins(coins, req.Coins); err != nil {
			return nil, err
		}
	} else {
		var ok bool
		if sel, ok = selectCoins(coins, req.Amount, feeRate, t.Size()); !ok {
			var available int64
			for _, c := range coins {
				if c.spendable {
					available += c.amount
				}
			}
			fee := feeRate * int64(t.Size()+inputSize)
			return nil, fmt.Errorf("%w: sending %s coins plus fee needs %s, spendable balance is %s",
				ErrInsufficientFunds, tx.FormatAmount(req.Amount), tx.FormatAmount(req.Amount+fee), tx.FormatAmount(available))
		}
	}
	var prevOuts []tx.TxOut
	for _, c := range sel.coins {
		t.Inputs = append(t.Inputs, tx.TxIn{Prev: c.op})
		prevOuts = append(prevOuts, c.prevOut())
	}
	if err := w.addChange(t, sel.total, feeRate); err != nil {
		return nil, err
	}
	out, _ := t.OutputTotal()
	return &draft{t: t, prevOuts: prevOuts, fee: sel.total - out}, nil
}

// addChange adds a change output to t, which spends inputs worth in, when
// what is left after its outputs and the fee at feeRate is DustLimit or more;
// smaller change goes to the fee. It fails when in does not cover the outputs and the fee.
func (w *Wallet) addChange(t *tx.Tx, in, feeRate int64) error {
	out, ok := t.OutputTotal()
	if !ok {
		return fmt.Errorf("%w: outputs overflow", tx.ErrInvalidAmount)
	}
	if fee := feeRate * int64(t.Size()); in < out+fee {
		return fmt.Errorf("%w: the selected coins hold %s, the payment and a fee of %s need %s",
			ErrInsufficientFunds, tx.FormatAmount(in), tx.FormatAmount(fee), tx.FormatAmount(out+fee))
	}
	change := in - out - feeRate*int64(t.Size()+outputSize)
	if change < DustLimit {
		return nil
	}
	pub, err := w.nextKey(true)
	if err != nil {
		return err
	}
	t.Outputs = append(t.Outputs, tx.TxOut{Amount: change, PubKey: pub})
	return nil
}

// chosenCoins returns the coins named by ops, each of which must be a spendable coin of the wallet.
func chosenCoins(coins []coin, ops []tx.OutPoint) (selection, error) {
	byOp := map[tx.OutPoint]coin{}
	for _, c := range coins {
		byOp[c.op] = c
	}
	var s selection
	seen := map[tx.OutPoint]bool{}
	for _, op := range ops {
		c, ok := byOp[op]
		switch {
		case seen[op]:
			return selection{}, fmt.Errorf("--utxo %s:%d is given twice", op.TxID, op.Index)
		case !ok:
			return selection{}, fmt.Errorf("--utxo %s:%d is not an unspent output of this wallet (see `wallet utxos`)", op.TxID, op.Index)
		case !c.spendable:
			return selection{}, fmt.Errorf("--utxo %s:%d cannot be spent yet (immature coinbase, or an unconfirmed payment from someone else)", op.TxID, op.Index)
		}
		seen[op] = true
		s.coins = append(s.coins, c)
		s.total += c.amount
	}
	return s, nil
}

// signAll signs every input of t, which spends prevOuts.
func (w *Wallet) signAll(t *tx.Tx, prevOuts []tx.TxOut) error {
	for i := range t.Inputs {
		priv, err := w.privKey(prevOuts[i].PubKey)
		if err != nil {
			return err
		}
		if err := tx.SignInput(w.params.Name, t, prevOuts, i, priv); err != nil {
			return err
		}
	}
	return nil
}
