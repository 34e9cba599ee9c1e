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

var cheap = keystore.WithKDFParams(4, 1, 1)

func newTestWallet(t *testing.T, amounts ...int64) (*Wallet, *testNode) {
	w, err := Create(filepath.Join(t.TempDir(), "w.dat"), []byte("pw"), chaincfg.Regtest, "", cheap)
	if err != nil {
		t.Fatal(err)
	}
	n := newTestNode()
	for i, a := range amounts {
		_, pub, _ := w.keys.Derive(false, uint32(i))
		n.utxos = append(n.utxos, rpc.UTXO{TxID: chainhash.Hash{byte(i + 1)}.String(), Amount: a, Key: hex.EncodeToString(pub[:]),
			Height: 10, Confirmations: 191, Mature: true})
	}
	return w, n
}

var payee = tx.EncodeAddress(chaincfg.Regtest.AddressHRP, [32]byte{7})

func TestSendPaysExactFeeWithChange(t *testing.T) {
	w, n := newTestWallet(t, 5*tx.UnitsPerCoin, 3*tx.UnitsPerCoin)
	res, err := w.Send(context.Background(), n, SendRequest{To: payee, Amount: 4 * tx.UnitsPerCoin, FeeRate: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TxID) != 64 {
		t.Fatalf("txid %q", res.TxID)
	}
	ps, _ := w.loadPending()
	if len(ps) != 0 || len(n.sent) != 1 {
		t.Fatalf("pending %d, sent %d", len(ps), len(n.sent))
	}
	// Largest coin first: one 5-coin input, a payee output and change.
	// 1 input, 2 outputs: size = 4+1+1+36+1+80+64 = 187 bytes; fee 3/byte.
	if res.Fee != 3*187 {
		t.Fatalf("fee %d, want %d", res.Fee, 3*187)
	}
}

func TestDustChangeGoesToTheFee(t *testing.T) {
	w, n := newTestWallet(t, 100_000)
	res, err := w.Send(context.Background(), n, SendRequest{To: payee, Amount: 100_000 - 3*147 - 500, FeeRate: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Fee != 3*147+500 {
		t.Fatalf("fee %d: dust change of 500 should join the fee", res.Fee)
	}
}

func TestInsufficientFunds(t *testing.T) {
	w, n := newTestWallet(t, tx.UnitsPerCoin)
	_, err := w.Send(context.Background(), n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 1})
	if !errors.Is(err, ErrInsufficientFunds) || !strings.Contains(err.Error(), "1.00000000") {
		t.Fatalf("got %v", err)
	}
	if len(n.sent) != 0 {
		t.Fatal("something was sent")
	}
}

func TestBadPayeeAndAmount(t *testing.T) {
	w, n := newTestWallet(t, tx.UnitsPerCoin)
	for _, tc := range []struct {
		to     string
		amount int64
		want   error
	}{
		{tx.EncodeAddress("ltn", [32]byte{7}), 1000, tx.ErrWrongNetwork},
		{"lrt1qqqq", 1000, tx.ErrInvalidAddress},
		{payee, 0, tx.ErrInvalidAmount},
		{payee, -5, tx.ErrInvalidAmount},
	} {
		if _, err := w.Send(context.Background(), n, SendRequest{To: tc.to, Amount: tc.amount, FeeRate: 1}); !errors.Is(err, tc.want) {
			t.Errorf("send %d to %q: %v, want %v", tc.amount, tc.to, err, tc.want)
		}
	}
	if len(n.sent) != 0 {
		t.Fatal("a refused send was submitted")
	}
}

func TestRetryAfterAnUnclearFailureResubmitsTheSameTransaction(t *testing.T) {
	w, n := newTestWallet(t, 5*tx.UnitsPerCoin, 3*tx.UnitsPerCoin)
	n.failNext = true
	if _, err := w.Send(context.Background(), n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 2}); err == nil {
		t.Fatal("the timeout was not reported")
	}
	res, err := w.Send(context.Background(), n, SendRequest{To: payee, Amount: tx.UnitsPerCoin, FeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.sent) != 2 || n.sent[0] != n.sent[1] || res.TxID != n.sent[0] {
		t.Fatalf("retry built a new transaction: %v", n.sent)
	}
	if ps, _ := w.loadPending(); len(ps) != 0 {
		t.Fatalf("acknowledged send still pending")
	}
}

func TestBalanceCategories(t *testing.T) {
	w, n := newTestWallet(t, 100, 200, 400, 800)
	n.utxos[1].Height = 0                                // unconfirmed
	n.utxos[2].Mature, n.utxos[2].Coinbase = false, true // immature coinbase
	n.utxos[3].SpentInMempool = true                     // spent by a pending send
	b, err := w.Balance(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if b.Confirmed != 100 || b.Unconfirmed != 200 || b.Immature != 400 {
		t.Fatalf("balance %+v", b)
	}
}

func TestAddressesAdvanceAndPersist(t *testing.T) {
	w, _ := newTestWallet(t)
	a1, _ := w.Address()
	a2, _ := w.Address()
	if a1 == a2 {
		t.Fatal("the same address twice")
	}
	again, err := Open(w.Path(), []byte("pw"), chaincfg.Regtest, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := again.Indexes(); r != 2 {
		t.Fatalf("next receive index %d after reopening, want 2", r)
	}
	if _, err := Open(w.Path(), []byte("pw"), chaincfg.Testnet, cheap); !errors.Is(err, ErrNetworkMismatch) {
		t.Fatalf("opened a regtest wallet on testnet: %v", err)
	}
}
