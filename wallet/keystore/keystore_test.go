package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tyler-smith/go-bip39"
	"golang.org/x/crypto/chacha20poly1305"
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
		// A damaged file is reported as damaged, never as a wrong passphrase.
		if _, err := decrypt(b, []byte("pw")); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
	for n := 0; n < len(raw); n++ {
		if _, err := decrypt(raw[:n], []byte("pw")); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
}

func TestHugeKDFParametersRefusedBeforeUse(t *testing.T) {
	path, _ := saved(t)
	raw, _ := os.ReadFile(path)
	for _, tc := range []struct{ logN, r, p uint8 }{
		{60, 1, 1},  // exabytes
		{20, 16, 4}, // 2 GiB and tens of seconds: each within the per-field bounds, too costly together
		{17, 8, 1},  // 128 MiB of memory
		{15, 8, 8},  // 32 MiB but eight times the work
	} {
		b := append([]byte(nil), raw[:len(raw)-32]...)
		b[len(magic)+1], b[len(magic)+2], b[len(magic)+3] = tc.logN, tc.r, tc.p
		sum := sha256.Sum256(b) // a consistent checksum: only the bounds can refuse it
		b = append(b, sum[:]...)
		if _, err := decrypt(b, []byte("pw")); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "out of range") {
			t.Fatalf("%+v: got %v", tc, err)
		}
	}
	if !kdfInBounds(defaultKDF) {
		t.Fatal("the default parameters must be within bounds")
	}
}

func TestVersion1FilesStillOpen(t *testing.T) {
	path, _ := saved(t)
	raw, _ := os.ReadFile(path)
	// A version-1 file is a version-2 file without the checksum, with the AEAD over its own header.
	d := &Data{Version: 1, Network: "regtest", Mnemonic: abandon}
	v1 := sealV1(t, d)
	if got, err := decrypt(v1, []byte("pw")); err != nil || got.Mnemonic != abandon {
		t.Fatalf("version 1: %v", err)
	}
	if _, err := decrypt(v1, []byte("nope")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("version 1 wrong passphrase: %v", err)
	}
	if raw[len(magic)] != fileVersion {
		t.Fatalf("new files are written as version %d", raw[len(magic)])
	}
}

func TestWatchOnlyKeysMatchTheFullWallet(t *testing.T) {
	full, err := KeysFromMnemonic(abandon)
	if err != nil {
		t.Fatal(err)
	}
	watch, err := KeysFromXPub(full.XPub())
	if err != nil {
		t.Fatal(err)
	}
	if !watch.WatchOnly() || full.WatchOnly() {
		t.Fatal("WatchOnly is wrong")
	}
	for _, change := range []bool{false, true} {
		_, want, _ := full.Derive(change, 4)
		got, err := watch.DerivePub(change, 4)
		if err != nil || got != want {
			t.Fatalf("change=%v: watch-only key differs", change)
		}
	}
	if _, _, err := watch.Derive(false, 0); err == nil {
		t.Fatal("a watch-only wallet derived a private key")
	}
	for _, bad := range []string{"", "xpubnonsense", full.account[0].String()} {
		if _, err := KeysFromXPub(bad); !errors.Is(err, ErrInvalidXPub) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestBIP39PassphraseGivesOtherKeys(t *testing.T) {
	plain, _ := KeysFromSeedWords(abandon, "")
	salted, _ := KeysFromSeedWords(abandon, "TREZOR")
	_, a, _ := plain.Derive(false, 0)
	_, b, _ := salted.Derive(false, 0)
	if a == b {
		t.Fatal("the BIP39 passphrase did not change the keys")
	}
	d := &Data{Mnemonic: abandon, BIP39Passphrase: "TREZOR"}
	k, _ := d.Keys()
	if _, c, _ := k.Derive(false, 0); c != b {
		t.Fatal("Data.Keys ignores the BIP39 passphrase")
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

// sealV1 writes d in the first file format (no trailing checksum), as old wallets are.
func sealV1(t *testing.T, d *Data) []byte {
	t.Helper()
	plain, _ := json.Marshal(d)
	header := append(append([]byte(nil), magic...), fileVersionNoChecksum, 4, 1, 1)
	salt := make([]byte, saltSize+chacha20poly1305.NonceSizeX)
	header = append(header, salt...)
	key, err := deriveKey([]byte("pw"), salt[:saltSize], kdf{4, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := chacha20poly1305.NewX(key)
	return aead.Seal(append([]byte(nil), header...), salt[saltSize:], plain, header)
}
