package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--user", "a"}, "--pool stratum+tcp://HOST:PORT is required"},
		{[]string{"--pool", "http://127.0.0.1:1", "--user", "a"}, "must start with stratum+tcp://"},
		{[]string{"--pool", "stratum+tcp://127.0.0.1", "--user", "a"}, "HOST:PORT"},
		{[]string{"--pool", "stratum+tcp://127.0.0.1:1"}, "--user ADDR is required"},
		{[]string{"--pool", "stratum+tcp://127.0.0.1:1", "--user", "a", "--threads", "-1"}, "--threads"},
		{[]string{"--pool", "stratum+tcp://127.0.0.1:1", "--user", "a", "--log-format", "xml"}, "--log-format"},
		{[]string{"--bogus"}, "unknown flag"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != 2 || !strings.HasPrefix(stderr.String(), "error: ") || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: printed %q on stdout", tc.args, stdout.String())
		}
	}
}
