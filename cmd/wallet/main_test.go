package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func runWallet(t *testing.T, env map[string]string, args ...string) (map[string]any, string, int) {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	var m map[string]any
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%v printed non-JSON %q", args, out.String())
		}
	}
	return m, errb.String(), code
}

func TestCreateAddressAndRefusals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.dat")
	env := map[string]string{"WALLET_PASSPHRASE": "pw"}
	base := []string{"--network", "regtest", "--wallet", path}
	m, errOut, code := runWallet(t, env, append(base, "create")...)
	if code != 0 || len(strings.Fields(m["mnemonic"].(string))) != 24 {
		t.Fatalf("create: %d %v %s", code, m, errOut)
	}
	if _, errOut, code := runWallet(t, env, append(base, "create")...); code != 1 || !strings.Contains(errOut, "refusing to overwrite") {
		t.Fatalf("second create: %d %s", code, errOut)
	}
	m, _, code = runWallet(t, env, append(base, "address")...)
	if code != 0 || !strings.HasPrefix(m["address"].(string), "lrt1") {
		t.Fatalf("address: %v", m)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{map[string]string{"WALLET_PASSPHRASE": "wrong"}, []string{"address"}, 1, "wrong passphrase"},
		{map[string]string{}, []string{"address"}, 1, "WALLET_PASSPHRASE"},
		{env, []string{"send", "--to", "x"}, 2, "--amount"},
		{env, []string{"send", "--to", "lrt1bad", "--amount", "1", "--node", t.TempDir()}, 1, "invalid address"},
		{env, []string{"send", "--to", m["address"].(string), "--amount", "1.123456789", "--node", t.TempDir()}, 1, "8 decimal places"},
		{env, []string{"spv", "verify", "--txid", "zz", "--peer", "/ip4/127.0.0.1/tcp/1"}, 2, "--txid"},
		{env, []string{"--network", "mainnet", "address"}, 2, "unknown network"},
	} {
		_, errOut, code := runWallet(t, tc.env, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || !strings.HasPrefix(errOut, "error: ") {
			t.Errorf("%v: exit %d, stderr %q; want %d mentioning %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
