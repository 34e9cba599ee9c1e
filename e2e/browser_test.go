package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserNames are the executables tried, in order, for the headless browser.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome"}

// browser is a headless Chromium tab driven over the DevTools protocol. It
// records every console error, uncaught exception and error log entry of the
// pages it shows, and counts the server-sent event streams they open.
type browser struct {
	t   *testing.T
	ctx context.Context // the tab; it carries the whole browser session's deadline

	mu       sync.Mutex
	problems []string
	streams  chan string // URL of each event stream whose response arrived
	output   lockedBuffer
}

// startBrowser starts headless Chromium with a 1280x800 window for at most
// limit, or skips the test when no Chromium is installed.
func startBrowser(t *testing.T, limit time.Duration) *browser {
	t.Helper()
	execPath := ""
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			execPath = p
			break
		}
	}
	if execPath == "" {
		t.Skipf("no headless browser: none of %s is on PATH; install Debian's chromium (apt-get install chromium, as .ci/run does) to run this test",
			strings.Join(browserNames, ", "))
	}
	b := &browser{t: t, streams: make(chan string, 64)}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", "new"),
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(&b.output),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	session, cancelSession := context.WithTimeout(context.Background(), limit)
	alloc, cancelAlloc := chromedp.NewExecAllocator(session, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelSession()
	})
	b.ctx = tab
	chromedp.ListenTarget(tab, b.observe)
	// The first Run starts the browser; it must not run under a shorter deadline,
	// which would end the browser with it.
	if err := chromedp.Run(tab); err != nil {
		t.Fatalf("start %s: %v\n%s", execPath, err, b.output.String())
	}
	t.Logf("browser: %s", execPath)
	return b
}

// observe records the page's problems and opened event streams; it runs on
// chromedp's event loop, so it only appends and never blocks.
func (b *browser) observe(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.APITypeError && ev.Type != runtime.APITypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		b.problem("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.LevelError {
			b.problem("log error (%s) %s: %s", ev.Entry.Source, ev.Entry.URL, ev.Entry.Text)
		}
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeEventSource {
			select {
			case b.streams <- ev.Response.URL:
			default:
			}
		}
	}
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// checkNoProblems fails the test with every console error and exception seen.
func (b *browser) checkNoProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Errorf("the pages reported %d console errors or exceptions:\n  %s", len(b.problems), strings.Join(b.problems, "\n  "))
	}
}

// run runs actions in the tab with a deadline, failing the test with what
// step was being done.
func (b *browser) run(step string, timeout time.Duration, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var url string
		_ = chromedp.Run(b.ctx, chromedp.Location(&url))
		b.t.Fatalf("browser: %s (at %s): %v", step, url, err)
	}
}

// drainStreams forgets the event streams opened so far.
func (b *browser) drainStreams() {
	for {
		select {
		case <-b.streams:
		default:
			return
		}
	}
}

// waitStream waits for the response of an event stream whose URL has suffix.
func (b *browser) waitStream(suffix string, timeout time.Duration) {
	b.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case u := <-b.streams:
			if strings.HasSuffix(u, suffix) {
				return
			}
		case <-timer.C:
			b.t.Fatalf("browser: the page opened no event stream %s within %s", suffix, timeout)
		}
	}
}

// screenshot saves a full-page PNG of the tab as artifact name and returns its path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	var png []byte
	b.run("screenshot "+name, time.Minute, chromedp.FullScreenshot(&png, 100))
	dir := artifactDir(b.t)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// artifactDir is $ARTIFACT_DIR, or artifacts/ at the repository's root.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("artifact directory: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifact directory: %v", err)
	}
	return dir
}

// lockedBuffer collects the browser's output from its own goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
