package chain

import (
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/tx"
)

// UTXO is an unspent output with what spending it needs to know: the height
// of the block that created it and whether that was a coinbase.
type UTXO struct {
	Output   tx.TxOut
	Height   uint64
	Coinbase bool
}

func (u *UTXO) encode() []byte { return u.appendEncode(make([]byte, 0, utxoSize)) }

// utxoSize is the length of an encoded UTXO.
const utxoSize = 8 + 32 + 8 + 1

func (u *UTXO) appendEncode(b []byte) []byte {
	b = wire.AppendUint64(b, uint64(u.Output.Amount))
	b = append(b, u.Output.PubKey[:]...)
	b = wire.AppendUint64(b, u.Height)
	flag := byte(0)
	if u.Coinbase {
		flag = 1
	}
	return append(b, flag)
}

func readUTXO(r *wire.Reader) UTXO {
	u := UTXO{Output: tx.TxOut{Amount: int64(r.Uint64()), PubKey: r.Array32()}, Height: r.Uint64()}
	switch r.Uint8() {
	case 0:
	case 1:
		u.Coinbase = true
	default:
		r.Fail(fmt.Errorf("bad coinbase flag"))
	}
	return u
}

func decodeUTXO(v []byte) (UTXO, error) {
	r := wire.NewReader(v)
	u := readUTXO(r)
	if err := r.Done(); err != nil {
		return u, fmt.Errorf("%w: utxo: %w", ErrCorruptStore, err)
	}
	return u, nil
}

// spentOutput is one entry of a block's undo data: an output the block spent.
type spentOutput struct {
	OutPoint tx.OutPoint
	UTXO     UTXO
}

// undoData lists what a block spent, in the order it spent it.
type undoData []spentOutput

func (u undoData) encode() []byte {
	b := wire.AppendVarint(make([]byte, 0, 5+len(u)*(chainhash.Size+4+utxoSize)), uint32(len(u)))
	for _, s := range u {
		b = append(b, s.OutPoint.TxID[:]...)
		b = wire.AppendUint32(b, s.OutPoint.Index)
		b = s.UTXO.appendEncode(b)
	}
	return b
}

func decodeUndo(v []byte) (undoData, error) {
	r := wire.NewReader(v)
	n := r.Count(1<<24, 32+4+8+32+8+1)
	u := make(undoData, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		op := tx.OutPoint{TxID: r.Array32(), Index: r.Uint32()}
		u = append(u, spentOutput{OutPoint: op, UTXO: readUTXO(r)})
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: undo data: %w", ErrCorruptStore, err)
	}
	return u, nil
}
