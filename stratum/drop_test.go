package stratum

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/pow"
)

// newTip moves the fake chain's tip to hash and sends every worker its job,
// as the job loop does on a tip change, but on the test's goroutine.
func (ts *testServer) newTip(hash chainhash.Hash) {
	ts.chain.mu.Lock()
	ts.chain.tip.Hash = hash
	ts.chain.tip.Height++
	ts.chain.mu.Unlock()
	ts.srv.refresh(true)
}

// onlyConn returns the server's one connection, or nil.
func (ts *testServer) onlyConn() *conn {
	ts.srv.mu.Lock()
	defer ts.srv.mu.Unlock()
	for c := range ts.srv.conns {
		return c
	}
	return nil
}

func TestReconnectAfterSlowReaderDropGetsAJob(t *testing.T) {
	ts := startServer(t, 30*pow.One, func(c *Config) { c.Limits.SendQueue = 4 })
	slow := dial(t, ts.addr, addrA)
	if _, d := nextJob(t, slow, 0); d != 12*pow.One {
		t.Fatalf("first share difficulty %s", d)
	}
	// The miner stops reading while jobs keep coming: once the socket
	// buffers and the queue are full, the server drops it.
	for i := 0; ts.srv.Stats().Conns > 0; i++ {
		if i == 1_000_000 {
			t.Fatal("the miner was not dropped after a million jobs it did not read")
		}
		ts.newTip(chainhash.Hash{byte(i), byte(i >> 8), byte(i >> 16), 0xdd})
	}
	// It comes back as a new connection: a new extra nonce 1, the share
	// difficulty announced again, and a clean job on the current tip.
	again := dial(t, ts.addr, addrA)
	if bytes.Equal(again.ExtraNonce1(), slow.ExtraNonce1()) {
		t.Fatalf("reconnected with the dropped connection's extra nonce 1 %x", slow.ExtraNonce1())
	}
	j, d := nextJob(t, again, 0)
	tip := ts.chain.Tip().Hash
	if !j.Clean || j.Prev != tip || d != 12*pow.One {
		t.Fatalf("job after reconnecting: clean=%v prev=%s (tip %s) share difficulty %s", j.Clean, j.Prev, tip, d)
	}
	s := solveJob(t, j, again.ExtraNonce1(), []byte{0, 0, 0, 1}, d)
	s.Worker = addrA
	if r := submit(t, again, s); !r.Accepted {
		t.Fatalf("share after reconnecting rejected: %v", r.Err)
	}
	if n := ts.srv.Stats().Conns; n != 1 {
		t.Fatalf("%d connections, want the reconnected one only", n)
	}
}

// TestShareFloodLeavesRoomForJobs: a miner that sends shares faster than it
// reads their results only slows itself down (the replies wait for room);
// the replies must not take the whole queue, or the next job would find it
// full and drop a miner that is still reading.
func TestShareFloodLeavesRoomForJobs(t *testing.T) {
	ts := startServer(t, 30*pow.One, func(c *Config) {
		c.Limits.SendQueue = 8
		// Only the queue is under test: no share is refused for the rate.
		c.Limits.ShareRate, c.Limits.ShareBurst = 1e12, 1<<30
	})
	c := dial(t, ts.addr, addrA)
	j, _ := nextJob(t, c, 0)
	var stop atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop.Store(true)
	defer c.Close() // ends a share write blocked behind unread results
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Stale shares, each answered with an error, never read until later.
		for s := (&Share{Worker: addrA, JobID: "ffff", Time: j.Time}); !stop.Load(); s.Nonce++ {
			if _, err := c.Submit(s); err != nil {
				return
			}
		}
	}()
	sc := ts.onlyConn()
	if sc == nil {
		t.Fatal("no connection on the server")
	}
	wait.For(t, 30*time.Second, "the replies to fill the room they may take", func() bool { return len(sc.out) >= sc.replyRoom })
	// Jobs now go into the room kept for them, a notify each (the share
	// difficulty does not change).
	last := chainhash.Hash{0xee}
	for i := 1; i <= cap(sc.out)-sc.replyRoom; i++ {
		last = chainhash.Hash{byte(i), 0xee}
		ts.newTip(last)
	}
	if n := ts.srv.Stats().Conns; n != 1 {
		t.Fatalf("%d connections after the jobs, want the flooding miner still connected", n)
	}
	stop.Store(true)
	c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		ev, err := c.Next()
		if err != nil {
			t.Fatalf("reading the backlog: %v", err)
		}
		if ev.Job != nil && ev.Job.Prev == last {
			break
		}
	}
}
