package stratum

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// Per-connection bounds on remembered state.
const (
	// maxJobs is how many of its latest jobs a connection may still submit
	// shares for while the tip stays the same.
	maxJobs = 8
	// maxSeen bounds the share hashes remembered per connection for
	// duplicate detection; they are forgotten on every clean job.
	maxSeen = 1 << 14
	// maxAuthFailures bad authorizations close the connection.
	maxAuthFailures = 3
)

// connJob is a job as sent to one connection.
type connJob struct {
	job  *Job
	work *work
	diff pow.Difficulty
}

// conn is one miner's connection. The read loop owns the protocol state;
// the mutex guards what the job loop also touches.
type conn struct {
	s  *Server
	nc net.Conn
	// log gains the worker on authorization; the writer reads it when it closes.
	log atomic.Pointer[slog.Logger]
	en1 [ExtraNonce1Size]byte
	out chan outLine
	// replies holds a token for every reply in out: replies may take
	// replyRoom of its places, the rest is kept for notifications.
	replies   chan struct{}
	replyRoom int
	done      chan struct{}
	once      sync.Once

	limiter      *rate.Limiter
	strikes      int
	authFailures int

	mu         sync.Mutex
	subscribed bool
	authorized bool
	worker     string
	payTo      [32]byte
	vd         *vardiff
	jobs       map[string]*connJob
	order      []string
	jobSeq     uint64
	seen       map[chainhash.Hash]struct{}
}

func newConn(s *Server, nc net.Conn, en1 uint32) *conn {
	queue := s.cfg.Limits.SendQueue
	room := queue - queue/2
	c := &conn{
		s: s, nc: nc, out: make(chan outLine, queue), done: make(chan struct{}),
		replies: make(chan struct{}, room), replyRoom: room,
		limiter: rate.NewLimiter(rate.Limit(s.cfg.Limits.ShareRate), s.cfg.Limits.ShareBurst),
		jobs:    make(map[string]*connJob), seen: make(map[chainhash.Hash]struct{}),
	}
	binary.BigEndian.PutUint32(c.en1[:], en1)
	c.log.Store(s.cfg.Logger.With("miner", nc.RemoteAddr().String(), "extranonce1", hex.EncodeToString(c.en1[:])))
	return c
}

// close ends the connection once, for the reason given.
func (c *conn) close(reason string) {
	c.once.Do(func() {
		close(c.done)
		c.nc.Close()
		c.s.remove(c)
		c.log.Load().Debug("stratum connection closed", "reason", reason)
	})
}

// outLine is a line queued for the writer.
type outLine struct {
	b     []byte
	reply bool // holds a token in replies
}

// send queues a notification for the writer. A full queue means the miner
// reads too slowly to keep up; it is dropped rather than let it hold the
// node back.
func (c *conn) send(line []byte) {
	select {
	case c.out <- outLine{b: line}:
	case <-c.done:
	default:
		c.log.Load().Warn("dropping stratum miner: it reads too slowly, its send queue is full", "queued", len(c.out), "replies", len(c.replies))
		c.close("send queue full")
	}
}

// reply queues the answer to a request, waiting for room: a miner sending
// requests faster than it reads the answers only slows its own read loop.
// Replies take at most replyRoom places in the queue, so that such a miner
// still has room for its jobs and is not dropped for the flood. A miner
// that stops reading altogether fails the writer's deadline.
func (c *conn) reply(line []byte) {
	select {
	case c.replies <- struct{}{}:
	case <-c.done:
		return
	}
	select {
	case c.out <- outLine{b: line, reply: true}:
	case <-c.done:
	}
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.done:
			return
		case line := <-c.out:
			if line.reply {
				<-c.replies
			}
			c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.Limits.WriteTimeout))
			if _, err := c.nc.Write(line.b); err != nil {
				c.close("write: " + err.Error())
				return
			}
		}
	}
}

// fail sends a last error notice and closes the connection. The notice is
// written directly, as the queue may be what failed.
func (c *conn) fail(id json.RawMessage, e *Error) {
	c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	c.nc.Write(response(id, nil, e))
	c.close(e.Message)
}

func (c *conn) readLoop(ctx context.Context) {
	defer c.close("read loop ended")
	r := bufio.NewReaderSize(c.nc, MaxLineBytes+1)
	for ctx.Err() == nil {
		c.mu.Lock()
		timeout := c.s.cfg.Limits.IdleTimeout
		if !c.authorized {
			timeout = c.s.cfg.Limits.AuthTimeout
		}
		c.mu.Unlock()
		c.nc.SetReadDeadline(time.Now().Add(timeout))
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			c.fail(nil, errorf(CodeParse, "line longer than %d bytes", MaxLineBytes))
			return
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.fail(nil, errorf(CodeOther, "no message for %s: closing idle connection", timeout))
			return
		}
		if err != nil {
			return
		}
		line = []byte(strings.TrimSpace(string(line)))
		if len(line) == 0 {
			continue
		}
		m, err := DecodeMessage(line)
		if err != nil {
			c.fail(nil, errorf(CodeParse, "%v", err))
			return
		}
		if !m.IsRequest() {
			continue // responses and notifications from a miner need no answer
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle answers one request; false closes the connection.
func (c *conn) handle(m *Message) bool {
	switch m.Method {
	case MethodSubscribe:
		c.mu.Lock()
		c.subscribed = true
		c.mu.Unlock()
		en1 := hex.EncodeToString(c.en1[:])
		c.reply(response(m.ID, []any{[][]string{{MethodSetDifficulty, en1}, {MethodNotify, en1}}, en1, ExtraNonce2Size}, nil))
	case MethodAuthorize:
		if e := c.authorize(m.Params); e != nil {
			c.authFailures++
			if c.authFailures >= maxAuthFailures {
				c.fail(m.ID, errorf(e.Code, "%s (%d failed authorizations: closing)", e.Message, c.authFailures))
				return false
			}
			c.reply(response(m.ID, nil, e))
			return true
		}
		c.reply(response(m.ID, true, nil))
		c.sendJob(c.s.currentWork(), true)
	case MethodSubmit:
		ok, e := c.submit(m.Params)
		if e != nil {
			c.s.rejected.Add(1)
			if e.Code == CodeRateLimited {
				c.strikes++
				if c.strikes >= c.s.cfg.Limits.MaxRateStrikes {
					c.fail(m.ID, errorf(CodeRateLimited, "%s; %d shares over the limit: closing", e.Message, c.strikes))
					return false
				}
			}
			c.reply(response(m.ID, nil, e))
			return true
		}
		c.s.accepted.Add(1)
		c.reply(response(m.ID, ok, nil))
	default:
		c.reply(response(m.ID, nil, errorf(CodeNoMethod, "unknown method %q", clip(m.Method))))
	}
	return true
}

// authorize checks the user name, a payout address of this network
// (optionally followed by ".rigname"), and sets the connection's payout.
func (c *conn) authorize(raw json.RawMessage) *Error {
	var user string
	if e := params(raw, 1, &user); e != nil {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.subscribed {
		return errorf(CodeNotSubscribed, "send mining.subscribe before mining.authorize")
	}
	addr, _, _ := strings.Cut(user, ".")
	pub, err := tx.DecodeAddress(c.s.cfg.Params.AddressHRP, addr)
	if err != nil {
		return errorf(CodeUnauthorized, "user name must be a payout address of %s (prefix %q): %v", c.s.cfg.Params.Name, c.s.cfg.Params.AddressHRP, err)
	}
	if c.authorized && pub != c.payTo {
		return errorf(CodeUnauthorized, "this connection already pays %s; open another connection for another address", c.worker)
	}
	c.authorized, c.worker, c.payTo = true, addr, pub
	if c.vd == nil {
		c.vd = newVardiff(c.s.cfg.Vardiff, c.s.cfg.Now())
	}
	c.log.Store(c.log.Load().With("worker", addr))
	c.log.Load().Info("stratum worker authorized")
	return nil
}

// sendJob sends the connection a job for w: a mining.set_difficulty first
// when its share difficulty changed, then the mining.notify.
func (c *conn) sendJob(w *work, clean bool) {
	c.mu.Lock()
	if !c.authorized {
		c.mu.Unlock()
		return
	}
	diff, changed := c.vd.update(c.s.cfg.Now(), 0)
	c.sendJobLocked(w, clean, diff, changed || clean && c.jobSeq == 0)
	c.mu.Unlock()
}

// sendJobLocked registers and queues a job; c.mu is held.
func (c *conn) sendJobLocked(w *work, clean bool, diff pow.Difficulty, announce bool) {
	c.jobSeq++
	id := strconv.FormatUint(c.jobSeq, 16)
	if clean {
		clear(c.jobs)
		clear(c.seen)
		c.order = c.order[:0]
	}
	j := w.job(id, c.s.cfg.Payout.Outputs(c.payTo, w.reward), clean)
	c.jobs[id] = &connJob{job: j, work: w, diff: shareDifficulty(diff, w.difficulty, c.s.cfg.Vardiff.Min)}
	c.order = append(c.order, id)
	if len(c.order) > maxJobs {
		delete(c.jobs, c.order[0])
		c.order = c.order[1:]
	}
	if announce {
		c.send(request(nil, MethodSetDifficulty, c.jobs[id].diff.Bits()))
	}
	c.send(request(nil, MethodNotify, j.notifyParams()...))
}

// submit validates a share; a share that is also a block is submitted to
// the chain before the miner hears back.
func (c *conn) submit(raw json.RawMessage) (bool, *Error) {
	now := c.s.cfg.Now()
	if !c.limiter.AllowN(now, 1) {
		return false, errorf(CodeRateLimited, "more than %g shares per second: slow down", c.s.cfg.Limits.ShareRate)
	}
	s, e := DecodeShare(raw)
	if e != nil {
		return false, e
	}
	c.mu.Lock()
	if !c.subscribed {
		c.mu.Unlock()
		return false, errorf(CodeNotSubscribed, "send mining.subscribe first")
	}
	if !c.authorized {
		c.mu.Unlock()
		return false, errorf(CodeUnauthorized, "send mining.authorize first")
	}
	if name, _, _ := strings.Cut(s.Worker, "."); name != c.worker {
		c.mu.Unlock()
		return false, errorf(CodeUnauthorized, "worker %q is not authorized on this connection", clip(s.Worker))
	}
	cj, ok := c.jobs[s.JobID]
	if !ok {
		c.mu.Unlock()
		return false, errorf(CodeStale, "job %q not found: stale (the tip moved) or unknown", clip(s.JobID))
	}
	res, e := checkShare(cj.job, cj.work, c.en1[:], s, cj.diff)
	if e != nil {
		c.mu.Unlock()
		return false, e
	}
	if _, dup := c.seen[res.hash]; dup {
		c.mu.Unlock()
		return false, errorf(CodeDuplicate, "duplicate share %s", res.hash)
	}
	if len(c.seen) >= maxSeen {
		c.mu.Unlock()
		return false, errorf(CodeOther, "%d shares on this tip is the most one connection may send; wait for the next block", maxSeen)
	}
	c.seen[res.hash] = struct{}{}
	diff, changed := c.vd.update(now, 1)
	if changed {
		// The new difficulty applies from a new job on the same work.
		c.sendJobLocked(c.s.currentWork(), false, diff, true)
	}
	c.mu.Unlock()
	if res.block != nil {
		height := cj.work.height
		if err := c.s.cfg.SubmitBlock(res.block); err != nil {
			// The work was done as asked; the chain moving on is not the miner's fault.
			c.log.Load().Warn("block from stratum worker not accepted", "height", height, "hash", res.hash, "err", err)
		} else {
			c.s.blocks.Add(1)
			c.log.Load().Info("block found by stratum worker", "height", height, "hash", res.hash)
		}
	}
	return true, nil
}
