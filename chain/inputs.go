package chain

import (
	"fmt"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// InputSource supplies the outputs a transaction spends: the UTXO set as of
// some point (a block being connected, or the tip plus the mempool).
type InputSource interface {
	// LookupUTXO returns the unspent output op, or nil when there is none.
	LookupUTXO(op tx.OutPoint) (*UTXO, error)
	// MissingInput returns the rule error that explains why op has no unspent output.
	MissingInput(op tx.OutPoint) error
}

// CheckTxInputs checks a non-coinbase transaction against the outputs it
// spends: each exists and is unspent, coinbase outputs have matured by
// spendHeight, and the inputs cover the outputs. It returns the fee and the
// spent outputs in input order (what the signatures commit to). Signatures are
// not checked here.
func CheckTxInputs(p *chaincfg.Params, t *tx.Tx, src InputSource, spendHeight uint64) (int64, []tx.TxOut, error) {
	prevOuts := make([]tx.TxOut, len(t.Inputs))
	var in int64
	for i, input := range t.Inputs {
		u, err := src.LookupUTXO(input.Prev)
		if err != nil {
			return 0, nil, err
		}
		if u == nil {
			return 0, nil, src.MissingInput(input.Prev)
		}
		if u.Coinbase && spendHeight < u.Height+p.CoinbaseMaturity {
			return 0, nil, rule.Errorf(rule.ErrImmatureSpend, "input %d spends a coinbase of height %d at height %d; spendable from height %d",
				i, u.Height, spendHeight, u.Height+p.CoinbaseMaturity)
		}
		prevOuts[i] = u.Output
		in += u.Output.Amount
		if u.Output.Amount < 0 || in > tx.MaxMoney {
			return 0, nil, rule.Errorf(rule.ErrTotalOverflow, "inputs total more than the money supply")
		}
	}
	out, ok := t.OutputTotal()
	if !ok {
		return 0, nil, rule.Errorf(rule.ErrTotalOverflow, "outputs total more than the money supply")
	}
	if out > in {
		return 0, nil, rule.Errorf(rule.ErrOutputsExceedInputs, "outputs pay %d, inputs hold %d", out, in)
	}
	return in - out, prevOuts, nil
}

// VerifyTxSignatures checks every input signature of t against the outputs it spends.
func VerifyTxSignatures(network string, t *tx.Tx, prevOuts []tx.TxOut) error {
	if len(prevOuts) != len(t.Inputs) {
		return fmt.Errorf("verify signatures: %d spent outputs for %d inputs", len(prevOuts), len(t.Inputs))
	}
	return verifySignatures(network, signatureJobs(t, t.ID(), prevOuts), 1)
}
