package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ledgerd/ledger/chain"
)

// childEnv names the environment variable that makes the program a child
// of an interleaved measurement (see interleave): it holds the childSpec,
// as JSON.
const childEnv = "LEDGER_BENCH_CHILD"

// childSpec is what a child of an interleaved measurement measures.
type childSpec struct {
	// Kind is "connect" (the work blocks, one signature worker per core),
	// "sigs" (the blocks' signature checks, one goroutine per core, round
	// and round until the child is killed) or "sha" (SHA-256 of 32 bytes,
	// one goroutine per core, until the child is killed).
	Kind      string
	Procs     int    // cores
	Cache     int    // chain cache bytes (connect)
	Dir       string // the store's directory (connect)
	Work      string // the file the work was saved to (see connectWork.save)
	SigsPer   int    // signature checks per progress line (sigs; 0: 16)
	NoPrepare bool   // connect each block without preparing its successor
}

// runChildFromEnv runs the child the environment asks for and reports
// true, or reports false when the program is not a child.
func runChildFromEnv() (bool, error) {
	raw, ok := os.LookupEnv(childEnv)
	if !ok {
		return false, nil
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return true, fmt.Errorf("%s: %w", childEnv, err)
	}
	return true, runChild(spec, os.Stdin, os.Stdout)
}

// runChild loads the work (connect, sigs), sets spec's run up, prints
// "ready" to out and waits for a byte from in; then it prints a progress
// line to out as it begins and after each unit of work: a block connected,
// or a few signatures checked or hashes taken. A line holds the units done
// so far, the CLOCK_MONOTONIC time in nanoseconds, the process's CPU time
// in nanoseconds, and the chain's store flushes so far.
func runChild(spec childSpec, in io.Reader, out io.Writer) error {
	if spec.Procs < 1 {
		return fmt.Errorf("child on %d cores: want at least 1", spec.Procs)
	}
	p := &progress{in: in, out: out}
	// untilKilled runs loop, which never returns, on spec.Procs cores.
	untilKilled := func(loop func()) error {
		_, err := measure(spec.Procs, func() error {
			if err := p.begin(); err != nil {
				return err
			}
			loop()
			return nil
		})
		return err
	}
	if spec.Kind == "sha" {
		return untilKilled(func() { hashUntilKilled(spec.Procs, p) })
	}
	w, err := loadConnectWork(spec.Work)
	if err != nil {
		return err
	}
	w.prepare = !spec.NoPrepare
	switch spec.Kind {
	case "connect":
		perBlock := w.txs / len(w.blocks)
		_, _, err := w.connect(connectRun{workers: spec.Procs, procs: spec.Procs, cacheBytes: spec.Cache, dir: spec.Dir,
			start: p.begin, between: func(int) { p.add(perBlock) }})
		return err
	case "sigs":
		// The first check builds the curve's precomputed tables: not a
		// cost of checking signatures, so it is paid before the start.
		checkSigs(w.sigJobs[:1])
		return untilKilled(func() { checkSigsUntilKilled(w.sigJobs, spec.Procs, cmp.Or(spec.SigsPer, 16), p) })
	}
	return fmt.Errorf("unknown child kind %q", spec.Kind)
}

// checkSigsUntilKilled checks jobs on procs goroutines, each going round its
// share and adding a progress line every unit checks, and never returns:
// the child is killed when its turns are over.
func checkSigsUntilKilled(jobs []sigCheck, procs, unit int, p *progress) {
	per := (len(jobs) + procs - 1) / procs
	for i := 0; i < len(jobs); i += per {
		share := jobs[i:min(i+per, len(jobs))]
		go func() {
			for {
				for lo := 0; lo < len(share); lo += unit {
					hi := min(lo+unit, len(share))
					checkSigs(share[lo:hi])
					p.add(hi - lo)
				}
			}
		}()
	}
	select {}
}

// hashUntilKilled hashes 32 bytes over and over on procs goroutines, each
// adding a progress line every 16,384 hashes (about 5 ms), and never
// returns: the child is killed when its turns are over.
func hashUntilKilled(procs int, p *progress) {
	const unit = 1 << 14
	for range procs {
		go func() {
			var h [32]byte
			for {
				for range unit {
					h = sha256.Sum256(h[:])
				}
				p.add(unit)
			}
		}()
	}
	select {}
}

// progress prints a child's progress lines.
type progress struct {
	in    io.Reader
	out   io.Writer
	mu    sync.Mutex
	units int64
}

// begin prints "ready", waits for the byte that starts the measurement, and
// prints the first progress line.
func (p *progress) begin() error {
	if _, err := fmt.Fprintln(p.out, "ready"); err != nil {
		return err
	}
	var start [1]byte
	if _, err := io.ReadFull(p.in, start[:]); err != nil {
		return fmt.Errorf("wait for the start: %w", err)
	}
	p.add(0)
	return nil
}

// add counts n more units done and prints a progress line. A line that
// cannot be printed is lost with the parent, which reads them.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.units += int64(n)
	fmt.Fprintf(p.out, "%d %d %d %d\n", p.units, monotonicNanos(), cpuTime().Nanoseconds(), chain.Flushes())
}

// span is a stretch of CLOCK_MONOTONIC time in nanoseconds, [from, to).
type span struct{ from, to int64 }

// runningTime returns how long a child ran between the CLOCK_MONOTONIC
// times start and at: the time between them less the parts of it the
// child spent frozen.
func runningTime(start, at int64, frozen []span) time.Duration {
	d := at - start
	for _, f := range frozen {
		if lo, hi := max(f.from, start), min(f.to, at); hi > lo {
			d -= hi - lo
		}
	}
	return time.Duration(d)
}

// childResult is what a child did between its first progress line and its
// last.
type childResult struct {
	units   int64         // units of work done
	running time.Duration // its running time
	cpu     time.Duration // its CPU time
	flushes int64         // its chain's store flushes
}

// rate returns the units done per second of running time.
func (r childResult) rate() float64 { return float64(r.units) / r.running.Seconds() }

// parseProgress reads a child's progress lines (see runChild), given the
// spans it was frozen in, into what it did from the first to the last.
func parseProgress(lines []string, frozen []span) (childResult, error) {
	type line struct{ units, mono, cpu, flushes int64 }
	parse := func(s string) (line, error) {
		f := strings.Fields(s)
		if len(f) != 4 {
			return line{}, fmt.Errorf("progress line %q: want 4 fields", s)
		}
		var v [4]int64
		for i := range v {
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return line{}, fmt.Errorf("progress line %q: %w", s, err)
			}
			v[i] = n
		}
		return line{v[0], v[1], v[2], v[3]}, nil
	}
	if len(lines) < 2 {
		return childResult{}, fmt.Errorf("%d progress lines: the child did no unit of work", len(lines))
	}
	first, err := parse(lines[0])
	if err != nil {
		return childResult{}, err
	}
	last, err := parse(lines[len(lines)-1])
	if err != nil {
		return childResult{}, err
	}
	r := childResult{units: last.units - first.units, running: runningTime(first.mono, last.mono, frozen),
		cpu: time.Duration(last.cpu - first.cpu), flushes: last.flushes - first.flushes}
	if r.units <= 0 || r.running <= 0 {
		return childResult{}, fmt.Errorf("progress from %q to %q: no work or no running time", lines[0], lines[len(lines)-1])
	}
	return r, nil
}
