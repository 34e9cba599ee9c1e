// Package rule defines the typed errors that consensus validation returns.
//
// Every rule a block or transaction can break has its own Code, so callers
// (the chain, the mempool, the p2p layer deciding how hard to penalise a
// peer, and tests) can tell violations apart without matching on text.
package rule

import (
	"errors"
	"fmt"
)

// Code identifies one consensus rule.
type Code int

// The rule codes. Their numeric values are stable: they appear in RPC errors.
const (
	// Transaction rules checked without context.
	ErrNoInputs Code = iota + 1
	ErrNoOutputs
	ErrDuplicateInput
	ErrNegativeAmount
	ErrZeroAmount
	ErrAmountTooLarge
	ErrTotalOverflow
	ErrCoinbaseHasInputs
	ErrNullInput
	ErrTxTooLarge

	// Transaction rules checked against the UTXO set.
	ErrMissingInput
	ErrSpentInput
	ErrOutputsExceedInputs
	ErrBadSignature
	ErrImmatureSpend

	// Block rules checked without context.
	ErrHighHash
	ErrNoTransactions
	ErrFirstNotCoinbase
	ErrMultipleCoinbases
	ErrBadMerkleRoot
	ErrDuplicateTx
	ErrBlockTooLarge
	ErrNonCanonical
	ErrMalformed

	// Block rules checked against the parent.
	ErrUnknownParent
	ErrBadDifficulty
	ErrTimeTooOld
	ErrTimeTooNew
	ErrBadCoinbaseHeight
	ErrBadCoinbaseValue
	ErrInvalidAncestor
	ErrBadVersion
	ErrDoubleSpendInBlock
	ErrOutputIndexRange
	ErrSpendsLaterTx
)

var names = map[Code]string{
	ErrNoInputs:            "no-inputs",
	ErrNoOutputs:           "no-outputs",
	ErrDuplicateInput:      "duplicate-input",
	ErrNegativeAmount:      "negative-amount",
	ErrZeroAmount:          "zero-amount",
	ErrAmountTooLarge:      "amount-too-large",
	ErrTotalOverflow:       "total-overflow",
	ErrCoinbaseHasInputs:   "coinbase-has-inputs",
	ErrNullInput:           "null-input",
	ErrTxTooLarge:          "tx-too-large",
	ErrMissingInput:        "missing-input",
	ErrSpentInput:          "spent-input",
	ErrOutputsExceedInputs: "outputs-exceed-inputs",
	ErrBadSignature:        "bad-signature",
	ErrImmatureSpend:       "immature-coinbase-spend",
	ErrHighHash:            "high-hash",
	ErrNoTransactions:      "no-transactions",
	ErrFirstNotCoinbase:    "first-not-coinbase",
	ErrMultipleCoinbases:   "multiple-coinbases",
	ErrBadMerkleRoot:       "bad-merkle-root",
	ErrDuplicateTx:         "duplicate-tx",
	ErrBlockTooLarge:       "block-too-large",
	ErrNonCanonical:        "non-canonical-encoding",
	ErrMalformed:           "malformed",
	ErrUnknownParent:       "unknown-parent",
	ErrBadDifficulty:       "bad-difficulty",
	ErrTimeTooOld:          "time-too-old",
	ErrTimeTooNew:          "time-too-new",
	ErrBadCoinbaseHeight:   "bad-coinbase-height",
	ErrBadCoinbaseValue:    "bad-coinbase-value",
	ErrInvalidAncestor:     "invalid-ancestor",
	ErrBadVersion:          "bad-version",
	ErrDoubleSpendInBlock:  "double-spend-in-block",
	ErrOutputIndexRange:    "output-index-out-of-range",
	ErrSpendsLaterTx:       "spends-later-tx",
}

// String returns the rule's short kebab-case name, as used in logs, metrics and RPC errors.
func (c Code) String() string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("rule-%d", int(c))
}

// Error is a consensus rule violation: the rule broken and a description of how.
type Error struct {
	Code Code
	Msg  string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code.String() + ": " + e.Msg }

// Is makes errors.Is(err, code) work for a Code target wrapped in an error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == ""
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, and whether there is one.
func CodeOf(err error) (Code, bool) {
	var re *Error
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

// Sentinel returns an *Error with an empty message, usable as an errors.Is target for code.
func Sentinel(code Code) error { return &Error{Code: code} }
