package main

import (
	"testing"
	"time"
)

func TestReconnectBackoff(t *testing.T) {
	tests := []struct {
		name   string
		lasted []time.Duration // sessions the pool ended, one after another
		want   []time.Duration // the wait before each redial
	}{
		{"drops right after connecting back off to the cap", []time.Duration{0, time.Second, 0, 0, 0, 0, 0, 0, 0},
			[]time.Duration{backoffFirst, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, backoffMax, backoffMax, backoffMax}},
		{"a stable session starts over", []time.Duration{0, 0, 0, stableSession, 0},
			[]time.Duration{backoffFirst, time.Second, 2 * time.Second, backoffFirst, time.Second}},
		{"long sessions wait the first delay only", []time.Duration{time.Hour, 2 * stableSession},
			[]time.Duration{backoffFirst, backoffFirst}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due := backoffFirst
			for i, lasted := range tc.lasted {
				var w time.Duration
				w, due = backoff(due, lasted)
				if w != tc.want[i] {
					t.Fatalf("session %d (lasted %s): wait %s, want %s", i, lasted, w, tc.want[i])
				}
			}
		})
	}
}
