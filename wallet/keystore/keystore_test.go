package keystore

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tyler-smith/go-bip39"
)

var cheap = WithKDFParams(4, 1, 1)

const abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func TestBIP39Vector(t *testing.T) {
	// BIP39 test vector: this mnemonic with passphrase "TREZOR".
	want := "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
	if got := hex.EncodeToString(bip39.NewSeed(abandon, "TREZOR")); got != want {
		t.Fatalf("seed %s", got)
	}
}

func TestMnemonicsAndDerivation(t *testing.T) {
	m, err := NewMnemonic()
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateMnemonic("  " + m + " "); err != nil {
		t.Fatalf("fresh mnemonic invalid: %v", err)
	}
	if err := ValidateMnemonic(abandon[:len(abandon)-5] + "zoo"); !errors.Is(err, ErrInvalidMnemonic) {
		t.Fatalf("bad checksum: %v", err)
	}
	a, _ := KeysFromMnemonic(m)
	b, _ := KeysFromMnemonic(m)
	for _, change := range []bool{false, true} {
		for i := uint32(0); i < 3; i++ {
			_, pa, _ := a.Derive(change, i)
			_, pb, _ := b.Derive(change, i)
			if pa != pb {
				t.Fatal("same mnemonic gave different keys")
			}
		}
	}
	_, r0, _ := a.Derive(false, 0)
	_, c0, _ := a.Derive(true, 0)
	_, r1, _ := a.Derive(false, 1)
	if r0 == c0 || r0 == r1 {
		t.Fatal("receive, change and next keys must differ")
	}
}

func saved(t *testing.T) (string, *Data) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.dat")
	d := &Data{Version: 1, Network: "regtest", Mnemonic: abandon, NextReceive: 3}
	if err := Create(path, d, []byte("pw"), cheap); err != nil {
		t.Fatal(err)
	}
	return path, d
}

func TestRoundTripAndFileMode(t *testing.T) {
	path, d := saved(t)
	got, err := Load(path, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Mnemonic != d.Mnemonic || got.NextReceive != 3 || got.Network != "regtest" {
		t.Fatalf("loaded %+v", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	if err := Create(path, d, []byte("pw"), cheap); !errors.Is(err, ErrExists) {
		t.Fatalf("create over an existing wallet: %v", err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	path, _ := saved(t)
	if _, err := Load(path, []byte("nope")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("got %v", err)
	}
}

func TestCorruptionAndTruncationAreErrors(t *testing.T) {
	path, _ := saved(t)
	raw, _ := os.ReadFile(path)
	for i := 0; i < len(raw); i += 3 {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x20
		if _, err := decrypt(b, []byte("pw")); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
	for n := 0; n < len(raw); n++ {
		if _, err := decrypt(raw[:n], []byte("pw")); err == nil {
			t.Fatalf("truncated to %d bytes accepted", n)
		}
	}
}

func TestHugeKDFParametersRefusedBeforeUse(t *testing.T) {
	path, _ := saved(t)
	raw, _ := os.ReadFile(path)
	raw[len(magic)+1] = 60 // log2(N) = 60 would need exabytes
	if _, err := decrypt(raw, []byte("pw")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	path := filepath.Join(f.TempDir(), "w.dat")
	Save(path, &Data{Mnemonic: abandon}, []byte("pw"), cheap)
	raw, _ := os.ReadFile(path)
	f.Add(raw)
	f.Add([]byte("LGRWALLET"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > headerSize && data[len(magic)+1] > 10 {
			return // keep fuzzing fast: expensive but valid KDF costs are not interesting
		}
		decrypt(data, []byte("pw"))
	})
}
