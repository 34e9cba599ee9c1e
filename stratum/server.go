package stratum

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/miner"
)

// Limits bound what connections may cost the node.
type Limits struct {
	// MaxConns caps open connections; more are told so and closed (default 1024).
	MaxConns int
	// AuthTimeout is how long a connection may take to subscribe and
	// authorize (default 10 s); IdleTimeout how long an authorized one may
	// stay silent (default 10 min).
	AuthTimeout, IdleTimeout time.Duration
	// WriteTimeout bounds one write to a miner (default 10 s).
	WriteTimeout time.Duration
	// SendQueue is how many lines may wait for a connection's writer; a
	// miner that lets it fill is too slow to keep and is dropped (default 64).
	SendQueue int
	// ShareRate and ShareBurst bound the shares per second one connection
	// may send (default 50/s, bursts of 200); MaxRateStrikes rate-limited
	// shares close it (default 1000).
	ShareRate      float64
	ShareBurst     int
	MaxRateStrikes int
}

func (l *Limits) fill() {
	if l.MaxConns <= 0 {
		l.MaxConns = 1024
	}
	if l.AuthTimeout <= 0 {
		l.AuthTimeout = 10 * time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 10 * time.Minute
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 10 * time.Second
	}
	if l.SendQueue <= 0 {
		l.SendQueue = 64
	}
	if l.ShareRate <= 0 {
		l.ShareRate = 50
	}
	if l.ShareBurst <= 0 {
		l.ShareBurst = 200
	}
	if l.MaxRateStrikes <= 0 {
		l.MaxRateStrikes = 1000
	}
}

// Config sets up a Server.
type Config struct {
	Params *chaincfg.Params
	// Template builds a block template on the current tip at time now; the
	// server replaces its coinbase with each worker's.
	Template func(now time.Time) *miner.Template
	// SubmitBlock hands a block found by a worker to the node, which
	// validates, stores and gossips it as it would its own miner's.
	SubmitBlock func(*block.Block) error
	// Payout decides the coinbase outputs (default Solo).
	Payout PayoutPolicy
	// Refresh is how often a job with fresh transactions and time is sent
	// while the tip stays the same (default 30 s).
	Refresh time.Duration
	Limits  Limits
	Vardiff VardiffConfig
	// Now is the clock for vardiff and rate limits (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Stats counts what a server has seen since it started.
type Stats struct {
	Conns    int    `json:"connections"`
	Accepted uint64 `json:"shares_accepted"`
	Rejected uint64 `json:"shares_rejected"`
	Blocks   uint64 `json:"blocks_found"`
}

// Server is a Stratum endpoint. Create it with NewServer, run it with Serve,
// and call NotifyNewTip whenever the chain's tip changes.
type Server struct {
	cfg    Config
	newTip chan struct{}
	nextEN atomic.Uint32

	accepted, rejected, blocks atomic.Uint64

	mu      sync.Mutex
	conns   map[*conn]struct{}
	current *work
	workSeq uint64
}

// NewServer returns a server; call Serve to accept miners.
func NewServer(cfg Config) *Server {
	if cfg.Payout == nil {
		cfg.Payout = Solo{}
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Limits.fill()
	cfg.Vardiff.fill(cfg.Params)
	s := &Server{cfg: cfg, newTip: make(chan struct{}, 1), conns: make(map[*conn]struct{})}
	// Extra nonce 1 values count up from a random start, so no two live
	// connections share one and a restarted node does not repeat its last run's.
	var seed [4]byte
	rand.Read(seed[:])
	s.nextEN.Store(binary.LittleEndian.Uint32(seed[:]))
	return s
}

// Listen opens the Stratum listener on addr (host:port). A host other than
// loopback is refused unless allowRemote.
func Listen(addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("stratum address %q: want HOST:PORT", addr)
	}
	if !allowRemote {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("stratum address %q is not loopback; the Stratum server listens on loopback only unless remote access is allowed explicitly", addr)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("stratum listen: %w", err)
	}
	return ln, nil
}

// NotifyNewTip tells the server the chain's tip changed: every worker gets
// a job on the new tip with clean jobs set. It never blocks.
func (s *Server) NotifyNewTip() {
	select {
	case s.newTip <- struct{}{}:
	default:
	}
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return Stats{Conns: n, Accepted: s.accepted.Load(), Rejected: s.rejected.Load(), Blocks: s.blocks.Load()}
}

// Serve accepts miners on ln until ctx ends, then closes every connection
// and returns once all its goroutines have finished.
func (s *Server) Serve(ctx context.Context, ln net.Listener) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	s.refresh(true)
	wg.Add(2)
	go func() { defer wg.Done(); s.jobLoop(ctx) }()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		ln.Close()
	}()
	s.cfg.Logger.Info("stratum listening", "addr", ln.Addr().String())
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.cfg.Logger.Warn("stratum accept", "err", err)
				continue
			}
			break
		}
		s.admit(ctx, nc, &wg)
	}
	cancel()
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close("server stopping")
	}
	wg.Wait()
}

// admit registers a new connection, or refuses it when the server is full.
func (s *Server) admit(ctx context.Context, nc net.Conn, wg *sync.WaitGroup) {
	s.mu.Lock()
	full := len(s.conns) >= s.cfg.Limits.MaxConns
	var c *conn
	if !full {
		c = newConn(s, nc, s.nextEN.Add(1))
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if full {
		// A short deadline: a refused client is not worth waiting for.
		nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		nc.Write(response(nil, nil, errorf(CodeOther, "server full: %d connections is the limit; try again later", s.cfg.Limits.MaxConns)))
		nc.Close()
		return
	}
	wg.Add(2)
	go func() { defer wg.Done(); c.readLoop(ctx) }()
	go func() { defer wg.Done(); c.writeLoop() }()
}

// remove forgets a closed connection.
func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// jobLoop sends new jobs on every tip change and every refresh interval.
func (s *Server) jobLoop(ctx context.Context) {
	ticker := time.NewTicker(s.cfg.Refresh)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.newTip:
			s.refresh(true)
		case <-ticker.C:
			s.refresh(false)
		}
	}
}

// refresh builds work on the current tip and sends every authorized worker
// a job for it. A changed previous block always makes the jobs clean.
func (s *Server) refresh(clean bool) {
	w := newWork(s.cfg.Template(s.cfg.Now()))
	s.mu.Lock()
	if s.current == nil || s.current.prev != w.prev {
		clean = true
	}
	s.current = w
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.sendJob(w, clean)
	}
}

// currentWork returns the work jobs are made from now.
func (s *Server) currentWork() *work {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}
