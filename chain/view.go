package chain

import (
	"github.com/ledgerd/ledger/tx"
)

// view records the changes made while connecting a block: outputs created
// so far in the block and outputs spent so far.
type view struct {
	added   map[tx.OutPoint]UTXO
	spent   map[tx.OutPoint]bool
	ordered []tx.OutPoint // added, in creation order, for deterministic writes
}

func newView() *view {
	return &view{added: map[tx.OutPoint]UTXO{}, spent: map[tx.OutPoint]bool{}}
}

func (v *view) spend(op tx.OutPoint) { v.spent[op] = true }

func (v *view) add(t *tx.Tx, id [32]byte, height uint64) {
	for i, o := range t.Outputs {
		op := tx.OutPoint{TxID: id, Index: uint32(i)}
		v.added[op] = UTXO{Output: o, Height: height, Coinbase: t.IsCoinbase()}
		v.ordered = append(v.ordered, op)
	}
}
