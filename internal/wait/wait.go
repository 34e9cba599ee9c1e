// Package wait lets tests wait on a condition with a deadline instead of
// sleeping for a fixed time, so that they pass on a slow or loaded machine
// as on a fast one and do not waste time on a fast one.
package wait

import (
	"testing"
	"time"
)

// maxInterval bounds the pause between two checks of a condition.
const maxInterval = 50 * time.Millisecond

// Until checks cond until it returns true or timeout has passed and reports
// whether it held. It checks at once, then at intervals growing from a
// millisecond to maxInterval, so a condition that soon holds is seen soon.
func Until(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	interval := time.Millisecond
	for !cond() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(interval, left))
		interval = min(2*interval, maxInterval)
	}
	return true
}

// For fails the test unless cond holds within timeout; what names the
// condition in the failure.
func For(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Until(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}
