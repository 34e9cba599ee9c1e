//go:build linux

package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// threadCPUs returns how many CPUs each thread of the process may run on.
func threadCPUs(t *testing.T) map[int]int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, e := range entries {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			t.Fatalf("thread %q: %v", e.Name(), err)
		}
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			continue // the thread has ended
		}
		out[tid] = set.Count()
	}
	return out
}

func TestPinThreadsKeepsEveryThreadOnNCPUsUntilRestored(t *testing.T) {
	cpus := runtime.NumCPU()
	if cpus < 2 {
		t.Skip("needs at least 2 CPUs")
	}
	restore, err := pinThreads(1)
	if err != nil {
		t.Fatal(err)
	}
	// A goroutine locked to a thread while pinned (perhaps a new thread,
	// which inherits the pin) keeps it until the test ends.
	started, stop := make(chan struct{}), make(chan struct{})
	defer close(stop)
	go func() {
		runtime.LockOSThread()
		close(started)
		<-stop
	}()
	<-started
	pinned := threadCPUs(t)
	if len(pinned) < 2 {
		t.Fatalf("setup: %d threads listed", len(pinned))
	}
	for tid, n := range pinned {
		if n != 1 {
			t.Errorf("thread %d may run on %d CPUs while pinned to 1", tid, n)
		}
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	for tid, n := range threadCPUs(t) {
		if n != cpus {
			t.Errorf("thread %d may run on %d CPUs after restore, want %d", tid, n, cpus)
		}
	}
}

func TestPinTurnMovesAProcessToTheNextCPUsAtEachTurn(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	var cpus []int
	for cpu := 0; len(cpus) < all.Count(); cpu++ {
		if all.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for turn := range 2 * len(cpus) {
		if err := pinTurn(cmd.Process.Pid, 1, turn); err != nil {
			t.Fatal(err)
		}
		var got unix.CPUSet
		if err := unix.SchedGetaffinity(cmd.Process.Pid, &got); err != nil {
			t.Fatal(err)
		}
		if want := cpus[turn%len(cpus)]; got.Count() != 1 || !got.IsSet(want) {
			t.Errorf("turn %d: the process may run on %d CPUs, CPU %d among them: %v; want only CPU %d", turn, got.Count(), want, got.IsSet(want), want)
		}
	}
}
