package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// Address returns a fresh receive address.
func (w *Wallet) Address() (string, error) {
	pub, err := w.nextKey(false)
	if err != nil {
		return "", err
	}
	return tx.EncodeAddress(w.params.AddressHRP, pub), nil
}

func (w *Wallet) watchedKeys() []string {
	out := make([]string, 0, len(w.index))
	for pub := range w.index {
		out = append(out, hex.EncodeToString(pub[:]))
	}
	sort.Strings(out)
	return out
}

// scan asks the node about every watched key, in batches.
func (w *Wallet) scan(ctx context.Context, node Node) (*rpc.ScanResult, error) {
	keys := w.watchedKeys()
	var all *rpc.ScanResult
	for start := 0; start < len(keys); start += 1000 {
		end := min(start+1000, len(keys))
		res, err := node.Scan(ctx, rpc.ScanRequest{Keys: keys[start:end]})
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = res
			continue
		}
		all.UTXOs = append(all.UTXOs, res.UTXOs...)
		all.History = append(all.History, res.History...)
	}
	return all, nil
}

// Balance splits the wallet's coins the way bitcoind's wallet does.
type Balance struct {
	// Confirmed is spendable now: confirmed, mature, not spent by a pending transaction.
	Confirmed int64 `json:"confirmed"`
	// Unconfirmed is what mempool transactions pay the wallet and are not spent yet.
	Unconfirmed int64 `json:"unconfirmed"`
	// Immature is coinbase outputs that have not reached maturity.
	Immature int64 `json:"immature"`
}

// Balance asks the node for the wallet's coins.
func (w *Wallet) Balance(ctx context.Context, node Node) (*Balance, error) {
	res, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	var b Balance
	for _, u := range res.UTXOs {
		switch {
		case u.SpentInMempool:
		case u.Height == 0:
			b.Unconfirmed += u.Amount
		case !u.Mature:
			b.Immature += u.Amount
		default:
			b.Confirmed += u.Amount
		}
	}
	return &b, nil
}

// Rescan finds funds after a restore: it advances the next receive and
// change indexes past the highest key with any history, then widens the
// watched window, until a full gap of unused keys is seen.
func (w *Wallet) Rescan(ctx context.Context, node Node) error {
	for {
		res, err := w.scan(ctx, node)
		if err != nil {
			return err
		}
		used := map[string]bool{}
		for _, u := range res.UTXOs {
			used[u.Key] = true
		}
		for _, h := range res.History {
			t, err := node.Tx(ctx, h.TxID)
			if err != nil {
				return err
			}
			for _, o := range t.Outputs {
				if pub, err := tx.DecodeAddress(w.params.AddressHRP, o.Address); err == nil {
					used[hex.EncodeToString(pub[:])] = true
				}
			}
		}
		advanced := false
		for k := range used {
			raw, _ := hex.DecodeString(k)
			ref, ok := w.index[[32]byte(raw)]
			if !ok {
				continue
			}
			ctr := &w.data.NextReceive
			if ref.change {
				ctr = &w.data.NextChange
			}
			if ref.n+1 > *ctr {
				*ctr = ref.n + 1
				advanced = true
			}
		}
		if !advanced {
			return w.save()
		}
		if err := w.watch(); err != nil {
			return err
		}
	}
}

// HistoryItem is one transaction of the wallet's history.
type HistoryItem struct {
	TxID string `json:"txid"`
	// Amount is the net change to the wallet's balance (negative for payments out).
	Amount int64 `json:"amount"`
	// Fee is what the wallet paid in fees (0 for incoming transactions).
	Fee           int64  `json:"fee"`
	Height        uint64 `json:"height"`
	Confirmations uint64 `json:"confirmations"`
}

// History lists the wallet's transactions, oldest first, unconfirmed last.
func (w *Wallet) History(ctx context.Context, node Node) ([]HistoryItem, error) {
	res, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(res.History, func(i, j int) bool {
		hi, hj := res.History[i].Height, res.History[j].Height
		if hi == 0 || hj == 0 {
			return hi != 0 && hj == 0
		}
		return hi < hj
	})
	out := []HistoryItem{}
	for _, h := range res.History {
		t, err := node.Tx(ctx, h.TxID)
		if err != nil {
			return nil, fmt.Errorf("history: tx %s: %w", h.TxID, err)
		}
		item := HistoryItem{TxID: h.TxID, Height: h.Height, Confirmations: h.Confirmations}
		paid := false
		for _, in := range t.Inputs {
			if w.ownsAddress(in.Address) {
				item.Amount -= in.Amount
				paid = true
			}
		}
		for _, o := range t.Outputs {
			if w.ownsAddress(o.Address) {
				item.Amount += o.Amount
			}
		}
		if paid {
			item.Fee = t.Fee
			item.Amount += t.Fee // the fee is shown apart from the amount, as bitcoind does
		}
		out = append(out, item)
	}
	return out, nil
}

func (w *Wallet) ownsAddress(addr string) bool {
	pub, err := tx.DecodeAddress(w.params.AddressHRP, addr)
	return err == nil && w.IsMine(pub)
}

func (w *Wallet) submit(ctx context.Context, node Node, p pendingSend) (*SendResult, error) {
	res, err := node.SendRaw(ctx, rpc.SendRawRequest{Hex: p.Hex})
	if err != nil {
		var rerr *rpc.Error
		if errors.As(err, &rerr) {
			// The node saw and refused it: it will never confirm, forget it.
			w.removePending(p.TxID)
		}
		return nil, err
	}
	w.removePending(p.TxID)
	return &SendResult{TxID: res.TxID, Fee: p.Fee}, nil
}

// Page returns the count most recent of items (oldest first) after leaving
// out the skip most recent, still oldest first, as bitcoind's
// listtransactions count and skip do; count 0 means no limit.
func Page[T any](items []T, count, skip int) []T {
	end := max(len(items)-max(skip, 0), 0)
	start := 0
	if count > 0 {
		start = max(end-count, 0)
	}
	return items[start:end]
}
