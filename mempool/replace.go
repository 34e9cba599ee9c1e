package mempool

import (
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// DefaultMaxReplaced bounds how many pool transactions (conflicts and their
// descendants) one replacement may evict, as BIP125's rule 5.
const DefaultMaxReplaced = 100

// ErrReplacement reports a transaction that conflicts with replaceable pool
// transactions but does not meet the rules to replace them.
var ErrReplacement = errors.New("replacement refused")

// conflicting returns the pool transactions that spend any output t spends.
// It fails with ErrConflict unless every one of them is replaceable: it or
// one of its unconfirmed ancestors signals tx.FlagReplaceable.
func (p *Pool) conflicting(t *tx.Tx, id chainhash.Hash) (map[chainhash.Hash]*Entry, error) {
	var out map[chainhash.Hash]*Entry
	for _, in := range t.Inputs {
		other, ok := p.spentBy[in.Prev]
		if !ok {
			continue
		}
		e := p.entries[other]
		if !p.replaceable(e) {
			return nil, fmt.Errorf("tx %s input %s:%d spent by %s, which did not opt in to replacement: %w",
				id, in.Prev.TxID, in.Prev.Index, other, ErrConflict)
		}
		if out == nil {
			out = map[chainhash.Hash]*Entry{}
		}
		out[e.ID] = e
	}
	return out, nil
}

// replaceable reports whether e or one of its unconfirmed ancestors opts in to replacement.
func (p *Pool) replaceable(e *Entry) bool {
	if e.Tx.SignalsReplaceable() {
		return true
	}
	for _, a := range p.ancestorsOf(e.parents) {
		if a.Tx.SignalsReplaceable() {
			return true
		}
	}
	return false
}

// checkReplacement applies the replacement rules to t (paying fee for size
// bytes), which conflicts with the pool transactions in direct, and returns
// every transaction it would evict: the conflicts and their descendants.
// The rules, after BIP125: at most MaxReplaced evictions; t spends no output
// of a transaction it evicts and no unconfirmed output that none of the
// conflicts spent already; its fee rate is higher than each conflict's; and
// its fee covers all evicted fees plus the minimum relay fee for its own size.
func (p *Pool) checkReplacement(t *tx.Tx, fee int64, size int, direct map[chainhash.Hash]*Entry) (map[chainhash.Hash]*Entry, error) {
	if len(direct) == 0 {
		return nil, nil
	}
	evict := map[chainhash.Hash]*Entry{}
	for _, e := range direct {
		evict[e.ID] = e
		for id, d := range p.descendantsOf(e) {
			evict[id] = d
		}
		if len(evict) > p.cfg.MaxReplaced {
			return nil, fmt.Errorf("%w: it would evict more than %d transactions", ErrReplacement, p.cfg.MaxReplaced)
		}
	}
	spentByConflicts := map[chainhash.Hash]bool{}
	for _, e := range direct {
		for _, in := range e.Tx.Inputs {
			spentByConflicts[in.Prev.TxID] = true
		}
	}
	for i, in := range t.Inputs {
		if evict[in.Prev.TxID] != nil {
			return nil, fmt.Errorf("%w: input %d spends an output of %s, which it replaces", ErrReplacement, i, in.Prev.TxID)
		}
		if _, unconfirmed := p.entries[in.Prev.TxID]; unconfirmed && !spentByConflicts[in.Prev.TxID] {
			return nil, fmt.Errorf("%w: input %d spends unconfirmed %s, which no replaced transaction spent", ErrReplacement, i, in.Prev.TxID)
		}
	}
	for _, e := range direct {
		if rateCmp(fee, size, e.Fee, e.Size) <= 0 {
			return nil, fmt.Errorf("%w: fee rate %d/%d bytes is not higher than %s's %d/%d bytes",
				ErrReplacement, fee, size, e.ID, e.Fee, e.Size)
		}
	}
	var evicted int64
	for _, e := range evict {
		evicted += e.Fee
	}
	if need := evicted + p.cfg.MinFeeRate*int64(size); fee < need {
		return nil, fmt.Errorf("%w: fee %d must be at least %d (the %d it evicts plus %d per byte for its %d bytes)",
			ErrReplacement, fee, need, evicted, p.cfg.MinFeeRate, size)
	}
	return evict, nil
}
