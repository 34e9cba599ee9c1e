package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBanCommandUsageErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("LEDGER_HOME", "")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"peers", "ban"}, 2, "ban takes one argument"},
		{[]string{"peers", "ban", "nonsense", "--datadir", "/nonexistent"}, 2, "not a peer ID, IP address"},
		{[]string{"peers", "ban", "0.0.0.0/0"}, 2, "would ban every address"},
		{[]string{"peers", "ban", "203.0.113.7", "--duration", "0s"}, 2, "--duration must be between"},
		{[]string{"peers", "ban", "203.0.113.7", "--duration", "forever"}, 2, "invalid argument"},
		{[]string{"peers", "unban"}, 2, "unban takes one argument"},
		{[]string{"peers", "unban", "1.2.3.4/99"}, 2, "not a CIDR subnet"},
		{[]string{"peers", "banned", "extra"}, 2, "unknown command"},
		{[]string{"peers", "bogus"}, 2, "unknown command"},
		{[]string{"peers", "ban", "203.0.113.7", "--datadir", t.TempDir()}, 1, "no running node found"},
		{[]string{"peers", "banned"}, 1, "start one with `node run --network testnet`, or pass --datadir DIR"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code != tc.code || len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], tc.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one error line with %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
