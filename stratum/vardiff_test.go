package stratum

import (
	"testing"
	"time"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/pow"
)

func TestVardiff(t *testing.T) {
	cfg := VardiffConfig{Initial: 16 * pow.One, Min: 8 * pow.One, Max: 40 * pow.One, TargetInterval: 4 * time.Second, RetargetShares: 4, RetargetTime: 60 * time.Second}
	t0 := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		shares  int           // shares, evenly spread
		over    time.Duration // the window they arrive in
		want    pow.Difficulty
		changed bool
	}{
		{"on target", 4, 16 * time.Second, 16 * pow.One, false},
		{"twice too fast: one bit up", 4, 8 * time.Second, 17 * pow.One, true},
		{"within hysteresis", 4, 13 * time.Second, 16 * pow.One, false},
		{"flood: capped step up", 4, time.Microsecond, 32 * pow.One, true},
		{"quiet worker: capped step down", 0, 120 * time.Second, 12 * pow.One, true},
		{"half as fast: one bit down", 4, 32 * time.Second, 15 * pow.One, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVardiff(cfg, t0)
			var got pow.Difficulty
			var changed bool
			if tc.shares == 0 {
				got, changed = v.update(t0.Add(tc.over), 0)
			}
			for i := 1; i <= tc.shares; i++ {
				got, changed = v.update(t0.Add(tc.over*time.Duration(i)/time.Duration(tc.shares)), 1)
				if i < tc.shares && changed {
					t.Fatalf("retargeted after %d of %d shares", i, tc.shares)
				}
			}
			if got != tc.want || changed != tc.changed {
				t.Fatalf("difficulty %s changed %v, want %s %v", got, changed, tc.want, tc.changed)
			}
		})
	}
	// Bounds hold however extreme the rate.
	v := newVardiff(cfg, t0)
	now := t0
	for i := 0; i < 100; i++ {
		now = now.Add(time.Microsecond)
		v.update(now, 1)
	}
	if v.diff != cfg.Max {
		t.Fatalf("flood drove difficulty to %s, want the maximum %s", v.diff, cfg.Max)
	}
	for i := 0; i < 100; i++ {
		now = now.Add(time.Hour)
		v.update(now, 0)
	}
	if v.diff != cfg.Min {
		t.Fatalf("silence drove difficulty to %s, want the minimum %s", v.diff, cfg.Min)
	}
}

func TestVardiffDefaultsFill(t *testing.T) {
	var c VardiffConfig
	c.fill(chaincfg.Regtest)
	if c != DefaultVardiff(chaincfg.Regtest) {
		t.Fatalf("zero config filled to %+v, want the defaults", c)
	}
	c = VardiffConfig{Initial: pow.One, Min: 8 * pow.One}
	c.fill(chaincfg.Regtest)
	if c.Initial != 8*pow.One {
		t.Fatalf("initial below the minimum was not raised: %s", c.Initial)
	}
}
