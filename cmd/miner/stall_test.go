package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/stratum"
	"github.com/ledgerd/ledger/tx"
)

// noWriteDeadline is the miner's end of a pipe without write deadlines: a
// share write then blocks for as long as the pool does not read, so that only
// the miner's own design, not a timeout, can get it out of a stall.
type noWriteDeadline struct{ net.Conn }

func (c noWriteDeadline) SetWriteDeadline(time.Time) error  { return nil }
func (c noWriteDeadline) SetDeadline(t time.Time) error     { return c.Conn.SetReadDeadline(t) }
func (c noWriteDeadline) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(t) }

// Pool lines, each as the server sends it: a one-bit share difficulty (about
// every other hash is a share) and jobs whose blocks need 40 bits.
const (
	subscribed = `{"id":1,"result":[[["mining.set_difficulty","0a0b0c0d"],["mining.notify","0a0b0c0d"]],"0a0b0c0d",4],"error":null}`
	authorized = `{"id":2,"result":true,"error":null}`
	oneBit     = `{"id":null,"method":"mining.set_difficulty","params":[1]}`
	// The miner's first share goes out with request id 3.
	firstAccepted = `{"id":3,"result":true,"error":null}`
)

// notifyLine is a job whose blocks need blockBits (8 hex digits, 16.16
// fixed point).
func notifyLine(id, blockBits string, clean bool) string {
	c := "false"
	if clean {
		c = "true"
	}
	return `{"id":null,"method":"mining.notify","params":["` + id + `","` +
		"11111111111111111111111111111111111111111111111111111111111111" + `11","0100","0200",[],"00000001","` + blockBits + `","0000000068000000",` + c + `]}`
}

// Block difficulties of the scripted jobs: every share meets one bit, no
// share meets 40.
const (
	blockOneBit   = "00010000"
	blockFortyBit = "00280000"
)

// pipeDial returns a dial hook that hands the miner one end of a new pipe
// per call, with a write-deadline-free end, and the pool's ends in turn.
func pipeDial(t *testing.T, user string, pools int) (func(context.Context) (*stratum.Client, error), <-chan net.Conn) {
	ends := make(chan net.Conn, pools)
	var dials atomic.Int32
	return func(ctx context.Context) (*stratum.Client, error) {
		if int(dials.Add(1)) > pools {
			return nil, errors.New("the scripted pools are all used")
		}
		poolEnd, minerEnd := net.Pipe()
		t.Cleanup(func() { poolEnd.Close() })
		ends <- poolEnd
		return stratum.NewClient(noWriteDeadline{minerEnd}, user, "test")
	}, ends
}

// writeLines writes lines, each returning once the miner has read it.
func writeLines(nc net.Conn, lines ...string) error {
	for _, l := range lines {
		if _, err := nc.Write([]byte(l + "\n")); err != nil {
			return err
		}
	}
	return nil
}

// handshake answers the miner's subscribe and authorize.
func handshake(nc net.Conn) (*bufio.Reader, error) {
	r := bufio.NewReader(nc)
	for _, answer := range []string{subscribed, authorized} {
		if _, err := r.ReadString('\n'); err != nil {
			return nil, err
		}
		if err := writeLines(nc, answer); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// scripted runs a miner against pools scripts plays over pipes, one per
// connection, and waits for cond. It then stops the miner and returns it.
func scripted(t *testing.T, pools int, script func(ends <-chan net.Conn) error, what string, cond func(*poolMiner) bool) *poolMiner {
	t.Helper()
	user := tx.EncodeAddress(chaincfg.Regtest.AddressHRP, [32]byte{5})
	m := newMiner("pipe", user, 1, time.Hour, quiet)
	var ends <-chan net.Conn
	m.dial, ends = pipeDial(t, user, pools)
	var wg sync.WaitGroup
	defer wg.Wait()
	played := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); played <- script(ends) }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); ran <- m.run(ctx) }()
	wait.For(t, 30*time.Second, what, func() bool { return cond(m) })
	if err := <-played; err != nil {
		t.Fatalf("pool script: %v", err)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("miner stopped with %v", err)
	}
	return m
}

// TestMinerKeepsReadingWhileAShareWriteBlocks has a pool that stops reading
// once the miner is authorized, as a pool does while it waits for the miner
// to read its earlier answers (its reply queue is full). The miner's share
// writes then block; the miner must still read what the pool sends (a
// share's result, new jobs), or neither side ever moves again.
func TestMinerKeepsReadingWhileAShareWriteBlocks(t *testing.T) {
	m := scripted(t, 1, func(ends <-chan net.Conn) error { return stallScript(<-ends) },
		"the miner to read a share's result and two more jobs while its share write is blocked",
		func(m *poolMiner) bool { return m.jobs.Load() >= 3 && m.accepted.Load() >= 1 })
	if n := m.connects.Load(); n != 1 {
		t.Fatalf("%d connections, want 1: the miner should not have lost the pool", n)
	}
}

// stallScript plays the pool: it answers the handshake, sends a job, waits
// for the miner's first share to start and then only writes.
func stallScript(nc net.Conn) error {
	if _, err := handshake(nc); err != nil {
		return err
	}
	if err := writeLines(nc, oneBit, notifyLine("1", blockFortyBit, true)); err != nil {
		return err
	}
	// One byte of the first share, read past the (empty) buffer: the share's
	// write has begun and stays blocked on the rest.
	if _, err := io.ReadFull(nc, make([]byte, 1)); err != nil {
		return err
	}
	return writeLines(nc, firstAccepted, notifyLine("2", blockFortyBit, false), notifyLine("3", blockFortyBit, true))
}

// TestBlockSharesAreForgottenWithTheirConnection: request ids start over
// on every connection, so a block share the pool never answered before it
// went away must not make the next connection's share of the same id count
// as a block.
func TestBlockSharesAreForgottenWithTheirConnection(t *testing.T) {
	m := scripted(t, 2, forgetScript, "the second connection's share to be accepted",
		func(m *poolMiner) bool { return m.accepted.Load() >= 1 })
	if s := m.summary(); s.Connects != 2 || s.Accepted != 1 || s.Blocks != 0 {
		t.Fatalf("summary %+v, want 2 connections, 1 share accepted and no block", s)
	}
}

// forgetScript plays two pools: the first takes a block share (request id
// 3) and goes away without answering; the second answers its own id 3, a
// plain share.
func forgetScript(ends <-chan net.Conn) error {
	first := <-ends
	r, err := handshake(first)
	if err != nil {
		return err
	}
	if err := writeLines(first, oneBit, notifyLine("1", blockOneBit, true)); err != nil {
		return err
	}
	if _, err := r.ReadString('\n'); err != nil {
		return err
	}
	first.Close()
	second := <-ends
	if r, err = handshake(second); err != nil {
		return err
	}
	if err := writeLines(second, oneBit, notifyLine("1", blockFortyBit, true)); err != nil {
		return err
	}
	if _, err := r.ReadString('\n'); err != nil {
		return err
	}
	return writeLines(second, firstAccepted)
}
