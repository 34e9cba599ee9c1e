package node

import "testing"

func TestFormatUnits(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{formatHashrate(0), "0.00 H/s"},
		{formatHashrate(4_520_000), "4.52 MH/s"},
		{formatHashrate(1_500), "1.50 kH/s"},
		{formatBytes(512), "512 B"},
		{formatBytes(1536), "1.5 KiB"},
		{formatBytes(3 << 20), "3.0 MiB"},
		{formatPercent(42), "42.0%"},
		{formatCount(3, "txs"), "3 txs"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
