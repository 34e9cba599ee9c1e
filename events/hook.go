package events

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Hook runs a shell command per notification, like bitcoind's -blocknotify:
// every "%s" in the command is replaced by the argument (a block hash or a
// txid, which are hex and safe in a shell). At most Workers commands run at
// once and at most Queue wait; beyond that notifications are dropped and
// counted, so a slow command never holds up the node.
type Hook struct {
	name    string
	command string
	timeout time.Duration
	log     *slog.Logger
	queue   chan string
	workers int
	dropped atomic.Uint64
	wg      sync.WaitGroup
}

// HookConfig sets a Hook's bounds.
type HookConfig struct {
	// Workers is how many commands may run at once (default 4).
	Workers int
	// Queue is how many notifications may wait (default 256).
	Queue int
	// Timeout kills a command that runs longer (default 1 min).
	Timeout time.Duration
}

// NewHook returns a hook named name (for logs) running command.
func NewHook(name, command string, cfg HookConfig, logger *slog.Logger) *Hook {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Hook{name: name, command: command, timeout: cfg.Timeout, log: logger,
		queue: make(chan string, cfg.Queue), workers: cfg.Workers}
}

// Notify queues a run of the command for arg, or drops it when the queue is full.
func (h *Hook) Notify(arg string) {
	select {
	case h.queue <- arg:
	default:
		if h.dropped.Add(1) == 1 || h.dropped.Load()%100 == 0 {
			h.log.Warn("notification command falling behind; dropping notifications", "hook", h.name, "dropped", h.dropped.Load())
		}
	}
}

// Dropped counts notifications lost to a full queue.
func (h *Hook) Dropped() uint64 { return h.dropped.Load() }

// Run runs queued commands until ctx ends, then waits for running ones
// (which ctx's end kills) and returns. Notifications still queued are dropped.
func (h *Hook) Run(ctx context.Context) {
	for range h.workers {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case arg := <-h.queue:
					h.run(ctx, arg)
				}
			}
		}()
	}
	h.wg.Wait()
}

func (h *Hook) run(ctx context.Context, arg string) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	line := strings.ReplaceAll(h.command, "%s", arg)
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", line).CombinedOutput()
	if err != nil {
		h.log.Warn("notification command failed", "hook", h.name, "command", line, "err", err, "output", strings.TrimSpace(string(out)))
	}
}
