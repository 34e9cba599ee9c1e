package tx

import (
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
)

const sigHashTag = "ledger/sighash/v1"

// SigHash returns the message that input index of t signs. It commits to the
// network name (so a signature is void on any other network), the version,
// every input's outpoint together with the amount and key of the output it
// spends, every output, and the index itself. prevOuts[i] must be the output
// spent by t.Inputs[i].
func SigHash(network string, t *Tx, prevOuts []TxOut, index int) (chainhash.Hash, error) {
	if len(prevOuts) != len(t.Inputs) {
		return chainhash.Hash{}, fmt.Errorf("sighash: %d spent outputs for %d inputs", len(prevOuts), len(t.Inputs))
	}
	if index < 0 || index >= len(t.Inputs) {
		return chainhash.Hash{}, fmt.Errorf("sighash: input index %d out of range", index)
	}
	b := make([]byte, 0, len(network)+16+len(t.Inputs)*(inputBodySize+outputSize)+len(t.Outputs)*outputSize)
	b = wire.AppendBytes(b, []byte(network))
	b = wire.AppendUint32(b, t.Version)
	b = wire.AppendUint32(b, uint32(index))
	b = wire.AppendVarint(b, uint32(len(t.Inputs)))
	for i, in := range t.Inputs {
		b = append(b, in.Prev.TxID[:]...)
		b = wire.AppendUint32(b, in.Prev.Index)
		b = wire.AppendUint64(b, uint64(prevOuts[i].Amount))
		b = append(b, prevOuts[i].PubKey[:]...)
	}
	b = wire.AppendVarint(b, uint32(len(t.Outputs)))
	for _, o := range t.Outputs {
		b = wire.AppendUint64(b, uint64(o.Amount))
		b = append(b, o.PubKey[:]...)
	}
	return chainhash.Tagged(sigHashTag, b), nil
}
