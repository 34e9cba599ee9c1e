package p2p

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBansSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	cfg := Config{DataDir: dir, NoPEX: true, Now: clk.now}
	h := newHostWith(t, cfg)
	other := newPeerID(t)
	targets := []string{other.String(), "203.0.113.7", "198.51.100.0/24"}
	for i, s := range targets {
		target, err := ParseBanTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Ban(target, time.Duration(i+1)*time.Hour, "test "+s); err != nil {
			t.Fatal(err)
		}
	}
	h.Close()

	h = newHostWith(t, cfg)
	got := h.Banned()
	if len(got) != 3 {
		t.Fatalf("%d bans after restart, want 3: %+v", len(got), got)
	}
	for i, b := range got {
		if b.Target.String() != targets[i] || b.Reason != "test "+targets[i] || !b.Until.Equal(clk.now().Add(time.Duration(i+1)*time.Hour)) {
			t.Errorf("ban %d after restart: %+v", i, b)
		}
	}
	if !h.IsBanned(other) {
		t.Fatal("restored ID ban not in force")
	}
	if err := h.Unban(PeerTarget(other)); err != nil {
		t.Fatal(err)
	}
	h.Close()

	// The unban was saved; the 2 h ban has run out by the next start.
	clk.advance(2 * time.Hour)
	h = newHostWith(t, cfg)
	if got := h.Banned(); len(got) != 1 || got[0].Target.String() != "198.51.100.0/24" {
		t.Fatalf("bans after unban and expiry: %+v", got)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "."+BansFile+".tmp*")); len(entries) != 0 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestDamagedBanListIsMovedAsideWithAWarning(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"truncated", `{"version": 1, "bans": [{"target": "203.0.113.7", "until": 99999999`},
		{"bad target", `{"version": 1, "bans": [{"target": "not-an-address", "until": 1, "reason": ""}]}`},
		{"unknown version", `{"version": 7, "bans": []}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, BansFile)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			clk := newClock()
			h, err := New(context.Background(), Config{DataDir: dir, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: "test",
				NoPEX: true, Now: clk.now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatalf("a damaged ban list stopped the host: %v", err)
			}
			defer h.Close()
			if !strings.Contains(logs.String(), "ban list damaged") || !strings.Contains(logs.String(), "moved it to") {
				t.Fatalf("no clear warning:\n%s", logs.String())
			}
			aside, err := os.ReadFile(path + ".damaged-" + "1800000000")
			if err != nil || string(aside) != tc.content {
				t.Fatalf("damaged file not kept aside intact: %q %v", aside, err)
			}
			if len(h.Banned()) != 0 {
				t.Fatal("bans invented from a damaged file")
			}
			// The next save writes a fresh list and leaves the damaged copy alone.
			if _, err := h.Ban(IPTarget(mustAddr("203.0.113.9")), time.Hour, "x"); err != nil {
				t.Fatal(err)
			}
			if again, _ := os.ReadFile(path + ".damaged-1800000000"); string(again) != tc.content {
				t.Fatal("damaged copy changed by a save")
			}
		})
	}
}

func TestUnreadableBanListStopsTheHost(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read: not damage to move aside.
	if err := os.Mkdir(filepath.Join(dir, BansFile), 0o700); err != nil {
		t.Fatal(err)
	}
	h, err := New(context.Background(), Config{DataDir: dir, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: "test", NoPEX: true, Logger: quiet})
	if err == nil {
		h.Close()
		t.Fatal("host started over an unreadable ban list")
	}
	if !strings.Contains(err.Error(), BansFile) {
		t.Fatalf("error does not name the file: %v", err)
	}
}

func TestBansFileRoundTrip(t *testing.T) {
	clk := newClock()
	bans := []Ban{
		{Target: PeerTarget(newPeerID(t)), Until: clk.now().Add(time.Hour), Reason: "junk"},
		{Target: IPTarget(mustAddr("2001:db8::7")), Until: clk.now().Add(time.Minute), Reason: ""},
		{Target: IPTarget(mustAddr("203.0.113.7")), Until: clk.now().Add(-time.Second), Reason: "ended"},
	}
	data, err := encodeBans(bans)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeBans(data, clk.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != bans[0] || got[1] != bans[1] {
		t.Fatalf("round trip: %+v, want the two live bans of %+v", got, bans)
	}
}

func FuzzDecodeBans(f *testing.F) {
	f.Add([]byte(`{"version":1,"bans":[{"target":"203.0.113.7","until":1900000000,"reason":"x"}]}`))
	f.Add([]byte(`{"version":1,"bans":[{"target":"10.0.0.0/8","until":1}]}`))
	f.Add([]byte(`{}`))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		bans, err := decodeBans(data, now)
		if err != nil {
			return
		}
		again, err := encodeBans(bans)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeBans(again, now)
		if err != nil || len(back) != len(bans) {
			t.Fatalf("re-encoded list does not decode the same: %v %d/%d", err, len(back), len(bans))
		}
	})
}
