package chain

import (
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
)

// maxInvalidReasons bounds how many recent failure reasons are remembered in memory.
const maxInvalidReasons = 1000

// invalid remembers why hash failed to connect, so ProcessBlock can report
// the original rule error to the caller that submitted it.
func (c *Chain) invalid(hash chainhash.Hash, cause error) {
	if c.reasons == nil || len(c.reasons) >= maxInvalidReasons {
		c.reasons = map[chainhash.Hash]error{}
	}
	c.reasons[hash] = cause
}

// invalidReason returns the error that made hash invalid, or an
// ErrInvalidAncestor error when it was invalidated through an ancestor.
func (c *Chain) invalidReason(hash chainhash.Hash) error {
	if err, ok := c.reasons[hash]; ok {
		return err
	}
	return rule.Errorf(rule.ErrInvalidAncestor, "block %s descends from an invalid block", hash)
}
