package main

import (
	"strings"
	"testing"
	"time"
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

func TestAChildOfAnUnknownKindFails(t *testing.T) {
	err := runChild(childSpec{Kind: "nap", Procs: 1, Blocks: 1, PerBlock: 1}, strings.NewReader(""), &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), `unknown child kind "nap"`) {
		t.Fatalf("got %v", err)
	}
}
