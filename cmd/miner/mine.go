package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/stratum"
)

// Reconnect backoff: doubling from the first delay up to the cap, for
// failed dials and for sessions the pool ended sooner than stableSession
// after they began (a pool dropping the miner again and again is not
// redialled at once each time); a longer session starts again from the
// first delay.
const (
	backoffFirst  = 500 * time.Millisecond
	backoffMax    = 30 * time.Second
	stableSession = time.Minute
)

// backoff returns the wait before the next dial and the one due after
// that, given the wait now due and how long the session the pool ended
// lasted (0 after a failed dial).
func backoff(due, lasted time.Duration) (wait, next time.Duration) {
	if lasted >= stableSession {
		due = backoffFirst
	}
	return due, min(2*due, backoffMax)
}

// summary is what the miner prints on stdout when it stops.
type summary struct {
	Pool        string  `json:"pool"`
	User        string  `json:"user"`
	Threads     int     `json:"threads"`
	ExtraNonce1 string  `json:"extranonce1"`
	Hashes      uint64  `json:"hashes"`
	HashRate    float64 `json:"hashrate"`
	Accepted    uint64  `json:"shares_accepted"`
	Rejected    uint64  `json:"shares_rejected"`
	Blocks      uint64  `json:"blocks_found"`
	Jobs        uint64  `json:"jobs"`
	Connects    uint64  `json:"connects"`
	Seconds     float64 `json:"seconds"`
}

// poolMiner mines for one pool until its context ends.
type poolMiner struct {
	addr, user string
	threads    int
	report     time.Duration
	log        *slog.Logger
	// dial opens a subscribed and authorized connection to the pool.
	dial     func(ctx context.Context) (*stratum.Client, error)
	started  time.Time
	counters []atomic.Uint64

	accepted, rejected, blocks, jobs, connects atomic.Uint64

	mu      sync.Mutex
	en1     string
	pending map[uint64]chainhash.Hash // submitted shares that are also blocks, by request id
}

func newMiner(addr, user string, threads int, report time.Duration, log *slog.Logger) *poolMiner {
	m := &poolMiner{
		addr: addr, user: user, threads: threads, report: report, log: log,
		counters: make([]atomic.Uint64, threads), pending: make(map[uint64]chainhash.Hash),
	}
	m.dial = func(ctx context.Context) (*stratum.Client, error) {
		return stratum.Dial(ctx, m.addr, m.user, "ledger-miner/1")
	}
	return m
}

func (m *poolMiner) hashes() uint64 {
	var n uint64
	for i := range m.counters {
		n += m.counters[i].Load()
	}
	return n
}

func (m *poolMiner) summary() summary {
	m.mu.Lock()
	en1 := m.en1
	m.mu.Unlock()
	secs := time.Since(m.started).Seconds()
	s := summary{
		Pool: "stratum+tcp://" + m.addr, User: m.user, Threads: m.threads, ExtraNonce1: en1, Hashes: m.hashes(),
		Accepted: m.accepted.Load(), Rejected: m.rejected.Load(), Blocks: m.blocks.Load(), Jobs: m.jobs.Load(),
		Connects: m.connects.Load(), Seconds: secs,
	}
	if secs > 0 {
		s.HashRate = float64(s.Hashes) / secs
	}
	return s
}

// run connects, mines, and reconnects with backoff until ctx ends. Only a
// pool refusing the worker is an error: retrying would not change its mind.
func (m *poolMiner) run(ctx context.Context) error {
	m.started = time.Now()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); m.reportLoop(ctx) }()
	delay := backoffFirst
	for ctx.Err() == nil {
		c, err := m.dial(ctx)
		if errors.Is(err, stratum.ErrRefused) {
			return err
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var wait time.Duration
			wait, delay = backoff(delay, 0)
			m.log.Warn("cannot reach pool; retrying", "pool", m.addr, "in", wait, "err", err)
			sleep(ctx, wait)
			continue
		}
		m.connects.Add(1)
		m.mu.Lock()
		m.en1 = hex.EncodeToString(c.ExtraNonce1())
		m.mu.Unlock()
		m.log.Info("subscribed", "pool", m.addr, "extranonce1", m.en1)
		began := time.Now()
		err = m.session(ctx, c)
		if ctx.Err() != nil {
			break
		}
		var wait time.Duration
		wait, delay = backoff(delay, time.Since(began))
		m.log.Warn("lost the pool; reconnecting", "pool", m.addr, "in", wait, "err", err)
		sleep(ctx, wait)
	}
	return nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// reportLoop logs the hash rate every report interval.
func (m *poolMiner) reportLoop(ctx context.Context) {
	t := time.NewTicker(m.report)
	defer t.Stop()
	last, lastAt := m.hashes(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n := m.hashes()
			m.log.Info("hash rate", "hps", int64(float64(n-last)/now.Sub(lastAt).Seconds()),
				"accepted", m.accepted.Load(), "rejected", m.rejected.Load(), "blocks", m.blocks.Load())
			last, lastAt = n, now
		}
	}
}

// session mines on one connection until it fails or ctx ends.
//
// The loop reading the pool never waits for a search. A search can be
// blocked writing a share while the pool, before it reads again, waits for
// the miner to read its earlier answers; a reader waiting for that search
// (or for a lock it holds) would stall both ends until a write deadline. So
// a new job only tells the running search to stop, and the searches are
// waited for after the connection is closed, which fails any blocked write.
func (m *poolMiner) session(ctx context.Context, c *stratum.Client) error {
	var wg sync.WaitGroup
	ended := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-ended:
		}
		c.Close()
	}()
	var stop *atomic.Bool // the running search's
	defer func() {
		if stop != nil {
			stop.Store(true)
		}
		close(ended)
		wg.Wait()
		// Request ids are the connection's: the next one starts over.
		m.mu.Lock()
		clear(m.pending)
		m.mu.Unlock()
	}()
	diff := pow.One
	for {
		ev, err := c.Next()
		if err != nil {
			return err
		}
		switch {
		case ev.Difficulty != 0:
			diff = ev.Difficulty
			m.log.Info("share difficulty", "bits", diff.String())
		case ev.Job != nil:
			if stop != nil {
				stop.Store(true)
			}
			j := ev.Job
			m.jobs.Add(1)
			m.log.Info("new job", "job", j.ID, "prev", j.Prev, "height", jobHeight(j), "clean", j.Clean, "block_bits", j.Difficulty.String())
			stop = new(atomic.Bool)
			wg.Add(1)
			go func(stop *atomic.Bool) { defer wg.Done(); m.searchJob(c, j, diff, stop) }(stop)
		case ev.Result != nil:
			m.result(ev.Result)
		}
	}
}

// jobHeight reads the block height from the coinbase's first part.
func jobHeight(j *stratum.Job) uint64 {
	if len(j.Coinbase1) < 13 {
		return 0
	}
	return binary.LittleEndian.Uint64(j.Coinbase1[5:13])
}

func (m *poolMiner) result(r *stratum.SubmitResult) {
	m.mu.Lock()
	hash, isBlock := m.pending[r.ID]
	delete(m.pending, r.ID)
	m.mu.Unlock()
	if !r.Accepted {
		m.rejected.Add(1)
		msg := "rejected"
		code := 0
		if r.Err != nil {
			msg, code = r.Err.Message, r.Err.Code
		}
		m.log.Warn("share rejected", "code", code, "reason", msg)
		return
	}
	m.accepted.Add(1)
	if isBlock {
		m.blocks.Add(1)
		m.log.Info("block found", "hash", hash)
	}
}

// searchJob runs the shared nonce search over the job's headers, one extra
// nonce 2 value after another, submitting every hash that meets diff, until
// stop is set, a share cannot be sent, or the extra nonce space is done.
func (m *poolMiner) searchJob(c *stratum.Client, j *stratum.Job, diff pow.Difficulty, stop *atomic.Bool) {
	en1 := c.ExtraNonce1()
	target := miner.TargetBytes(diff)
	for en2 := uint32(0); !stop.Load(); en2++ {
		share := stratum.Share{Worker: m.user, JobID: j.ID, Time: j.Time}
		binary.BigEndian.PutUint32(share.ExtraNonce2[:], en2)
		h := j.Header(en1, share.ExtraNonce2[:], j.Time, 0)
		var failed atomic.Bool // found runs on every search thread
		miner.SearchNonces(h.Encode(), m.threads, target, stop, m.counters, func(nonce uint32, hash chainhash.Hash) bool {
			sh := share
			sh.Nonce = nonce
			// A block's share is filed before it is written, where its
			// result will look; the lock is never held across the write.
			var file func(uint64)
			if pow.HashMeets(hash, j.Difficulty) {
				file = func(id uint64) {
					m.mu.Lock()
					m.pending[id] = hash
					m.mu.Unlock()
				}
			}
			if _, err := c.SubmitFiled(&sh, file); err != nil {
				failed.Store(true) // the session is ending: Next fails too
				return false
			}
			return true
		})
		if failed.Load() || en2 == ^uint32(0) {
			return // no connection, or the whole extra nonce space: wait for the next job
		}
	}
}
