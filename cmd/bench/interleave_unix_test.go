//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the child of an interleaved measurement,
// as the bench binary is.
func TestMain(m *testing.M) {
	if child, err := runChildFromEnv(); child {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// progressTimes returns the CLOCK_MONOTONIC times of a child's progress lines.
func progressTimes(t *testing.T, k *child) []int64 {
	t.Helper()
	var out []int64
	for _, l := range k.output() {
		f := strings.Fields(l)
		if len(f) != 4 {
			t.Fatalf("progress line %q", l)
		}
		mono, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mono)
	}
	return out
}

// savedTestWork saves blocks x perBlock transactions of work for children.
func savedTestWork(t *testing.T, blocks, perBlock int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "work")
	if err := buildConnectWork(blocks, perBlock).save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInterleavedChildrenMakeProgressOnlyInTheirTurns(t *testing.T) {
	// A line per check, so that a turn shows progress unless the machine
	// is very slow (the race detector, other tests): then the turns are
	// lengthened until each child has made progress.
	work := childSpec{Kind: "sigs", Work: savedTestWork(t, 1, 64), SigsPer: 1}
	one, all := work, work
	one.Procs, all.Procs = 1, 2
	const turns = 4
	var kids []*child
	for turn := 50 * time.Millisecond; ; turn *= 2 {
		var err error
		if kids, err = runInterleaved(one, all, turn, turns); err != nil {
			t.Fatal(err)
		}
		if len(kids[0].output()) >= 2 && len(kids[1].output()) >= 2 || turn >= 5*time.Second {
			break
		}
		t.Logf("turns of %s: %d and %d progress lines; trying longer turns", turn, len(kids[0].output()), len(kids[1].output()))
	}
	for i, k := range kids {
		if !k.ended || !k.exited {
			t.Errorf("child %d: ended %v, exited %v, want both", i, k.ended, k.exited)
		}
		// Frozen once before its first turn and after each.
		if len(k.frozen) != turns+1 {
			t.Errorf("child %d: frozen %d times, want %d", i, len(k.frozen), turns+1)
		}
		times := progressTimes(t, k)
		if len(times) < 2 {
			t.Fatalf("child %d: %d progress lines", i, len(times))
		}
		for _, at := range times {
			for _, f := range k.frozen {
				if at >= f.from && at < f.to {
					t.Errorf("child %d made progress at %d, while frozen in [%d, %d)", i, at, f.from, f.to)
				}
			}
		}
		r, err := parseProgress(k.output(), k.frozen)
		if err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
		first, last := times[0], times[len(times)-1]
		wall, frozenBetween := time.Duration(last-first), time.Duration(0)
		for _, f := range k.frozen {
			if f.from > first && f.to < last {
				frozenBetween += time.Duration(f.to - f.from)
			}
		}
		if r.running != wall-frozenBetween {
			t.Errorf("child %d: running time %s, want the %s from its first line to its last less %s frozen", i, r.running, wall, frozenBetween)
		}
	}
	// The turns alternate: each child's first turn is over before the
	// other's begins.
	if a, b := kids[0].frozen[1].from, kids[1].frozen[0].to; a > b {
		t.Errorf("the second child was thawed at %d, before the first was frozen at %d", b, a)
	}
}

func TestInterleavedConnectEndsWhenAChildHasConnectedEveryBlock(t *testing.T) {
	work := childSpec{Kind: "connect", Work: savedTestWork(t, 2, 10), Cache: 1 << 20}
	one, all := work, work
	one.Procs, all.Procs = 1, 2
	one.Dir, all.Dir = t.TempDir(), t.TempDir()
	ra, rb, err := interleave(one, all, 20*time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	if max(ra.units, rb.units) != 20 {
		t.Errorf("units %d and %d: neither child connected all 20 transactions", ra.units, rb.units)
	}
	for _, r := range []childResult{ra, rb} {
		if r.units%10 != 0 || r.running <= 0 || r.cpu <= 0 {
			t.Errorf("result %+v: want whole blocks, running and CPU time", r)
		}
	}
}

func TestAChildThatSaysReadyTwiceIsReadOnce(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	k := &child{ready: make(chan struct{}), outEOF: make(chan struct{})}
	go k.collect(r)
	if _, err := w.WriteString("ready\n0 1 2 3\nready\n16 5 6 3\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	<-k.outEOF
	<-k.ready
	if got := k.output(); len(got) != 3 || got[0] != "0 1 2 3" {
		t.Errorf("output after the first ready: %q", got)
	}
}
