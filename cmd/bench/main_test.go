package main

import (
	"strings"
	"testing"
	"time"
)

func TestFlagsThatCannotBeMeasuredAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		blocks, txs, rounds, cache int
		hashTime, turn             time.Duration
		want                       string
	}{
		{"defaults", 40, 500, 3, 2 << 20, 2 * time.Second, time.Second, ""},
		{"no rounds", 40, 500, 0, 2 << 20, time.Second, time.Second, "-rounds must be at least 1"},
		{"no blocks", 0, 500, 3, 2 << 20, time.Second, time.Second, "-blocks must be at least 1"},
		{"negative txs", 40, -1, 3, 2 << 20, time.Second, time.Second, "-txs must be at least 1"},
		{"no cache", 40, 500, 3, 0, time.Second, time.Second, "-scale-cache must be at least 1"},
		{"no hash time", 40, 500, 3, 2 << 20, 0, time.Second, "-hash-time must be positive"},
		{"negative turn", 40, 500, 3, 2 << 20, time.Second, -time.Second, "-turn must be positive"},
	} {
		err := checkFlags(tc.blocks, tc.txs, tc.rounds, tc.cache, tc.hashTime, tc.turn)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}
