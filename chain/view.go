package chain

import (
	"github.com/ledgerd/ledger/tx"
)

// utxoSource looks up unspent outputs; the store and the mempool's views implement it.
type utxoSource interface {
	utxo(op tx.OutPoint) (*UTXO, error)
}

// view overlays changes made while connecting a block on the stored UTXO set:
// outputs created so far in the block and outputs spent so far.
type view struct {
	base    utxoSource
	added   map[tx.OutPoint]UTXO
	spent   map[tx.OutPoint]bool
	ordered []tx.OutPoint // added, in creation order, for deterministic writes
}

func newView(base utxoSource) *view {
	return &view{base: base, added: map[tx.OutPoint]UTXO{}, spent: map[tx.OutPoint]bool{}}
}

// lookup returns the unspent output op, or nil if it does not exist or was spent in this view.
func (v *view) lookup(op tx.OutPoint) (*UTXO, error) {
	if v.spent[op] {
		return nil, nil
	}
	if u, ok := v.added[op]; ok {
		return &u, nil
	}
	return v.base.utxo(op)
}

func (v *view) spend(op tx.OutPoint) { v.spent[op] = true }

func (v *view) add(t *tx.Tx, id [32]byte, height uint64) {
	for i, o := range t.Outputs {
		op := tx.OutPoint{TxID: id, Index: uint32(i)}
		v.added[op] = UTXO{Output: o, Height: height, Coinbase: t.IsCoinbase()}
		v.ordered = append(v.ordered, op)
	}
}
