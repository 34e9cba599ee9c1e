//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinThreads keeps every thread of the process on the first n of the CPUs
// it may use, so that a run on n cores cannot borrow another core's time:
// GOMAXPROCS bounds the threads running Go code, but a thread in a system
// call (leveldb's reads and writes) runs beside them. The returned function
// gives the threads their CPUs back.
func pinThreads(n int) (restore func() error, err error) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return nil, fmt.Errorf("read CPU affinity: %w", err)
	}
	var some unix.CPUSet
	for cpu, want := 0, min(n, all.Count()); some.Count() < want; cpu++ {
		if all.IsSet(cpu) {
			some.Set(cpu)
		}
	}
	const self = "/proc/self/task"
	if err := setThreadsAffinity(self, &some); err != nil {
		return nil, errors.Join(err, setThreadsAffinity(self, &all))
	}
	return func() error { return setThreadsAffinity(self, &all) }, nil
}

// pinTurn keeps every thread of process pid on procs of the CPUs this
// process may use: the turn-th group of procs in rotation. A child of an
// interleaved measurement that runs on fewer cores than the machine has is
// moved so at each of its turns, and so sees every core: the cores of a
// shared virtual machine are not equally fast (one measured 25% slower than
// the other for seconds), and which is faster changes.
func pinTurn(pid, procs, turn int) error {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return fmt.Errorf("read CPU affinity: %w", err)
	}
	var cpus []int
	for cpu := 0; len(cpus) < all.Count(); cpu++ {
		if all.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	var some unix.CPUSet
	for i := range min(procs, len(cpus)) {
		some.Set(cpus[(turn*procs+i)%len(cpus)])
	}
	return setThreadsAffinity(fmt.Sprintf("/proc/%d/task", pid), &some)
}

// setThreadsAffinity sets the CPU affinity of every thread listed in
// taskDir (/proc/<pid>/task). A thread started meanwhile by a thread
// already set inherits the set; the listing is read again until it shows
// no thread not set yet.
func setThreadsAffinity(taskDir string, set *unix.CPUSet) error {
	done := map[int]bool{}
	for {
		entries, err := os.ReadDir(taskDir)
		if err != nil {
			return fmt.Errorf("list threads: %w", err)
		}
		fresh := false
		for _, e := range entries {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			fresh, done[tid] = true, true
			if err := unix.SchedSetaffinity(tid, set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("set CPU affinity of thread %d: %w", tid, err)
			}
		}
		if !fresh {
			return nil
		}
	}
}
