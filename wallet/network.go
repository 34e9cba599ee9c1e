package wallet

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/wallet/keystore"
)

// ErrWrongNodeNetwork reports a node on another network than the wallet's.
var ErrWrongNodeNetwork = errors.New("the node is on another network")

// CheckNetwork fails unless the node runs network: a wallet must never read
// balances from, or send to, a node of another network.
func CheckNetwork(ctx context.Context, node interface {
	Status(context.Context) (*rpc.StatusResult, error)
}, network string) error {
	st, err := node.Status(ctx)
	if err != nil {
		return err
	}
	if st.Network != network {
		return fmt.Errorf("%w: it runs %s, this wallet is for %s; pass --network %s with a %s wallet, or point --node/--rpc at a %s node",
			ErrWrongNodeNetwork, st.Network, network, st.Network, st.Network, network)
	}
	return nil
}

// CanSign fails with a clear error, wrapping keystore.ErrWatchOnly, when the wallet is watch-only.
func (w *Wallet) CanSign() error {
	if w.WatchOnly() {
		return watchOnlyError()
	}
	return nil
}

func watchOnlyError() error {
	return fmt.Errorf("%w: it cannot send; make an unsigned transaction with `wallet send --unsigned FILE`, sign it with `wallet sign FILE OUT` on the wallet that holds the mnemonic, and broadcast it with `node send-raw`",
		keystore.ErrWatchOnly)
}

func isNotFound(err error) bool {
	var re *rpc.Error
	return errors.As(err, &re) && re.Status == http.StatusNotFound
}
