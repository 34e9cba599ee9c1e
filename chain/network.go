package chain

import (
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
)

// WrongNetworkError reports a chain store whose genesis block is not the
// network's: the data directory belongs to another network. It is not
// corruption, and the store is left untouched.
type WrongNetworkError struct {
	// Genesis is the genesis hash the store holds.
	Genesis chainhash.Hash
	// Want is the genesis hash of the network it was opened for.
	Want chainhash.Hash
}

func (e *WrongNetworkError) Error() string {
	return fmt.Sprintf("the chain store holds another network's chain (genesis %s, want %s)", e.Genesis, e.Want)
}
