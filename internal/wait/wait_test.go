package wait

import (
	"fmt"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	tests := []struct {
		name      string
		holdsFrom int // the check from which cond holds; 0: never
		timeout   time.Duration
		want      bool
		minChecks int
	}{
		{"holds at once", 1, time.Minute, true, 1},
		{"holds after a few checks", 5, time.Minute, true, 5},
		{"never holds", 0, 20 * time.Millisecond, false, 2},
		{"zero timeout still checks once", 1, 0, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checks := 0
			got := Until(tc.timeout, func() bool {
				checks++
				return tc.holdsFrom > 0 && checks >= tc.holdsFrom
			})
			if got != tc.want {
				t.Fatalf("Until = %v after %d checks, want %v", got, checks, tc.want)
			}
			if checks < tc.minChecks || (tc.want && checks != tc.holdsFrom) {
				t.Fatalf("cond checked %d times", checks)
			}
		})
	}
}

// recorder is a testing.TB that records a failure instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestForReportsWhatItWaitedFor(t *testing.T) {
	r := &recorder{TB: t}
	For(r, time.Millisecond, "the moon", func() bool { return false })
	if r.failed != "timed out after 1ms waiting for the moon" {
		t.Fatalf("failure %q", r.failed)
	}
	r.failed = ""
	For(r, time.Minute, "the sun", func() bool { return true })
	if r.failed != "" {
		t.Fatalf("failed although the condition held: %q", r.failed)
	}
}
