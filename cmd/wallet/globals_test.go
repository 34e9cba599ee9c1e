package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestGlobalDefaultsAndNewcomerErrors(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("LEDGER_HOME", "")
	path := filepath.Join(t.TempDir(), "w.dat")
	env := map[string]string{"WALLET_PASSPHRASE": "pw"}
	base := []string{"--network", "regtest", "--wallet", path}
	if _, errOut, code := runWallet(t, env, append(base, "create")...); code != 0 {
		t.Fatalf("create: %s", errOut)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		// Without --node the wallet looks in the network's default data directory, and says how to start a node there.
		{env, []string{"balance"}, 1, "no running node found in " + filepath.Join(home, ".ledger", "regtest") + ": start one with `node run --network regtest`"},
		{env, []string{"send", "--to", "lrt1x", "--amount", "1", "--fee-rate", "0"}, 2, "--fee-rate must be at least 1"},
		{env, []string{"balance", "--rpc", "localhost:19443", "--rpc-cookie", "/x"}, 1, "--rpc wants the node's RPC URL"},
		{env, []string{"spv", "sync", "--peer", "/ip4/127.0.0.1/tcp/1/p2p/x", "--log-level", "verbose"}, 2, "use debug, info, warn or error"},
		{map[string]string{"WALLET_PASSPHRASE": "pw", "WALLET_MNEMONIC": "abandon abandon zzz"}, []string{"restore", "--wallet", path + "2"}, 1, `word 3 ("zzz") is not in the BIP39 English word list`},
		{map[string]string{"WALLET_PASSPHRASE": "pw", "WALLET_MNEMONIC": "abandon abandon abandon"}, []string{"restore", "--wallet", path + "2"}, 1, "has 3 words"},
		{map[string]string{"WALLET_PASSPHRASE": "pw", "WALLET_MNEMONIC": strings.Repeat("abandon ", 12)}, []string{"restore", "--wallet", path + "2"}, 1, "checksum does not match"},
	} {
		_, errOut, code := runWallet(t, tc.env, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || !strings.HasPrefix(errOut, "error: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line mentioning %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	var out strings.Builder
	if code := run([]string{"--version"}, strings.NewReader(""), &out, &out, func(string) string { return "" }); code != 0 ||
		!strings.HasPrefix(out.String(), "wallet ") || !strings.Contains(out.String(), "commit") {
		t.Fatalf("--version: %d %q", code, out.String())
	}
}
