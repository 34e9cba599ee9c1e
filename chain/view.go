package chain

import (
	"github.com/ledgerd/ledger/tx"
)

// view records the changes made while connecting a block in order: outputs
// created so far in the block and outputs spent so far.
type view struct {
	added map[tx.OutPoint]UTXO
	spent map[tx.OutPoint]bool
}

// newView returns an empty view sized for a block with the given numbers of inputs and outputs.
func newView(inputs, outputs int) *view {
	return &view{added: make(map[tx.OutPoint]UTXO, outputs), spent: make(map[tx.OutPoint]bool, inputs)}
}

func (v *view) spend(op tx.OutPoint) { v.spent[op] = true }

func (v *view) add(t *tx.Tx, id [32]byte, height uint64) {
	for i, o := range t.Outputs {
		v.added[tx.OutPoint{TxID: id, Index: uint32(i)}] = UTXO{Output: o, Height: height, Coinbase: t.IsCoinbase()}
	}
}
