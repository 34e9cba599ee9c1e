//go:build !unix

package main

import (
	"errors"
	"time"
)

// errNoInterleave is the error of an interleaved measurement where
// processes cannot be frozen.
var errNoInterleave = errors.New("interleaved measurements need a Unix system (SIGSTOP and wait4)")

// monotonicNanos is not needed where there is no interleaved measurement.
func monotonicNanos() int64 { return 0 }

// interleave cannot freeze processes here.
func interleave(a, b childSpec, turn time.Duration, turns int) (ra, rb childResult, err error) {
	return childResult{}, childResult{}, errNoInterleave
}
