package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
	"github.com/ledgerd/ledger/wallet/keystore"
)

var ctx = context.Background()

func decodeSent(t *testing.T, n *testNode, id string) *tx.Tx {
	t.Helper()
	raw, _ := hex.DecodeString(n.txs[id].Hex)
	x, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestChainedSendsSpendOwnUnconfirmedChangeOnly(t *testing.T) {
	w, n := newTestWallet(t, 50*tx.UnitsPerCoin)
	first, err := w.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's unconfirmed payment to us must not be spent.
	_, pub, _ := w.keys.Derive(false, 1)
	n.utxos = append(n.utxos, rpc.UTXO{TxID: chainhash.Hash{0xee}.String(), Amount: 100 * tx.UnitsPerCoin, Key: hex.EncodeToString(pub[:]), Mature: true})
	second, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 2 * tx.UnitsPerCoin, FeeRate: 2})
	if err != nil {
		t.Fatalf("second send without a block: %v", err)
	}
	spent := decodeSent(t, n, second.TxID).Inputs
	if len(spent) != 1 || spent[0].Prev.TxID.String() != first.TxID {
		t.Fatalf("the second send should spend the first one's change, spent %v", spent)
	}
	// Only foreign unconfirmed coins left: refused.
	if _, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 60 * tx.UnitsPerCoin, FeeRate: 2}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("spent someone else's unconfirmed coins: %v", err)
	}
}

func TestCoinSelection(t *testing.T) {
	key := [32]byte{1}
	c := func(amount int64, height uint64) coin {
		return coin{op: tx.OutPoint{TxID: chainhash.Hash{byte(amount), byte(amount >> 8), byte(amount >> 16), byte(amount >> 24)}}, amount: amount, key: key, height: height, spendable: true}
	}
	const rate, base = 1, 47
	total := func(s selection) (n int64) {
		for _, x := range s.coins {
			n += x.amount
		}
		return n
	}
	for _, tc := range []struct {
		name   string
		coins  []coin
		amount int64
		want   []int64 // amounts of the chosen coins, largest first
	}{
		// 30_000 + 20_247 pays 50_000 + fee (47 + 2*100) exactly: no change at all.
		{"exact match without change", []coin{c(100_000, 5), c(30_000, 5), c(20_247, 5), c(5_000, 5)}, 50_000, []int64{30_000, 20_247}},
		// No exact match: the smallest single coin leaving change above dust.
		{"smallest sufficient coin", []coin{c(1_000_000, 5), c(80_000, 5), c(60_000, 5)}, 55_000, []int64{60_000}},
		// Confirmed coins first, even when an unconfirmed one would fit better.
		{"prefers confirmed", []coin{c(55_147, 0), c(90_000, 5)}, 55_000, []int64{90_000}},
		{"unconfirmed when needed", []coin{c(55_147, 0), c(10_000, 5)}, 60_000, []int64{55_147, 10_000}},
		// Largest first when no single coin suffices.
		{"accumulate", []coin{c(40_000, 5), c(30_000, 5), c(20_000, 5)}, 65_000, []int64{40_000, 30_000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := selectCoins(tc.coins, tc.amount, rate, base)
			if !ok {
				t.Fatal("no selection")
			}
			var got []int64
			for _, x := range s.coins {
				got = append(got, x.amount)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("chose %v, want %v", got, tc.want)
			}
			var wantTotal int64
			for _, a := range tc.want {
				wantTotal += a
			}
			if total(s) != wantTotal {
				t.Fatalf("chose %v, want %v", got, tc.want)
			}
		})
	}
	if _, ok := selectCoins([]coin{c(10_000, 5)}, 20_000, rate, base); ok {
		t.Fatal("selected too little")
	}
}

func TestSendLeavesNoDustChange(t *testing.T) {
	// 50_000 + 247 fee leaves 753 units: below the dust limit, so no change output.
	w, n := newTestWallet(t, 30_000, 21_000)
	res, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 50_000, FeeRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sent := decodeSent(t, n, res.TxID); len(sent.Outputs) != 1 || res.Fee != 1000 {
		t.Fatalf("%d outputs, fee %d: want no change and the remainder in the fee", len(sent.Outputs), res.Fee)
	}
}

func TestCoinControl(t *testing.T) {
	w, n := newTestWallet(t, 5*tx.UnitsPerCoin, 3*tx.UnitsPerCoin, 2*tx.UnitsPerCoin)
	utxos, err := w.UTXOs(ctx, n)
	if err != nil || len(utxos) != 3 {
		t.Fatalf("utxos: %v %v", utxos, err)
	}
	pick, _ := ParseOutPoint(n.utxos[2].TxID + ":0")
	res, err := w.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 1, Coins: []tx.OutPoint{pick}})
	if err != nil {
		t.Fatal(err)
	}
	if in := decodeSent(t, n, res.TxID).Inputs; len(in) != 1 || in[0].Prev != pick {
		t.Fatalf("spent %v, want only %v", in, pick)
	}
	for _, tc := range []struct {
		coins []tx.OutPoint
		want  string
	}{
		{[]tx.OutPoint{pick}, "not an unspent output"}, // spent now
		{[]tx.OutPoint{{TxID: chainhash.Hash{0x99}}}, "not an unspent output"},
	} {
		if _, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 1000, FeeRate: 1, Coins: tc.coins}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v", tc.coins, err)
		}
	}
	big, _ := ParseOutPoint(n.utxos[1].TxID + ":0")
	if _, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 4 * tx.UnitsPerCoin, FeeRate: 1, Coins: []tx.OutPoint{big}}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("chosen coins too small: %v", err)
	}
	for _, bad := range []string{"", "abc", chainhash.Hash{}.String(), chainhash.Hash{}.String() + ":x"} {
		if _, err := ParseOutPoint(bad); err == nil {
			t.Errorf("ParseOutPoint(%q) accepted", bad)
		}
	}
}

func TestBumpFeeReplacesWithHigherFee(t *testing.T) {
	w, n := newTestWallet(t, 5*tx.UnitsPerCoin, 1*tx.UnitsPerCoin)
	orig, err := w.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !decodeSent(t, n, orig.TxID).SignalsReplaceable() {
		t.Fatal("wallet transactions must opt in to replacement")
	}
	bump, err := w.BumpFee(ctx, n, orig.TxID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	repl := decodeSent(t, n, bump.TxID)
	if bump.Replaces != orig.TxID || bump.Fee < orig.Fee+int64(repl.Size()) || bump.Fee < 3*int64(repl.Size()) {
		t.Fatalf("bump %+v of fee %d: must pay the estimate (3/byte) and the old fee plus 1/byte", bump, orig.Fee)
	}
	if _, still := n.txs[orig.TxID]; still {
		t.Fatal("the original is still in the test node's pool")
	}
	if repl.Outputs[0].Amount != tx.UnitsPerCoin {
		t.Fatal("the payment changed")
	}
	if _, err := w.BumpFee(ctx, n, orig.TxID, 0, 0); !errors.Is(err, ErrCannotBump) {
		t.Fatalf("bumping a replaced tx: %v", err)
	}
	if _, err := w.BumpFee(ctx, n, bump.TxID, 1, 0); !errors.Is(err, ErrCannotBump) {
		t.Fatalf("a lower explicit rate: %v", err)
	}
	// A child spending its change blocks the bump (it would be evicted).
	if _, err := w.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.BumpFee(ctx, n, bump.TxID, 50, 0); !errors.Is(err, ErrCannotBump) {
		t.Fatalf("bumping a tx with a child: %v", err)
	}
	n.mine(201)
	if _, err := w.BumpFee(ctx, n, bump.TxID, 50, 0); !errors.Is(err, ErrCannotBump) || !strings.Contains(err.Error(), "mined") {
		t.Fatalf("bumping a mined tx: %v", err)
	}
}

func TestBumpFeeAddsACoinWhenChangeIsShort(t *testing.T) {
	w, n := newTestWallet(t, 100_000, 50_000)
	pick, _ := ParseOutPoint(n.utxos[0].TxID + ":0")
	orig, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 99_000, FeeRate: 1, Coins: []tx.OutPoint{pick}})
	if err != nil {
		t.Fatal(err)
	}
	bump, err := w.BumpFee(ctx, n, orig.TxID, 20, 0)
	if err != nil {
		t.Fatal(err)
	}
	repl := decodeSent(t, n, bump.TxID)
	if len(repl.Inputs) != 2 || bump.Fee < 20*int64(repl.Size()) {
		t.Fatalf("%d inputs, fee %d for %d bytes", len(repl.Inputs), bump.Fee, repl.Size())
	}
}

func TestWatchOnlyAndOfflineSigning(t *testing.T) {
	full, n := newTestWallet(t, 5*tx.UnitsPerCoin, 3*tx.UnitsPerCoin)
	watch, err := CreateWatchOnly(filepath.Join(t.TempDir(), "watch.dat"), []byte("pw"), chaincfg.Regtest, full.XPub(), cheap)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := full.Balance(ctx, n)
	wb, err := watch.Balance(ctx, n)
	if err != nil || *wb != *fb || wb.Confirmed != 8*tx.UnitsPerCoin {
		t.Fatalf("watch-only balance %+v, full %+v: %v", wb, fb, err)
	}
	if _, err := watch.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin}); !errors.Is(err, keystore.ErrWatchOnly) {
		t.Fatalf("watch-only send: %v", err)
	}
	if a, _ := watch.Address(); a == "" {
		t.Fatal("watch-only address")
	}
	f, err := watch.PrepareUnsigned(ctx, n, SendRequest{To: payee, Amount: 6 * tx.UnitsPerCoin, FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := watch.SignUnsigned(f.Encode()); !errors.Is(err, keystore.ErrWatchOnly) {
		t.Fatalf("watch-only signing: %v", err)
	}
	signed, sf, err := full.SignUnsigned(f.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if signed.ID().String() != f.TxID || sf.Fee != f.Fee {
		t.Fatal("signing changed the transaction")
	}
	res, err := n.SendRaw(ctx, rpc.SendRawRequest{Hex: hex.EncodeToString(signed.Encode())})
	if err != nil || res.TxID != f.TxID {
		t.Fatalf("broadcast: %v", err)
	}
	// The change went to the watch-only wallet's next change key, which the full wallet owns too.
	if len(signed.Outputs) != 2 || !full.IsMine(signed.Outputs[1].PubKey) {
		t.Fatal("the change is not the full wallet's")
	}
	// A file whose amount lies fails the signature check, never overpays.
	prev := make([]tx.TxOut, len(f.Inputs))
	for i, in := range f.Inputs {
		key, _ := hex.DecodeString(in.Key)
		prev[i] = tx.TxOut{Amount: in.Amount + 1, PubKey: [32]byte(key)}
	}
	if err := tx.VerifyInput(chaincfg.Regtest.Name, signed, prev, 0); err == nil {
		t.Fatal("the signature does not commit to the amount")
	}
	other, _ := newTestWallet(t)
	if _, _, err := other.SignUnsigned(f.Encode()); !errors.Is(err, ErrBadUnsignedFile) {
		t.Fatalf("signing with another wallet: %v", err)
	}
}

func TestDecodeUnsignedRefusesInconsistentFiles(t *testing.T) {
	w, n := newTestWallet(t, 5*tx.UnitsPerCoin)
	f, err := w.PrepareUnsigned(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(f *UnsignedFile){
		"fee":     func(f *UnsignedFile) { f.Fee++ },
		"amount":  func(f *UnsignedFile) { f.Inputs[0].Amount = -1 },
		"txid":    func(f *UnsignedFile) { f.TxID = chainhash.Hash{}.String() },
		"inputs":  func(f *UnsignedFile) { f.Inputs = nil },
		"version": func(f *UnsignedFile) { f.Version = 9 },
		"key":     func(f *UnsignedFile) { f.Inputs[0].Key = "zz" },
	} {
		g := *f
		g.Inputs = append([]UnsignedInput(nil), f.Inputs...)
		mutate(&g)
		if _, _, _, err := DecodeUnsigned(g.Encode()); !errors.Is(err, ErrBadUnsignedFile) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, _, err := DecodeUnsigned([]byte("{}")); !errors.Is(err, ErrBadUnsignedFile) {
		t.Fatal(err)
	}
}

func FuzzDecodeUnsigned(f *testing.F) {
	f.Add([]byte(`{"version":1,"network":"regtest","txid":"","tx":"","fee":0,"xpub":"","inputs":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		DecodeUnsigned(data)
	})
}

func TestStalePendingSendsAreCleaned(t *testing.T) {
	w, n := newTestWallet(t, 5*tx.UnitsPerCoin, 3*tx.UnitsPerCoin)
	n.failNext = true
	if _, err := w.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 2}); err == nil {
		t.Fatal("the timeout was not reported")
	}
	ps, _ := w.loadPending()
	if len(ps) != 1 {
		t.Fatalf("%d pending", len(ps))
	}
	// Its input gets spent by another transaction: the entry is conflicted.
	raw, _ := hex.DecodeString(ps[0].Hex)
	stale, _ := tx.Decode(raw)
	for i := range n.utxos {
		if n.utxos[i].TxID == stale.Inputs[0].Prev.TxID.String() {
			n.utxos[i].SpentInMempool = true
		}
	}
	res, err := w.Send(ctx, n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 2})
	if err != nil {
		t.Fatalf("a later identical payment: %v", err)
	}
	if res.TxID == stale.ID().String() {
		t.Fatal("resubmitted the conflicted transaction")
	}
	if ps, _ := w.loadPending(); len(ps) != 0 {
		t.Fatalf("%d pending after cleaning", len(ps))
	}
	// A mined entry is dropped too.
	w.addPending(pendingSend{TxID: res.TxID, Hex: n.txs[res.TxID].Hex, To: payee, Amount: 7})
	n.mine(201)
	if _, err := w.Send(ctx, n, SendRequest{To: payee, Amount: 7000, FeeRate: 2}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := w.loadPending(); len(ps) != 0 {
		t.Fatalf("mined entry kept: %d pending", len(ps))
	}
}

func TestNodeNetworkCheck(t *testing.T) {
	n := newTestNode()
	if err := CheckNetwork(ctx, n, "regtest"); err != nil {
		t.Fatal(err)
	}
	n.network = "testnet"
	if err := CheckNetwork(ctx, n, "regtest"); !errors.Is(err, ErrWrongNodeNetwork) || !strings.Contains(err.Error(), "runs testnet") {
		t.Fatalf("got %v", err)
	}
}

func TestPage(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		count, skip int
		want        []int
	}{
		{0, 0, []int{1, 2, 3, 4, 5}}, {2, 0, []int{4, 5}}, {2, 1, []int{3, 4}}, {10, 3, []int{1, 2}}, {1, 9, []int{}},
	} {
		got := Page(items, tc.count, tc.skip)
		if len(got) != len(tc.want) || (len(got) > 0 && (got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1])) {
			t.Errorf("count %d skip %d: %v, want %v", tc.count, tc.skip, got, tc.want)
		}
	}
}
