package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodesAndErrorLines(t *testing.T) {
	// Commands without --datadir use the default data directory under HOME.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("LEDGER_HOME", "")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"generate", "abc", "--to", "x", "--datadir", "/nonexistent"}, 2, "positive number"},
		{[]string{"generate", "5"}, 2, "--to ADDR is required"},
		{[]string{"--bogus"}, 2, "unknown flag"},
		{[]string{"tx"}, 2, "accepts 1 arg"},
		{[]string{"run", "--threads", "-3"}, 2, "--threads must be 0"},
		{[]string{"run", "--max-peers", "-1"}, 2, "--max-peers must be at least 1"},
		{[]string{"run", "--log-level", "verbose"}, 2, "use debug, info, warn or error"},
		{[]string{"run", "--datadir", "/tmp/x", "--network", "mainnet"}, 2, "unknown network"},
		{[]string{"run", "--datadir", "/tmp/x", "--mine"}, 2, "--mine needs --mine-to"},
		{[]string{"run", "--datadir", t.TempDir(), "--network", "regtest", "--cpuprofile", "/nonexistent/node.prof"}, 1, "--cpuprofile: open /nonexistent/node.prof"},
		{[]string{"status"}, 1, "no running node found"},
		{[]string{"status", "--network", "regtest"}, 1, ".ledger/regtest"},
		{[]string{"status", "--rpc", "127.0.0.1:19443", "--rpc-cookie", "/x"}, 1, "--rpc wants the node's RPC URL such as http://"},
		{[]string{"status", "--datadir", t.TempDir()}, 1, "no running node found"},
		{[]string{"status", "--rpc", "http://127.0.0.1:1"}, 1, "--rpc and --rpc-cookie go together"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code != tc.code || len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], tc.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one error line with %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

// TestCPUProfileIsWrittenWhenStopped: the profile --cpuprofile names holds a
// profile once the node stops, and a second profile at once is refused.
func TestCPUProfileIsWrittenWhenStopped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.prof")
	stop, err := startCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := startCPUProfile(filepath.Join(t.TempDir(), "second.prof")); err == nil {
		t.Error("a second CPU profile started beside the first")
	}
	stop()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A profile is a gzip-compressed protocol buffer.
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not a profile: %v", path, err)
	}
	if body, err := io.ReadAll(z); err != nil || len(body) == 0 {
		t.Fatalf("%s: %d bytes of profile, %v", path, len(body), err)
	}
}
