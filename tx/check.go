package tx

import (
	"github.com/ledgerd/ledger/rule"
)

// CheckSanity applies the rules a transaction must meet on its own, without
// knowing the outputs it spends: it has inputs (unless it is a coinbase, which
// has none) and outputs, spends no outpoint twice, and every amount and their
// sum lie in (0, MaxMoney] (a coinbase may pay zero). Violations are *rule.Error values.
func CheckSanity(t *Tx) error {
	if t.IsCoinbase() {
		if len(t.Inputs) != 0 {
			return rule.Errorf(rule.ErrCoinbaseHasInputs, "coinbase has %d inputs", len(t.Inputs))
		}
	} else if len(t.Inputs) == 0 {
		return rule.Errorf(rule.ErrNoInputs, "transaction has no inputs")
	}
	if len(t.Outputs) == 0 {
		return rule.Errorf(rule.ErrNoOutputs, "transaction has no outputs")
	}
	if size := t.Size(); size > MaxEncodedSize {
		return rule.Errorf(rule.ErrTxTooLarge, "transaction is %d bytes, limit %d", size, MaxEncodedSize)
	}
	var total int64
	for i, o := range t.Outputs {
		switch {
		case o.Amount < 0:
			return rule.Errorf(rule.ErrNegativeAmount, "output %d amount %d is negative", i, o.Amount)
		case o.Amount == 0 && !t.IsCoinbase():
			// Zero outputs only bloat the UTXO set; a coinbase may pay zero
			// once the subsidy has run out and its block has no fees.
			return rule.Errorf(rule.ErrZeroAmount, "output %d pays nothing", i)
		case o.Amount > MaxMoney:
			return rule.Errorf(rule.ErrAmountTooLarge, "output %d amount %d exceeds the money supply", i, o.Amount)
		}
		total += o.Amount
		if total > MaxMoney {
			return rule.Errorf(rule.ErrTotalOverflow, "outputs total more than the money supply")
		}
	}
	seen := make(map[OutPoint]struct{}, len(t.Inputs))
	for i, in := range t.Inputs {
		if in.Prev.TxID.IsZero() {
			return rule.Errorf(rule.ErrNullInput, "input %d spends the null outpoint", i)
		}
		if _, dup := seen[in.Prev]; dup {
			return rule.Errorf(rule.ErrDuplicateInput, "input %d spends %s:%d twice", i, in.Prev.TxID, in.Prev.Index)
		}
		seen[in.Prev] = struct{}{}
	}
	return nil
}
