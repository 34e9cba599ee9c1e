package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
)

func TestRunningTimeLeavesOutTheSpansTheChildWasFrozen(t *testing.T) {
	for _, tc := range []struct {
		name      string
		start, at int64
		frozen    []span
		want      time.Duration
	}{
		{"never frozen", 100, 400, nil, 300},
		{"frozen before it began", 100, 400, []span{{0, 90}}, 300},
		{"frozen as it began", 100, 400, []span{{0, 150}}, 250},
		{"frozen inside", 100, 400, []span{{150, 200}, {250, 300}}, 200},
		{"frozen at the end", 100, 400, []span{{350, 500}}, 250},
		{"frozen after it", 100, 400, []span{{400, 500}}, 300},
		{"frozen throughout", 100, 400, []span{{0, 500}}, 0},
	} {
		if got := runningTime(tc.start, tc.at, tc.frozen); got != tc.want {
			t.Errorf("%s: running time %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestProgressIsCountedFromTheFirstLineToTheLast(t *testing.T) {
	lines := []string{"0 1000 500 3", "16 1400 800 3", "32 2000 1300 5"}
	r, err := parseProgress(lines, []span{{1100, 1300}})
	if err != nil {
		t.Fatal(err)
	}
	want := childResult{units: 32, running: 800, cpu: 800, flushes: 2}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	if got := r.rate(); got != 32/800e-9 {
		t.Errorf("rate %v, want %v", got, 32/800e-9)
	}
}

func TestProgressThatCannotBeMeasuredIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"no lines", nil, "no unit of work"},
		{"only the start", []string{"0 1000 0 0"}, "no unit of work"},
		{"short line", []string{"0 1000 0 0", "16 2000 0"}, "want 4 fields"},
		{"not a number", []string{"0 1000 0 0", "16 x 0 0"}, "invalid syntax"},
		{"no work", []string{"16 1000 0 0", "16 2000 0 0"}, "no work"},
		{"no time", []string{"0 1000 0 0", "16 1000 0 0"}, "no running time"},
	} {
		_, err := parseProgress(tc.lines, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestAChildThatCannotMeasureFailsBeforeItIsReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "work")
	if err := buildConnectWork(1, 1).save(path); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		spec childSpec
		want string
	}{
		{"unknown kind", childSpec{Kind: "nap", Procs: 1, Work: path}, `unknown child kind "nap"`},
		{"no cores", childSpec{Kind: "sigs", Work: path}, "child on 0 cores"},
		{"no work", childSpec{Kind: "connect", Procs: 1, Work: filepath.Join(t.TempDir(), "none")}, "no such file"},
	} {
		var out strings.Builder
		err := runChild(tc.spec, strings.NewReader(""), &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: printed %q before failing", tc.name, out.String())
		}
	}
}

func TestSavedWorkLoadsAsItWasBuilt(t *testing.T) {
	w := buildConnectWork(3, 4)
	path := filepath.Join(t.TempDir(), "work")
	if err := w.save(path); err != nil {
		t.Fatal(err)
	}
	got, err := loadConnectWork(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.params != w.params || got.txs != w.txs || !slices.Equal(got.sigJobs, w.sigJobs) {
		t.Errorf("loaded params %s, %d txs, %d signature checks; want %s, %d, %d", got.params.Name, got.txs, len(got.sigJobs), w.params.Name, w.txs, len(w.sigJobs))
	}
	for _, list := range []struct{ got, want []*block.Block }{{got.prefix, w.prefix}, {got.blocks, w.blocks}} {
		if len(list.got) != len(list.want) {
			t.Fatalf("%d blocks loaded, want %d", len(list.got), len(list.want))
		}
		for i := range list.got {
			if !bytes.Equal(list.got[i].Encode(), list.want[i].Encode()) {
				t.Errorf("block %d differs", i)
			}
		}
	}
}

func TestWorkThatCannotBeLoadedIsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "EOF"},
		{"not gob", []byte("blocks"), "load work"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadConnectWork(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := loadConnectWork(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
}
