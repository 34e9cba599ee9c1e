package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/internal/wait"
)

var hostileBuild struct {
	once sync.Once
	err  error
}

// hostileBinary builds the hostile peer (./hostilepeer) into binDir once.
func hostileBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "hostilepeer")
	hostileBuild.once.Do(func() {
		build := exec.Command("go", "build", "-o", bin, "./hostilepeer")
		out, err := build.CombinedOutput()
		if err != nil {
			hostileBuild.err = fmt.Errorf("build hostilepeer: %w\n%s", err, out)
		}
	})
	if hostileBuild.err != nil {
		t.Fatal(hostileBuild.err)
	}
	return bin
}

// hostileEvent is one line of the hostile peer's report.
type hostileEvent struct {
	Event string `json:"event"`
	Peer  string `json:"peer"`
	N     int    `json:"n"`
	Err   string `json:"err"`
}

// hostile is a running hostile peer process.
type hostile struct {
	t      *testing.T
	cmd    *exec.Cmd
	ip     string
	id     peer.ID
	stderr bytes.Buffer

	mu     sync.Mutex
	events []hostileEvent
	done   chan struct{} // closed when its stdout ends

	waitOnce sync.Once
	waitErr  error
}

// wait reaps the process once its stdout has ended and returns how it exited.
func (h *hostile) wait() error {
	<-h.done
	h.waitOnce.Do(func() { h.waitErr = h.cmd.Wait() })
	return h.waitErr
}

// startHostile runs the hostile peer with attack against victim, listening
// on a loopback address of its own, and waits until it has connected.
func startHostile(t *testing.T, victim *proc, attack string, extra ...string) *hostile {
	t.Helper()
	listen := ownLoopback()
	h := &hostile{t: t, ip: strings.Split(listen, "/")[2], done: make(chan struct{})}
	args := append([]string{"--network", "regtest", "--listen", listen, "--victim", victim.addr(), "--attack", attack}, extra...)
	h.cmd = exec.Command(hostileBinary(t), args...)
	h.cmd.Stderr = &h.stderr
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("start hostile peer: %v", err)
	}
	go h.read(out)
	t.Cleanup(h.stop)
	ready := h.waitFor(10*time.Second, "ready", 0)
	h.id, err = peer.Decode(ready.Peer)
	if err != nil {
		t.Fatalf("hostile peer reported ID %q: %v", ready.Peer, err)
	}
	return h
}

// read collects the events the hostile peer reports until its stdout closes.
func (h *hostile) read(out io.Reader) {
	defer close(h.done)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var e hostileEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		h.mu.Lock()
		h.events = append(h.events, e)
		h.mu.Unlock()
	}
}

// last returns the latest event named name (zero if none yet).
func (h *hostile) last(name string) hostileEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.events) - 1; i >= 0; i-- {
		if h.events[i].Event == name {
			return h.events[i]
		}
	}
	return hostileEvent{}
}

// waitFor waits for an event named name with N at least n and returns it;
// the test fails if the hostile peer reports an error or exits first.
func (h *hostile) waitFor(timeout time.Duration, name string, n int) hostileEvent {
	h.t.Helper()
	var got hostileEvent
	exited := false
	wait.Until(timeout, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, e := range h.events {
			if e.Event == "error" || (e.Event == name && e.N >= n) {
				got = e
				return true
			}
		}
		select {
		case <-h.done:
			exited = true
		default:
		}
		return exited
	})
	switch {
	case got.Event == "error":
		h.t.Fatalf("hostile peer failed: %s", got.Err)
	case got.Event != "":
		return got
	case exited:
		err := h.wait()
		h.t.Fatalf("hostile peer exited before %q: %v\n%s", name, err, h.stderr.String())
	default:
		h.t.Fatalf("hostile peer did not report %q (n >= %d) within %s", name, n, timeout)
	}
	return hostileEvent{}
}

// stop sends SIGTERM and requires a clean exit.
func (h *hostile) stop() {
	h.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- h.wait() }()
	select {
	case err := <-exited:
		if err != nil {
			h.t.Errorf("hostile peer exited uncleanly: %v\n%s", err, h.stderr.String())
		}
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		<-exited
		h.t.Errorf("hostile peer did not stop within 10 s of SIGTERM")
	}
}
