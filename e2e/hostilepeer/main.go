// Command hostilepeer is a misbehaving peer for the end-to-end tests. It
// speaks a node's real protocols (netproto messages over the p2p layer) from
// an address of its own, connects to a victim node and runs one attack:
//
//	framing-notfound  shows valid headers on the victim's tip, more work than
//	                  anyone, and says it lacks every block of them
//	framing-silent    the same, and never answers a blocks request
//	framing-oversize  the same, and answers a blocks request with more bytes
//	                  than the blocks asked for can take
//	stall-empty       claims more work than anyone and answers every headers
//	                  request with no headers
//	stall-known       the same, answering with headers the victim has
//	orphans           gossips large junk blocks at the difficulty floor whose
//	                  parents nobody knows, claims no more work than the victim,
//	                  and answers headers requests with none
//	orphans-silent    the same, never answering headers requests
//
// It reports what it does as JSON lines on stdout (see event) and runs until
// SIGTERM or SIGINT. Headers are dated from the victim's tip one second
// apart, so the framing attacks suit regtest (two hours of future drift).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/p2p"
)

// event is one line of the report on stdout.
type event struct {
	Event string `json:"event"`
	// Peer is the attacker's peer ID (event "ready").
	Peer string `json:"peer,omitempty"`
	// N counts what the event is about (headers served, blocks published).
	N int `json:"n,omitempty"`
	// Err describes a failure (event "error").
	Err string `json:"err,omitempty"`
}

// reporter writes events to stdout, one JSON object a line.
type reporter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (r *reporter) report(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.enc.Encode(e)
}

// attack is one way to misbehave: it registers handlers on the host and may
// run until ctx ends.
type attack func(ctx context.Context, a *attacker) error

var attacks = map[string]attack{
	"framing-notfound": framing(withholdNotFound),
	"framing-silent":   framing(withholdSilent),
	"framing-oversize": framing(withholdOversize),
	"stall-empty":      stall(false),
	"stall-known":      stall(true),
	"orphans":          orphans(false),
	"orphans-silent":   orphans(true),
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hostilepeer:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hostilepeer", flag.ContinueOnError)
	network := fs.String("network", "regtest", "network of the victim")
	listen := fs.String("listen", "", "multiaddr to listen on (an address of its own, e.g. /ip4/127.0.0.2/tcp/0)")
	victim := fs.String("victim", "", "full multiaddr (with /p2p/ID) of the victim")
	name := fs.String("attack", "", "attack to run (framing-notfound, framing-silent, framing-oversize, stall-empty, stall-known, orphans, orphans-silent)")
	headers := fs.Int("headers", 2000, "headers the framing attacks show")
	blocks := fs.Int("blocks", 150, "junk blocks the orphans attack gossips")
	size := fs.Int("size", 900_000, "approximate size in bytes of each junk block")
	rate := fs.Int("rate", 50, "junk blocks gossiped per second (0: as fast as possible)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	params, err := chaincfg.ByName(*network)
	if err != nil {
		return err
	}
	fn, ok := attacks[*name]
	if !ok {
		return fmt.Errorf("unknown attack %q", *name)
	}
	if *listen == "" || *victim == "" {
		return errors.New("--listen and --victim are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := p2p.New(ctx, p2p.Config{ListenAddrs: []string{*listen}, Network: params.Name, NoPEX: true, Logger: logger})
	if err != nil {
		return fmt.Errorf("start host: %w", err)
	}
	defer h.Close()
	a := &attacker{ctx: ctx, params: params, host: h, rep: &reporter{enc: json.NewEncoder(stdout)},
		headers: *headers, blocks: *blocks, size: *size, rate: *rate}
	if err := a.connect(*victim); err != nil {
		return err
	}
	a.rep.report(event{Event: "ready", Peer: h.PeerID().String()})
	if err := fn(ctx, a); err != nil && ctx.Err() == nil {
		a.rep.report(event{Event: "error", Err: err.Error()})
		return err
	}
	<-ctx.Done()
	return nil
}
