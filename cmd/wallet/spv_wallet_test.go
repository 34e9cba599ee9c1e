package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSPVBalanceAndHistoryRefusals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.dat")
	env := map[string]string{"WALLET_PASSPHRASE": "pw"}
	base := []string{"--network", "regtest", "--wallet", path}
	if _, errOut, code := runWallet(t, env, append(base, "create")...); code != 0 {
		t.Fatalf("create: %s", errOut)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"spv", "balance"}, 2, "--peer"},
		{[]string{"spv", "history"}, 2, "--peer"},
		{[]string{"spv", "balance", "--peer", "not-a-multiaddr"}, 1, "none of the given peers"},
		{[]string{"spv", "history", "--peer", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"}, 1, "unreachable"},
	} {
		m, errOut, code := runWallet(t, env, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || !strings.HasPrefix(errOut, "error: ") || m != nil {
			t.Errorf("%v: exit %d, stdout %v, stderr %q; want %d mentioning %q", tc.args, code, m, errOut, tc.code, tc.want)
		}
	}
}
