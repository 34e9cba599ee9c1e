//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// monotonicNanos reads CLOCK_MONOTONIC, which a parent and its children
// share, in nanoseconds.
func monotonicNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err) // CLOCK_MONOTONIC is always there
	}
	return ts.Nano()
}

// interleave runs a and b as child processes of this program that take
// turns of the given length: while one runs, the other is frozen
// (SIGSTOP), so that both see the machine equally fast, however other load
// on it moves its speed. It ends when either child has done its work or
// after turns turns each (0: no bound), kills the other, and returns what
// each did in its own running time.
func interleave(a, b childSpec, turn time.Duration, turns int) (ra, rb childResult, err error) {
	kids, err := runInterleaved(a, b, turn, turns)
	if err != nil {
		return childResult{}, childResult{}, err
	}
	var results [2]childResult
	for i, k := range kids {
		if results[i], err = parseProgress(k.output(), k.frozen); err != nil {
			return childResult{}, childResult{}, fmt.Errorf("child %d (%s on %d cores): %w", i+1, k.spec.Kind, k.spec.Procs, err)
		}
	}
	return results[0], results[1], nil
}

// runInterleaved runs the children of interleave and returns them ended.
func runInterleaved(a, b childSpec, turn time.Duration, turns int) (kids []*child, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, k := range kids {
			err = errors.Join(err, k.end())
		}
	}()
	for _, spec := range []childSpec{a, b} {
		k, err := startChild(exe, spec)
		if err != nil {
			return kids, err
		}
		kids = append(kids, k)
	}
	for _, k := range kids {
		if err := k.waitReady(); err != nil {
			return kids, err
		}
		if err := k.freeze(); err != nil {
			return kids, err
		}
		// Read when the child next runs.
		if _, err := k.stdin.Write([]byte{'g'}); err != nil {
			return kids, fmt.Errorf("start child: %w", err)
		}
	}
	for n := 0; turns == 0 || n < turns; n++ {
		done := false
		for _, k := range kids {
			if err := k.runFor(turn, n); err != nil {
				return kids, err
			}
			done = done || k.exited
		}
		if done {
			break
		}
	}
	return kids, nil
}

// child is a child process of an interleaved measurement.
type child struct {
	spec   childSpec
	pid    int
	proc   *os.Process
	stdin  *os.File
	frozen []span // when it was frozen, in CLOCK_MONOTONIC nanoseconds

	exited, ended bool // it has exited; end has run
	status        syscall.WaitStatus

	mu     sync.Mutex
	lines  []string      // its output, line by line
	ready  chan struct{} // closed at its "ready" line
	outEOF chan struct{} // closed when its output ends
}

// startChild starts this program (exe) as a child measuring spec, and a
// goroutine that collects the child's output until it ends.
func startChild(exe string, spec childSpec) (*child, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("start child: %w", err)
	}
	k := &child{spec: spec, pid: cmd.Process.Pid, proc: cmd.Process, stdin: inW, ready: make(chan struct{}), outEOF: make(chan struct{})}
	go k.collect(outR)
	return k, nil
}

// collect keeps the child's output lines until the output ends, with the
// child: it is owned by the child's lifetime, which end bounds.
func (k *child) collect(out *os.File) {
	defer close(k.outEOF)
	defer out.Close()
	sc := bufio.NewScanner(out)
	ready := false
	for sc.Scan() {
		k.mu.Lock()
		k.lines = append(k.lines, sc.Text())
		k.mu.Unlock()
		// Only the first "ready" counts: a second must not close the
		// channel again.
		if sc.Text() == "ready" && !ready {
			ready = true
			close(k.ready)
		}
	}
}

// output returns the child's output lines after "ready".
func (k *child) output() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, l := range k.lines {
		if l == "ready" {
			return k.lines[i+1:]
		}
	}
	return nil
}

// waitReady waits for the child's "ready" line, or for it to fail first.
func (k *child) waitReady() error {
	select {
	case <-k.ready:
		return nil
	case <-k.outEOF:
		if err := k.reap(); err != nil {
			return err
		}
		return fmt.Errorf("child (%s on %d cores) ended before it was ready: %v", k.spec.Kind, k.spec.Procs, k.status)
	}
}

// runFor thaws the child for its n-th turn, lets it run for d, and freezes
// it again. A child on fewer cores than the machine has runs each turn on
// the next of them (see pinTurn). A child that has exited is left alone.
func (k *child) runFor(d time.Duration, n int) error {
	if k.exited {
		return nil
	}
	if k.spec.Procs < runtime.NumCPU() {
		if err := pinTurn(k.pid, k.spec.Procs, n); err != nil {
			return fmt.Errorf("move child to its turn's CPUs: %w", err)
		}
	}
	k.frozen[len(k.frozen)-1].to = monotonicNanos()
	if err := syscall.Kill(k.pid, syscall.SIGCONT); err != nil {
		return fmt.Errorf("thaw child: %w", err)
	}
	time.Sleep(d)
	return k.freeze()
}

// freeze stops the child and waits until it has stopped, or notes that it
// has exited.
func (k *child) freeze() error {
	if err := syscall.Kill(k.pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("freeze child: %w", err)
	}
	ws, err := k.wait(syscall.WUNTRACED)
	if err != nil {
		return err
	}
	if ws.Stopped() {
		k.frozen = append(k.frozen, span{from: monotonicNanos(), to: -1})
		return nil
	}
	k.exited, k.status = true, ws
	if ws.ExitStatus() != 0 {
		return fmt.Errorf("child (%s on %d cores) failed: %v", k.spec.Kind, k.spec.Procs, ws)
	}
	return nil
}

// wait waits for a change of the child's state, as wait4 does with options.
func (k *child) wait(options int) (syscall.WaitStatus, error) {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(k.pid, &ws, options, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for child: %w", err)
		}
		return ws, nil
	}
}

// reap waits for the child to exit, if it has not been seen to yet.
func (k *child) reap() error {
	for !k.exited {
		ws, err := k.wait(0)
		if err != nil {
			return err
		}
		if ws.Exited() || ws.Signaled() {
			k.exited, k.status = true, ws
		}
	}
	return nil
}

// end kills the child if it has not exited, reaps it, and waits for its
// output to end; its last frozen span ends then. It can be called again.
func (k *child) end() error {
	if k.ended {
		return nil
	}
	k.ended = true
	if len(k.frozen) > 0 && k.frozen[len(k.frozen)-1].to < 0 {
		k.frozen[len(k.frozen)-1].to = monotonicNanos()
	}
	var err error
	if !k.exited {
		if kerr := syscall.Kill(k.pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			err = fmt.Errorf("kill child: %w", kerr)
		}
	}
	err = errors.Join(err, k.reap())
	k.stdin.Close()
	<-k.outEOF
	k.proc.Release()
	return err
}
