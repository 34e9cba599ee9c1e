//go:build !linux

package main

// pinThreads does nothing where threads cannot be pinned: runs on fewer
// cores than the machine has are bounded by GOMAXPROCS alone.
func pinThreads(n int) (restore func() error, err error) {
	return func() error { return nil }, nil
}

// pinTurn does nothing where threads cannot be pinned: a child of an
// interleaved measurement runs wherever the system puts it.
func pinTurn(pid, procs, turn int) error { return nil }
