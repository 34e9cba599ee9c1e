package spv

import (
	"fmt"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/tx"
	"github.com/ledgerd/ledger/wallet"
)

// KeySource derives the wallet's public key number index of its receive
// chain (change false) or change chain.
type KeySource func(change bool, index uint32) ([32]byte, error)

// Keys describes the wallet whose payments a sync looks for.
type Keys struct {
	Derive KeySource
	// Next holds the wallet's next unused receive and change indexes: keys
	// below them were handed out and are watched even before they are used.
	NextReceive, NextChange uint32
	// Gap is how many keys past the last used (or handed-out) one are watched.
	Gap uint32
}

type keyRef struct {
	change bool
	n      uint32
}

// watcher is what the wallet looks for in blocks: its keys, up to a gap past
// the last one used, and the outpoints of its coins. Its coin sets are
// independent of the order in which transactions are added.
type watcher struct {
	keys    Keys
	index   map[[32]byte]keyRef
	derived [2]uint32 // keys derived, per chain (0 receive, 1 change)
	next    [2]uint32 // one past the highest used or handed-out index, per chain
	owned   map[tx.OutPoint]coin
	spent   map[tx.OutPoint]bool // every outpoint a recorded transaction spends
}

// coin is an output paying one of the wallet's keys.
type coin struct {
	Amount   int64
	Height   uint64
	Coinbase bool
}

func newWatcher(k Keys) (*watcher, error) {
	w := &watcher{keys: k, index: map[[32]byte]keyRef{}, owned: map[tx.OutPoint]coin{}, spent: map[tx.OutPoint]bool{}}
	w.next = [2]uint32{k.NextReceive, k.NextChange}
	return w, w.deriveGap()
}

// deriveGap derives keys up to the gap past the next index of each chain.
func (w *watcher) deriveGap() error {
	for c := range w.derived {
		for ; w.derived[c] < w.next[c]+w.keys.Gap; w.derived[c]++ {
			pub, err := w.keys.Derive(c == 1, w.derived[c])
			if err != nil {
				return fmt.Errorf("derive wallet key: %w", err)
			}
			w.index[pub] = keyRef{change: c == 1, n: w.derived[c]}
		}
	}
	return nil
}

func (w *watcher) keyCount() int { return len(w.index) }

// isMine reports whether pub is a watched key.
func (w *watcher) isMine(pub [32]byte) bool { _, ok := w.index[pub]; return ok }

// relevant reports whether t pays a watched key or spends a coin of the wallet.
func (w *watcher) relevant(t *tx.Tx) bool {
	for _, o := range t.Outputs {
		if w.isMine(o.PubKey) {
			return true
		}
	}
	for _, in := range t.Inputs {
		if _, ok := w.owned[in.Prev]; ok {
			return true
		}
	}
	return false
}

// add records t, found at height, and widens the watched keys past any key it uses.
func (w *watcher) add(t *tx.Tx, height uint64) error {
	id := t.ID()
	for i, o := range t.Outputs {
		ref, ok := w.index[o.PubKey]
		if !ok {
			continue
		}
		w.owned[tx.OutPoint{TxID: id, Index: uint32(i)}] = coin{Amount: o.Amount, Height: height, Coinbase: t.IsCoinbase()}
		c := 0
		if ref.change {
			c = 1
		}
		w.next[c] = max(w.next[c], ref.n+1)
	}
	for _, in := range t.Inputs {
		w.spent[in.Prev] = true
	}
	return w.deriveGap()
}

// elements lists what a block filter is matched against: every watched key
// and every unspent coin's outpoint.
func (w *watcher) elements() [][]byte {
	out := make([][]byte, 0, len(w.index)+len(w.owned))
	for pub := range w.index {
		out = append(out, blockfilter.KeyElement(pub))
	}
	for op := range w.owned {
		if !w.spent[op] {
			out = append(out, blockfilter.OutPointElement(op))
		}
	}
	return out
}

// scanBlock returns the wallet's transactions in b (at height), adding them
// to the watcher. It passes over the block again while a pass widens the
// keys or finds a transaction, so a payment to a key first derived because
// of an earlier transaction of the same block, or a spend of a coin the
// block creates, is found whatever the order.
func (w *watcher) scanBlock(b *block.Block, height uint64) ([]walletTx, error) {
	found := map[int]bool{}
	for {
		keys, n := w.keyCount(), len(found)
		for i, t := range b.Txs {
			if found[i] || !w.relevant(t) {
				continue
			}
			found[i] = true
			if err := w.add(t, height); err != nil {
				return nil, err
			}
		}
		if w.keyCount() == keys && len(found) == n {
			break
		}
	}
	hash := b.Hash()
	var out []walletTx
	for i, t := range b.Txs {
		if found[i] {
			out = append(out, walletTx{Height: height, Block: hash, Position: uint32(i), Tx: t})
		}
	}
	return out, nil
}

// Balance is the light wallet's balance at the scanned tip.
type Balance struct {
	Confirmed int64  `json:"confirmed"`
	Immature  int64  `json:"immature"`
	Height    uint64 `json:"height"`
}

// balance splits the unspent coins as the full-node wallet does: a coinbase
// output is immature until it has more confirmations than the maturity.
func (w *watcher) balance(tip, maturity uint64) Balance {
	b := Balance{Height: tip}
	for op, c := range w.owned {
		if w.spent[op] {
			continue
		}
		if c.Coinbase && tip-c.Height+1 <= maturity {
			b.Immature += c.Amount
		} else {
			b.Confirmed += c.Amount
		}
	}
	return b
}

// HistoryItem is one wallet transaction, as `wallet history` shows it. The
// fee of a payment with inputs of others is 0: a light wallet cannot see
// those inputs' amounts.
type HistoryItem = wallet.HistoryItem

// history lists txs (oldest first) as the wallet sees them at tip.
func (w *watcher) history(txs []walletTx, tip uint64) []HistoryItem {
	amounts := map[tx.OutPoint]int64{}
	for _, t := range txs {
		id := t.Tx.ID()
		for i, o := range t.Tx.Outputs {
			amounts[tx.OutPoint{TxID: id, Index: uint32(i)}] = o.Amount
		}
	}
	out := []HistoryItem{}
	for _, t := range txs {
		item := HistoryItem{TxID: t.Tx.ID().String(), Height: t.Height, Confirmations: tip - t.Height + 1}
		var in, mine int64
		paid, known := false, true
		for _, x := range t.Tx.Inputs {
			a, ok := amounts[x.Prev]
			if _, own := w.owned[x.Prev]; own {
				mine += a
				paid = true
			}
			in += a
			known = known && ok
		}
		item.Amount = -mine
		outTotal, _ := t.Tx.OutputTotal()
		for _, o := range t.Tx.Outputs {
			if w.isMine(o.PubKey) {
				item.Amount += o.Amount
			}
		}
		if paid && known {
			item.Fee = in - outTotal
			item.Amount += item.Fee
		}
		out = append(out, item)
	}
	return out
}
