package tx_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/tx"
)

func sample() *tx.Tx {
	k := chaintest.NewKey(1)
	s := chaintest.Spend{OutPoint: tx.OutPoint{TxID: chainhash.Hash{1}, Index: 2}, Output: tx.TxOut{Amount: 5000, PubKey: k.Pub}, Key: k}
	return chaintest.SignedTx("regtest", []chaintest.Spend{s}, []tx.TxOut{{Amount: 4000, PubKey: chaintest.NewKey(2).Pub}, {Amount: 900, PubKey: k.Pub}})
}

func TestEncodingRoundTrip(t *testing.T) {
	for _, x := range []*tx.Tx{sample(), chaintest.Coinbase(7, chaintest.NewKey(3).Pub, 50)} {
		enc := x.Encode()
		if len(enc) != x.Size() {
			t.Fatalf("Size %d, encoding %d bytes", x.Size(), len(enc))
		}
		got, err := tx.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Encode(), enc) || got.ID() != x.ID() || got.FullHash() != x.FullHash() {
			t.Fatal("decoded transaction differs")
		}
	}
}

func TestTxIDDoesNotCoverSignatures(t *testing.T) {
	x := sample()
	id, full := x.ID(), x.FullHash()
	x.Inputs[0].Signature[5] ^= 1
	if x.ID() != id {
		t.Fatal("changing a signature changed the txid")
	}
	if x.FullHash() == full {
		t.Fatal("changing a signature did not change the full hash")
	}
}

func TestCoinbaseHeightMakesTxIDsUnique(t *testing.T) {
	pub := chaintest.NewKey(3).Pub
	if chaintest.Coinbase(1, pub, 50).ID() == chaintest.Coinbase(2, pub, 50).ID() {
		t.Fatal("coinbases of two heights share a txid")
	}
}

func TestStrictDecoding(t *testing.T) {
	enc := sample().Encode()
	cases := map[string][]byte{
		"trailing byte":    append(append([]byte{}, enc...), 0),
		"truncated":        enc[:len(enc)-1],
		"empty":            nil,
		"unknown kind":     append(append(append([]byte{}, enc[:4]...), 7), enc[5:]...),
		"long varint":      append(append(append([]byte{}, enc[:5]...), 0xfd, 0x01, 0x00), enc[6:]...),
		"huge input count": append(append([]byte{}, enc[:5]...), 0xfe, 0xff, 0xff, 0xff, 0x0f),
	}
	for name, b := range cases {
		if _, err := tx.Decode(b); !errors.Is(err, tx.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if _, err := tx.Decode(cases["long varint"]); !errors.Is(err, wire.ErrNonCanonical) {
		t.Errorf("long varint is not reported as non-canonical")
	}
}

func TestSigHashCommitsToEverything(t *testing.T) {
	x := sample()
	prev := []tx.TxOut{{Amount: 5000, PubKey: chaintest.NewKey(1).Pub}}
	base, _ := tx.SigHash("regtest", x, prev, 0)
	for name, change := range map[string]func(*tx.Tx, []tx.TxOut) string{
		"network":      func(*tx.Tx, []tx.TxOut) string { return "testnet" },
		"spent amount": func(_ *tx.Tx, p []tx.TxOut) string { p[0].Amount++; return "regtest" },
		"output":       func(x *tx.Tx, _ []tx.TxOut) string { x.Outputs[1].Amount--; return "regtest" },
		"outpoint":     func(x *tx.Tx, _ []tx.TxOut) string { x.Inputs[0].Prev.Index++; return "regtest" },
		"version":      func(x *tx.Tx, _ []tx.TxOut) string { x.Version++; return "regtest" },
	} {
		y := sample()
		p := append([]tx.TxOut(nil), prev...)
		net := change(y, p)
		if h, _ := tx.SigHash(net, y, p, 0); h == base {
			t.Errorf("signature hash does not commit to the %s", name)
		}
	}
	if err := tx.VerifyInput("regtest", x, prev, 0); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	if err := tx.VerifyInput("testnet", x, prev, 0); !errors.Is(err, tx.ErrBadSignature) {
		t.Fatalf("signature checked on another network: %v", err)
	}
}

func TestAddresses(t *testing.T) {
	pub := chaintest.NewKey(4).Pub
	addr := tx.EncodeAddress("lrt", pub)
	got, err := tx.DecodeAddress("lrt", addr)
	if err != nil || got != pub {
		t.Fatalf("round trip: %v", err)
	}
	if got, err := tx.DecodeAddress("lrt", strings.ToUpper(addr)); err != nil || got != pub {
		t.Fatalf("upper-case address refused: %v", err)
	}
	if _, err := tx.DecodeAddress("ltn", addr); !errors.Is(err, tx.ErrWrongNetwork) {
		t.Fatalf("regtest address on testnet: %v", err)
	}
	last := addr[len(addr)-1]
	typo := addr[:len(addr)-1] + string("qpzry9x8gf2tvdw0s3jn54khce6mua7l"[(strings.IndexByte("qpzry9x8gf2tvdw0s3jn54khce6mua7l", last)+1)%32])
	for _, bad := range []string{typo, "", "lrt1", "not an address", addr[:20]} {
		if _, err := tx.DecodeAddress("lrt", bad); !errors.Is(err, tx.ErrInvalidAddress) && !errors.Is(err, tx.ErrWrongNetwork) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 100000000, true},
		{"1.5", 150000000, true},
		{"0.00000001", 1, true},
		{".5", 50000000, true},
		{"21000000", tx.MaxMoney, true},
		{"0", 0, false},
		{"0.000000001", 0, false},
		{"-1", 0, false},
		{"21000000.00000001", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{".", 0, false},
		{"1.2.3", 0, false},
		{" 1", 0, false},
		{"99999999999999999999", 0, false},
	} {
		got, err := tx.ParseAmount(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, tx.ErrInvalidAmount) {
			t.Errorf("ParseAmount(%q) accepted: %d", tc.in, got)
		}
	}
	if s := tx.FormatAmount(150000001); s != "1.50000001" {
		t.Fatalf("FormatAmount: %s", s)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(sample().Encode())
	f.Add(chaintest.Coinbase(1, [32]byte{}, 1).Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := tx.Decode(data)
		if err != nil {
			return
		}
		if !bytes.Equal(x.Encode(), data) {
			t.Fatal("decoded transaction does not re-encode to its input")
		}
		tx.CheckSanity(x)
	})
}

func FuzzDecodeAddress(f *testing.F) {
	f.Add(tx.EncodeAddress("lrt", [32]byte{1}))
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := tx.DecodeAddress("lrt", s)
		if err == nil && !strings.EqualFold(tx.EncodeAddress("lrt", pub), s) {
			t.Fatalf("%q decodes but re-encodes differently", s)
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	f.Add("1.5")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := tx.ParseAmount(s)
		if err == nil && (v <= 0 || v > tx.MaxMoney) {
			t.Fatalf("%q parsed to %d", s, v)
		}
	})
}
