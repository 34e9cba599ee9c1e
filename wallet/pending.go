package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// pendingSend is a signed payment whose submission was not acknowledged yet.
// Pending sends live in a sidecar file next to the wallet (no secrets in it),
// so a retry after a crash or a timeout resubmits the same transaction
// instead of building a second one.
type pendingSend struct {
	TxID   string `json:"txid"`
	Hex    string `json:"hex"`
	To     string `json:"to"`
	Amount int64  `json:"amount"`
	Fee    int64  `json:"fee"`
}

func (w *Wallet) pendingPath() string { return w.path + ".pending.json" }

func (w *Wallet) loadPending() ([]pendingSend, error) {
	data, err := os.ReadFile(w.pendingPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ps []pendingSend
	if err := json.Unmarshal(data, &ps); err != nil {
		return nil, fmt.Errorf("pending sends file %s is corrupt: %w", w.pendingPath(), err)
	}
	return ps, nil
}

func (w *Wallet) storePending(ps []pendingSend) error {
	if len(ps) == 0 {
		err := os.Remove(w.pendingPath())
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	data, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(w.pendingPath(), data, 0o600)
}

func (w *Wallet) pendingFor(to string, amount int64) (pendingSend, bool) {
	ps, err := w.loadPending()
	if err != nil {
		return pendingSend{}, false
	}
	for _, p := range ps {
		if p.To == to && p.Amount == amount {
			return p, true
		}
	}
	return pendingSend{}, false
}

func (w *Wallet) addPending(p pendingSend) error {
	ps, err := w.loadPending()
	if err != nil {
		return err
	}
	return w.storePending(append(ps, p))
}

func (w *Wallet) removePending(txid string) {
	ps, err := w.loadPending()
	if err != nil {
		return
	}
	out := ps[:0]
	for _, p := range ps {
		if p.TxID != txid {
			out = append(out, p)
		}
	}
	w.storePending(out)
}
