package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWatchOnlyOfflineAndRefusalsWithoutANode(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"WALLET_PASSPHRASE": "pw"}
	full := []string{"--network", "regtest", "--wallet", filepath.Join(dir, "full.dat"), "--rpc", "http://127.0.0.1:1", "--rpc-cookie", filepath.Join(dir, "none")}
	watch := []string{"--network", "regtest", "--wallet", filepath.Join(dir, "watch.dat"), "--rpc", "http://127.0.0.1:1", "--rpc-cookie", filepath.Join(dir, "none")}
	if _, errOut, code := runWallet(t, env, append(full, "create")...); code != 0 {
		t.Fatal(errOut)
	}
	m, errOut, code := runWallet(t, env, append(full, "export-xpub")...)
	xpub, _ := m["xpub"].(string)
	if code != 0 || !strings.HasPrefix(xpub, "tpub") {
		t.Fatalf("export-xpub: %v %s", m, errOut)
	}
	m, errOut, code = runWallet(t, env, append(watch, "create", "--watch-only", xpub)...)
	if code != 0 || m["watch_only"] != true {
		t.Fatalf("create --watch-only: %d %v %s", code, m, errOut)
	}
	fullAddr, _, _ := runWallet(t, env, append(full, "address")...)
	watchAddr, _, _ := runWallet(t, env, append(watch, "address")...)
	if fullAddr["address"] != watchAddr["address"] {
		t.Fatalf("first address differs: %v vs %v", fullAddr, watchAddr)
	}
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`{"version":1}`), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"watch-only send", env, append(watch, "send", "--to", fullAddr["address"].(string), "--amount", "1"), 1, "watch-only"},
		{"watch-only sign", env, append(watch, "sign", garbage, filepath.Join(dir, "out")), 1, "sign with the wallet that holds the mnemonic"},
		{"bad xpub", env, append(append([]string(nil), full[:3]...), filepath.Join(dir, "w2.dat"), "create", "--watch-only", "tpubnonsense"), 1, "invalid extended public key"},
		{"sign garbage", env, append(full, "sign", garbage, filepath.Join(dir, "out")), 1, "bad unsigned transaction file"},
		{"bad --utxo", env, append(full, "send", "--to", fullAddr["address"].(string), "--amount", "1", "--utxo", "x"), 2, "--utxo"},
		{"negative --count", env, append(full, "history", "--count", "-1"), 2, "--count"},
		{"bip39 passphrase without a source", env, append(append([]string(nil), full[:3]...), filepath.Join(dir, "w3.dat"), "create", "--bip39-passphrase"), 1, "WALLET_BIP39_PASSPHRASE"},
		{"no wallet passphrase", map[string]string{}, append(append([]string(nil), full[:3]...), filepath.Join(dir, "w4.dat"), "create"), 1, "WALLET_PASSPHRASE"},
	} {
		_, errOut, code := runWallet(t, tc.env, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || !strings.HasPrefix(errOut, "error: ") {
			t.Errorf("%s: exit %d, stderr %q; want %d mentioning %q", tc.name, code, errOut, tc.code, tc.want)
		}
	}
	bip := map[string]string{"WALLET_PASSPHRASE": "pw", "WALLET_BIP39_PASSPHRASE": "extra"}
	w5 := append(append([]string(nil), full[:3]...), filepath.Join(dir, "w5.dat"))
	if m, errOut, code := runWallet(t, bip, append(w5, "create", "--bip39-passphrase")...); code != 0 || m["mnemonic"] == "" {
		t.Fatalf("create with a BIP39 passphrase: %s", errOut)
	}
}

func TestDamagedWalletFileSaysHowToRestore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.dat")
	env := map[string]string{"WALLET_PASSPHRASE": "pw"}
	base := []string{"--network", "regtest", "--wallet", path}
	if _, errOut, code := runWallet(t, env, append(base, "create")...); code != 0 {
		t.Fatal(errOut)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, raw[:len(raw)-10], 0o600)
	_, errOut, code := runWallet(t, env, append(base, "address")...)
	if code != 1 || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, "wallet restore") || strings.Contains(errOut, "passphrase") {
		t.Fatalf("truncated file: %d %q", code, errOut)
	}
}
