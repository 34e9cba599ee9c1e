package spv

import (
	"context"
	"sort"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/tx"
	"github.com/ledgerd/ledger/wallet/keystore"
)

// testMnemonic is BIP39's all-zero-entropy phrase: a wallet restored from it.
const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func walletKeys(t testing.TB) (*keystore.Keys, Keys) {
	t.Helper()
	k, err := keystore.KeysFromMnemonic(testMnemonic)
	if err != nil {
		t.Fatal(err)
	}
	src := func(change bool, i uint32) ([32]byte, error) { _, pub, err := k.Derive(change, i); return pub, err }
	return k, Keys{Derive: src, Gap: 20}
}

func walletKey(t testing.TB, k *keystore.Keys, change bool, i uint32) chaintest.Key {
	t.Helper()
	priv, pub, err := k.Derive(change, i)
	if err != nil {
		t.Fatal(err)
	}
	return chaintest.Key{Priv: priv, Pub: pub}
}

// mine adds one block paying its coinbase (plus fees) to to, with txs.
func (n *fullNode) mine(t testing.TB, to chaintest.Key, fees int64, txs ...*tx.Tx) *block.Block {
	t.Helper()
	bl := chaintest.Builder{Params: params, Miner: to}
	b := bl.Next(n.main[len(n.main)-1].Header, uint64(len(n.main)), fees, txs...)
	n.submit(t, b)
	n.main = append(n.main, b)
	return b
}

// fullNodeView is what a full node's wallet reports for the given keys: the
// balance split as node/scan.go does, and the txids of the keys' history.
func fullNodeView(t testing.TB, n *fullNode, keys [][32]byte) (Balance, map[string]bool) {
	t.Helper()
	tip := n.c.Tip().Height
	bal := Balance{Height: tip}
	hist := map[string]bool{}
	for _, k := range keys {
		us, err := n.c.UnspentByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if u.UTXO.Coinbase && tip-u.UTXO.Height+1 <= params.CoinbaseMaturity {
				bal.Immature += u.UTXO.Output.Amount
			} else {
				bal.Confirmed += u.UTXO.Output.Amount
			}
		}
		hs, err := n.c.HistoryByKey(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			hist[h.TxID.String()] = true
		}
	}
	return bal, hist
}

// walletChain builds, on every node, a chain with unrelated traffic in which
// the wallet mines coinbases, pays out with change, receives payments that
// walk its keys past the gap limit, and pays itself.
type walletChain struct {
	keys      *keystore.Keys
	allKeys   [][32]byte // every wallet key the payments use
	outsider  chaintest.Key
	paymentTx *tx.Tx // an incoming payment, in block 107
}

func buildWalletChain(t testing.TB, nodes ...*fullNode) *walletChain {
	t.Helper()
	k, _ := walletKeys(t)
	wc := &walletChain{keys: k, outsider: chaintest.NewKey(77)}
	recv := func(i uint32) chaintest.Key { return walletKey(t, k, false, i) }
	change := func(i uint32) chaintest.Key { return walletKey(t, k, true, i) }
	for _, i := range []uint32{0, 1, 2, 21, 40} {
		wc.allKeys = append(wc.allKeys, recv(i).Pub)
	}
	wc.allKeys = append(wc.allKeys, change(0).Pub)
	other := chaintest.NewKey(5)
	each := func(fn func(n *fullNode)) {
		for _, n := range nodes {
			fn(n)
		}
	}
	m := nodes[0]
	for h := 1; h <= 105; h++ {
		to := other
		if h <= 3 {
			to = recv(0) // the wallet mined blocks 1-3
		}
		var txs []*tx.Tx
		if h > 103 { // unrelated traffic spending unrelated coinbases
			cb := m.main[h-100].Txs[0]
			txs = append(txs, chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(cb, 0, other)},
				[]tx.TxOut{{Amount: 20 * tx.UnitsPerCoin, PubKey: chaintest.NewKey(uint64(1000 + h)).Pub}, {Amount: 30*tx.UnitsPerCoin - 500, PubKey: other.Pub}}))
		}
		fees := int64(len(txs)) * 500
		each(func(n *fullNode) { n.mine(t, to, fees, txs...) })
	}
	// 106: the wallet pays an outsider 10 coins from its first coinbase, change to change/0.
	pay := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(m.main[1].Txs[0], 0, recv(0))},
		[]tx.TxOut{{Amount: 10 * tx.UnitsPerCoin, PubKey: wc.outsider.Pub}, {Amount: 40*tx.UnitsPerCoin - 1000, PubKey: change(0).Pub}})
	each(func(n *fullNode) { n.mine(t, other, 1000, pay) })
	// 107: an outsider pays receive/1; 108: receive/21 (inside the gap once 1 is used); 109: receive/40.
	in1 := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(m.main[6].Txs[0], 0, other)},
		[]tx.TxOut{{Amount: 7 * tx.UnitsPerCoin, PubKey: recv(1).Pub}, {Amount: 43*tx.UnitsPerCoin - 700, PubKey: other.Pub}})
	wc.paymentTx = in1
	each(func(n *fullNode) { n.mine(t, other, 700, in1) })
	in21 := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(in1, 1, other)},
		[]tx.TxOut{{Amount: 3 * tx.UnitsPerCoin, PubKey: recv(21).Pub}, {Amount: 40*tx.UnitsPerCoin - 1400, PubKey: other.Pub}})
	each(func(n *fullNode) { n.mine(t, other, 700, in21) })
	in40 := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(in21, 1, other)},
		[]tx.TxOut{{Amount: 2 * tx.UnitsPerCoin, PubKey: recv(40).Pub}, {Amount: 38*tx.UnitsPerCoin - 2100, PubKey: other.Pub}})
	each(func(n *fullNode) { n.mine(t, other, 700, in40) })
	// 110: the wallet pays itself: change/0 to receive/2, fee 800.
	self := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(pay, 1, change(0))},
		[]tx.TxOut{{Amount: 40*tx.UnitsPerCoin - 1800, PubKey: recv(2).Pub}})
	each(func(n *fullNode) { n.mine(t, other, 800, self) })
	for i := 0; i < 5; i++ {
		each(func(n *fullNode) { n.mine(t, other, 0) })
	}
	return wc
}

func syncWallet(t testing.TB, c *Client, peers ...string) *WalletSync {
	t.Helper()
	_, keys := walletKeys(t)
	res, err := c.SyncWallet(context.Background(), peers, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// requireMatchesFullNode checks the SPV balance and history against the full node's view.
func requireMatchesFullNode(t testing.TB, res *WalletSync, n *fullNode, keys [][32]byte) {
	t.Helper()
	wantBal, wantHist := fullNodeView(t, n, keys)
	if res.Balance != wantBal {
		t.Fatalf("SPV balance %+v, full node %+v", res.Balance, wantBal)
	}
	var got, want []string
	for _, h := range res.History {
		got = append(got, h.TxID)
	}
	for id := range wantHist {
		want = append(want, id)
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("SPV history %v, full node %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("SPV history %v, full node %v", got, want)
		}
	}
}

func TestRestoredWalletFindsEveryPaymentWithFilters(t *testing.T) {
	n := newFullNode(t)
	wc := buildWalletChain(t, n)
	c := openClient(t)
	res := syncWallet(t, c, n.addr())
	requireMatchesFullNode(t, res, n, wc.allKeys)
	// 3 coinbases, the payment out, three payments in, the self-payment.
	if len(res.History) != 8 || res.Balance.Height != 115 || res.CrossChecked != 1 {
		t.Fatalf("history of %d txs at height %d, cross-checked %d: %+v", len(res.History), res.Balance.Height, res.CrossChecked, res.History)
	}
	byID := map[string]HistoryItem{}
	for _, h := range res.History {
		byID[h.TxID] = h
	}
	if got := byID[wc.paymentTx.ID().String()]; got.Amount != 7*tx.UnitsPerCoin || got.Fee != 0 || got.Height != 107 || got.Confirmations != 9 {
		t.Fatalf("incoming payment %+v", got)
	}
	// Only the matching blocks (and few false positives) were downloaded.
	if res.Stats.Blocks != 116 || res.Stats.MatchedBlocks < 8 || res.Stats.MatchedBlocks > 10 {
		t.Fatalf("stats %+v", res.Stats)
	}
	// A second sync finds nothing new and downloads no filters.
	again := syncWallet(t, c, n.addr())
	if again.Balance != res.Balance || len(again.History) != len(res.History) || again.Stats.FilterBytes != 0 {
		t.Fatalf("second sync %+v (stats %+v)", again.Balance, again.Stats)
	}
	// The record survives a restart.
	c.Close()
	c2, err := Open(c.dir, params, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c2.now = c.now
	defer c2.Close()
	if res2 := syncWallet(t, c2, n.addr()); res2.Balance != res.Balance || res2.Stats.FilterBytes != 0 {
		t.Fatalf("after reopen %+v", res2)
	}
}
