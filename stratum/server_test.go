package stratum

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// fakeChain is a tip that moves to every block submitted to it, as the
// node's chain would, and tells the server.
type fakeChain struct {
	mu     sync.Mutex
	tip    chain.TipInfo
	blocks []*block.Block
	srv    *Server
}

func (f *fakeChain) Tip() chain.TipInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tip
}

func (f *fakeChain) submit(b *block.Block) error {
	f.mu.Lock()
	if b.Header.Prev != f.tip.Hash {
		f.mu.Unlock()
		return errors.New("not on the tip")
	}
	f.blocks = append(f.blocks, b)
	f.mu.Unlock()
	f.advance(b.Hash())
	return nil
}

// advance moves the tip to hash and notifies the server.
func (f *fakeChain) advance(hash chainhash.Hash) {
	f.mu.Lock()
	f.tip.Hash = hash
	f.tip.Height++
	f.tip.MedianTime++
	f.mu.Unlock()
	f.srv.NotifyNewTip()
}

func (f *fakeChain) found() []*block.Block {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*block.Block(nil), f.blocks...)
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

type testServer struct {
	srv   *Server
	chain *fakeChain
	clock *testClock
	addr  string
}

// startServer runs a server on loopback over a fake chain whose blocks need blockDiff.
func startServer(t testing.TB, blockDiff pow.Difficulty, tweak func(*Config)) *testServer {
	t.Helper()
	p := chaincfg.Regtest
	fc := &fakeChain{tip: chain.TipInfo{Hash: chainhash.Hash{1}, Height: 5, MedianTime: 1_800_000_000, NextDifficulty: blockDiff}}
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	cfg := Config{
		Params: p,
		Template: func(now time.Time) *miner.Template {
			return miner.NewTemplate(p, fc, nil, [32]byte{}, 0, now.Unix())
		},
		SubmitBlock: fc.submit,
		Now:         clock.Now,
		Logger:      quiet,
		Vardiff:     VardiffConfig{Initial: 12 * pow.One, Min: 8 * pow.One},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv := NewServer(cfg)
	fc.srv = srv
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &testServer{srv: srv, chain: fc, clock: clock, addr: ln.Addr().String()}
}

var (
	addrA = tx.EncodeAddress(chaincfg.Regtest.AddressHRP, [32]byte{0xa})
	addrB = tx.EncodeAddress(chaincfg.Regtest.AddressHRP, [32]byte{0xb})
)

// dial connects and authorizes user, failing the test on error.
func dial(t testing.TB, addr, user string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addr, user, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// nextEvent reads events until one satisfies want, failing after 10 s.
func nextEvent(t testing.TB, c *Client, want func(Event) bool) {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.nc.SetReadDeadline(time.Time{})
	for {
		ev, err := c.Next()
		if err != nil {
			t.Fatalf("waiting for the pool: %v", err)
		}
		if want(ev) {
			return
		}
	}
}

// nextJob reads events until a job arrives, returning it and the last difficulty seen.
func nextJob(t testing.TB, c *Client, diff pow.Difficulty) (*Job, pow.Difficulty) {
	t.Helper()
	var j *Job
	nextEvent(t, c, func(ev Event) bool {
		if ev.Difficulty != 0 {
			diff = ev.Difficulty
		}
		j = ev.Job
		return j != nil
	})
	return j, diff
}

// nextResult reads events until a share result arrives.
func nextResult(t testing.TB, c *Client) *SubmitResult {
	t.Helper()
	var r *SubmitResult
	nextEvent(t, c, func(ev Event) bool { r = ev.Result; return r != nil })
	return r
}

func submit(t testing.TB, c *Client, s *Share) *SubmitResult {
	t.Helper()
	if _, err := c.Submit(s); err != nil {
		t.Fatal(err)
	}
	return nextResult(t, c)
}

func wantCode(t *testing.T, r *SubmitResult, code int) {
	t.Helper()
	if r.Accepted || r.Err == nil || r.Err.Code != code {
		t.Fatalf("result %+v (err %v), want error code %d", r, r.Err, code)
	}
}

func TestSharesAcceptedAndRejectedWithReasons(t *testing.T) {
	ts := startServer(t, 30*pow.One, nil)
	c := dial(t, ts.addr, addrA)
	j, diff := nextJob(t, c, 0)
	if !j.Clean || diff != 12*pow.One || j.Difficulty != 30*pow.One {
		t.Fatalf("first job clean=%v share difficulty %s block %s", j.Clean, diff, j.Difficulty)
	}
	en2 := []byte{0, 0, 0, 1}
	s := solveJob(t, j, c.ExtraNonce1(), en2, diff)
	s.Worker = addrA + ".rig1"
	if r := submit(t, c, s); !r.Accepted {
		t.Fatalf("valid share rejected: %v", r.Err)
	}
	wantCode(t, submit(t, c, s), CodeDuplicate)
	low := *s
	for {
		low.Nonce++
		h := j.Header(c.ExtraNonce1(), en2, low.Time, low.Nonce)
		if !pow.HashMeets(h.Hash(), diff) {
			break
		}
	}
	wantCode(t, submit(t, c, &low), CodeLowDifficulty)
	other := *s
	other.Worker = addrB
	wantCode(t, submit(t, c, &other), CodeUnauthorized)
	unknown := *s
	unknown.JobID = "ffff"
	wantCode(t, submit(t, c, &unknown), CodeStale)

	// A new tip makes every earlier job stale.
	ts.chain.advance(chainhash.Hash{2})
	j2, _ := nextJob(t, c, diff)
	if !j2.Clean || j2.Prev != (chainhash.Hash{2}) {
		t.Fatalf("job after the new tip: clean=%v prev=%s", j2.Clean, j2.Prev)
	}
	old := *s
	old.ExtraNonce2 = [4]byte{0, 0, 0, 2}
	wantCode(t, submit(t, c, &old), CodeStale)
	if st := ts.srv.Stats(); st.Accepted != 1 || st.Rejected != 5 {
		t.Fatalf("stats %+v, want 1 accepted and 5 rejected", st)
	}
}

func TestBlockShareIsSubmittedAndPaysTheWorker(t *testing.T) {
	ts := startServer(t, 10*pow.One, nil)
	ca := dial(t, ts.addr, addrA)
	cb := dial(t, ts.addr, addrB)
	if string(ca.ExtraNonce1()) == string(cb.ExtraNonce1()) {
		t.Fatalf("two connections share extra nonce 1 %x", ca.ExtraNonce1())
	}
	ja, da := nextJob(t, ca, 0)
	nextJob(t, cb, 0)
	if da != 10*pow.One {
		t.Fatalf("share difficulty %s above the block's 10 bits", da)
	}
	s := solveJob(t, ja, ca.ExtraNonce1(), []byte{0, 0, 0, 0}, ja.Difficulty)
	s.Worker = addrA
	// The server may push the new tip's job before or after the share's
	// result, so read both from worker A in whatever order they come.
	if _, err := ca.Submit(s); err != nil {
		t.Fatal(err)
	}
	var r *SubmitResult
	var jobA *Job
	nextEvent(t, ca, func(ev Event) bool {
		if ev.Result != nil {
			r = ev.Result
		}
		if ev.Job != nil && ev.Job.Clean {
			jobA = ev.Job
		}
		return r != nil && jobA != nil
	})
	if !r.Accepted {
		t.Fatalf("block share rejected: %v", r.Err)
	}
	blocks := ts.chain.found()
	if len(blocks) != 1 {
		t.Fatalf("%d blocks submitted, want 1", len(blocks))
	}
	b := blocks[0]
	pubA, _ := tx.DecodeAddress(chaincfg.Regtest.AddressHRP, addrA)
	if out := b.Txs[0].Outputs; len(out) != 1 || out[0].PubKey != pubA || out[0].Amount != chaincfg.Regtest.Subsidy(6) {
		t.Fatalf("block pays %+v, want the whole reward to worker A", out)
	}
	// Both workers move to the new tip with clean jobs.
	jobB, _ := nextJob(t, cb, 0)
	for _, j := range []*Job{jobA, jobB} {
		if !j.Clean || j.Prev != b.Hash() {
			t.Fatalf("after the block: job clean=%v prev=%s, want clean on %s", j.Clean, j.Prev, b.Hash())
		}
	}
	if st := ts.srv.Stats(); st.Blocks != 1 || st.Conns != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// rawConn is a connection speaking lines directly.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{Conn: nc, r: bufio.NewReaderSize(nc, 2*MaxLineBytes)}
}

func (c *rawConn) send(t *testing.T, line string) {
	t.Helper()
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
}

// expectError reads lines until an error response, and returns it.
func (c *rawConn) expectError(t *testing.T) *Error {
	t.Helper()
	for {
		line, err := c.r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("connection ended without an error response: %v", err)
		}
		m, err := DecodeMessage(line)
		if err != nil {
			t.Fatal(err)
		}
		if m.Error != nil {
			return m.Error
		}
	}
}

// expectClosed waits for the server to close the connection.
func (c *rawConn) expectClosed(t *testing.T) {
	t.Helper()
	for {
		if _, err := c.r.ReadBytes('\n'); err != nil {
			return
		}
	}
}

func TestBadInputIsRefusedWithClearErrors(t *testing.T) {
	ts := startServer(t, 30*pow.One, func(c *Config) { c.Limits.AuthTimeout = 300 * time.Millisecond })
	tests := []struct {
		name   string
		lines  []string
		code   int
		substr string
		closes bool
	}{
		{"malformed JSON", []string{`{"id":1,"method":`}, CodeParse, "malformed", true},
		{"oversize line", []string{`{"id":1,"method":"` + strings.Repeat("x", MaxLineBytes) + `"}`}, CodeParse, "longer than", true},
		{"authorize before subscribe", []string{`{"id":1,"method":"mining.authorize","params":["` + addrA + `"]}`}, CodeNotSubscribed, "subscribe", false},
		{"submit before subscribe", []string{`{"id":1,"method":"mining.submit","params":["a","1","00000000","0000000000000000","00000000"]}`}, CodeNotSubscribed, "subscribe", false},
		{"unknown method", []string{`{"id":1,"method":"mining.bogus","params":[]}`}, CodeNoMethod, "unknown method", false},
		{"bad params", []string{`{"id":1,"method":"mining.submit","params":{"a":1}}`}, CodeInvalidParams, "array", false},
		{"address of another network", []string{
			`{"id":1,"method":"mining.subscribe","params":[]}`,
			`{"id":2,"method":"mining.authorize","params":["` + tx.EncodeAddress(chaincfg.Testnet.AddressHRP, [32]byte{1}) + `"]}`,
		}, CodeUnauthorized, "another network", false},
		{"not an address", []string{
			`{"id":1,"method":"mining.subscribe","params":[]}`,
			`{"id":2,"method":"mining.authorize","params":["nobody"]}`,
		}, CodeUnauthorized, "payout address", false},
		{"idle before authorize", nil, CodeOther, "idle", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, ts.addr)
			for _, l := range tc.lines {
				c.send(t, l)
			}
			e := c.expectError(t)
			if e.Code != tc.code || !strings.Contains(e.Message, tc.substr) {
				t.Fatalf("error %d %q, want %d containing %q", e.Code, e.Message, tc.code, tc.substr)
			}
			if tc.closes {
				c.expectClosed(t)
			}
		})
	}
	// A refused address reaches the miner as ErrRefused, with the reason.
	_, err := Dial(context.Background(), ts.addr, "nobody", "test")
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "payout address") {
		t.Fatalf("Dial with a bad address: %v", err)
	}
}

func TestShareFloodIsRateLimitedThenClosed(t *testing.T) {
	ts := startServer(t, 30*pow.One, func(c *Config) {
		c.Limits.ShareRate, c.Limits.ShareBurst, c.Limits.MaxRateStrikes = 1, 2, 3
	})
	c := dial(t, ts.addr, addrA)
	j, _ := nextJob(t, c, 0)
	s := &Share{Worker: addrA, JobID: j.ID, Time: j.Time}
	// The clock stands still: the burst is all the connection gets.
	for i := 0; i < 2; i++ {
		s.Nonce = uint32(i)
		if r := submit(t, c, s); r.Err == nil || r.Err.Code == CodeRateLimited {
			t.Fatalf("share %d within the burst: %+v", i, r.Err)
		}
	}
	for i := 0; i < 2; i++ {
		wantCode(t, submit(t, c, s), CodeRateLimited)
	}
	if _, err := c.Submit(s); err != nil {
		t.Fatal(err)
	}
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		ev, err := c.Next()
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code != CodeRateLimited || !strings.Contains(se.Message, "closing") {
				t.Fatalf("flood ended with %v, want a closing rate-limit error", err)
			}
			break
		}
		if ev.Result != nil && !ev.Result.Accepted && ev.Result.Err.Code == CodeRateLimited && strings.Contains(ev.Result.Err.Message, "closing") {
			break
		}
	}
}

func TestConnectionCap(t *testing.T) {
	ts := startServer(t, 30*pow.One, func(c *Config) { c.Limits.MaxConns = 2 })
	dial(t, ts.addr, addrA)
	dial(t, ts.addr, addrB)
	c := dialRaw(t, ts.addr)
	e := c.expectError(t)
	if !strings.Contains(e.Message, "server full") {
		t.Fatalf("third connection got %q, want server full", e.Message)
	}
	c.expectClosed(t)
}

func TestMessageJSONShapes(t *testing.T) {
	line := response(json.RawMessage("7"), nil, errorf(CodeStale, "old"))
	if got := strings.TrimSpace(string(line)); got != `{"id":7,"result":null,"error":[21,"old",null]}` {
		t.Fatalf("error response %s", got)
	}
	line = request(nil, MethodSetDifficulty, 12.5)
	if got := strings.TrimSpace(string(line)); got != `{"id":null,"method":"mining.set_difficulty","params":[12.5]}` {
		t.Fatalf("set_difficulty %s", got)
	}
}

func TestSlowReaderIsDropped(t *testing.T) {
	ts := startServer(t, 30*pow.One, func(c *Config) { c.Limits.SendQueue = 4 })
	c := dialRaw(t, ts.addr)
	c.send(t, `{"id":1,"method":"mining.subscribe","params":[]}`)
	c.send(t, `{"id":2,"method":"mining.authorize","params":["`+addrA+`"]}`)
	wait.For(t, 10*time.Second, "the miner connected", func() bool { return ts.srv.Stats().Conns == 1 })
	// The miner reads nothing while jobs keep coming: once the socket
	// buffers and the queue are full, the server drops it instead of waiting.
	for i := 0; i < 200_000 && ts.srv.Stats().Conns > 0; i++ {
		ts.chain.mu.Lock()
		ts.chain.tip.Hash = chainhash.Hash{byte(i), byte(i >> 8), byte(i >> 16), 0xdd}
		ts.chain.mu.Unlock()
		ts.srv.refresh(true)
	}
	if n := ts.srv.Stats().Conns; n != 0 {
		t.Fatalf("%d connections left after the miner stopped reading", n)
	}
}

func TestVardiffChangeAnnouncesDifficultyWithANewJob(t *testing.T) {
	ts := startServer(t, 40*pow.One, func(c *Config) {
		c.Vardiff = VardiffConfig{Initial: 8 * pow.One, Min: 8 * pow.One, TargetInterval: time.Hour, RetargetShares: 2}
	})
	c := dial(t, ts.addr, addrA)
	j, diff := nextJob(t, c, 0)
	// Two shares at once against a one-hour target: the difficulty rises.
	for i := 0; i < 2; i++ {
		s := solveJob(t, j, c.ExtraNonce1(), []byte{0, 0, 0, byte(i)}, diff)
		s.Worker = addrA
		if _, err := c.Submit(s); err != nil {
			t.Fatal(err)
		}
	}
	var results int
	var newDiff pow.Difficulty
	var j2 *Job
	nextEvent(t, c, func(ev Event) bool {
		if ev.Result != nil {
			if !ev.Result.Accepted {
				t.Fatalf("share rejected: %v", ev.Result.Err)
			}
			results++
		}
		if ev.Difficulty != 0 {
			newDiff = ev.Difficulty
		}
		if ev.Job != nil {
			j2 = ev.Job
		}
		return results == 2 && j2 != nil
	})
	if newDiff != 24*pow.One || j2.Clean || j2.ID == j.ID || j2.Prev != j.Prev {
		t.Fatalf("after the retarget: difficulty %s (want 24), job %s clean=%v", newDiff, j2.ID, j2.Clean)
	}
	// The old job still takes shares at its own difficulty.
	s := solveJob(t, j, c.ExtraNonce1(), []byte{0, 0, 1, 0}, diff)
	s.Worker = addrA
	if r := submit(t, c, s); !r.Accepted {
		t.Fatalf("share of the previous job rejected: %v", r.Err)
	}
}
