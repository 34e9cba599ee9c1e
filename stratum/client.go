package stratum

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ledgerd/ledger/pow"
)

// ErrRefused wraps a pool's refusal to authorize: retrying will not help.
var ErrRefused = errors.New("pool refused the worker")

// Event is one message from the pool after the handshake: a new job, a new
// share difficulty, or the answer to a submitted share.
type Event struct {
	Job        *Job
	Difficulty pow.Difficulty // set (non-zero) for mining.set_difficulty
	Result     *SubmitResult
}

// SubmitResult is the pool's answer to one share.
type SubmitResult struct {
	ID       uint64
	Accepted bool
	Err      *Error
}

// Client is a miner's connection to a pool. One goroutine reads with Next;
// any may Submit.
type Client struct {
	nc       net.Conn
	r        *bufio.Reader
	en1      []byte
	en2Size  int
	backlog  []Event
	wmu      sync.Mutex
	nextID   uint64
	deadline time.Duration
}

// clientTimeout bounds the handshake and each write.
const clientTimeout = 10 * time.Second

// Dial connects to a pool at addr (host:port), subscribes and authorizes
// user. A refused authorization is reported wrapping ErrRefused.
func Dial(ctx context.Context, addr, user, agent string) (*Client, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, clientTimeout)
	defer cancel()
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewClient(nc, user, agent)
}

// NewClient subscribes and authorizes user over nc, an open connection to a
// pool, and closes nc if that fails. A refused authorization is reported
// wrapping ErrRefused.
func NewClient(nc net.Conn, user, agent string) (*Client, error) {
	c := &Client{nc: nc, r: bufio.NewReaderSize(nc, MaxLineBytes+1), nextID: 2, deadline: clientTimeout}
	nc.SetDeadline(time.Now().Add(clientTimeout))
	if err := c.handshake(user, agent); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *Client) handshake(user, agent string) error {
	if _, err := c.nc.Write(request(json.RawMessage("1"), MethodSubscribe, agent)); err != nil {
		return err
	}
	res, err := c.await(1)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	var en1 string
	var size int
	if e := params(res, 3, new(json.RawMessage), &en1, &size); e != nil {
		return fmt.Errorf("subscribe: %w: %s", ErrMalformed, e.Message)
	}
	if c.en1, err = hex.DecodeString(en1); err != nil || len(c.en1) != ExtraNonce1Size || size != ExtraNonce2Size {
		return fmt.Errorf("subscribe: %w: extra nonce %q of size %d, want %d and %d bytes", ErrMalformed, clip(en1), size, ExtraNonce1Size, ExtraNonce2Size)
	}
	c.en2Size = size
	if _, err := c.nc.Write(request(json.RawMessage("2"), MethodAuthorize, user, "")); err != nil {
		return err
	}
	if _, err := c.await(2); err != nil {
		var se *Error
		if errors.As(err, &se) {
			return fmt.Errorf("%w: %s", ErrRefused, se.Message)
		}
		return fmt.Errorf("authorize: %w", err)
	}
	return nil
}

// await reads until the response to id, keeping notifications for Next.
func (c *Client) await(id uint64) (json.RawMessage, error) {
	for {
		m, err := c.read()
		if err != nil {
			return nil, err
		}
		if m.Method != "" {
			ev, err := eventOf(m)
			if err != nil {
				return nil, err
			}
			if ev != nil {
				c.backlog = append(c.backlog, *ev)
			}
			continue
		}
		if got, err := strconv.ParseUint(string(m.ID), 10, 64); err != nil || got != id {
			if m.Error != nil && string(m.ID) == "null" {
				return nil, m.Error // the pool's last word before closing
			}
			continue
		}
		if m.Error != nil {
			return nil, m.Error
		}
		return m.Result, nil
	}
}

func (c *Client) read() (*Message, error) {
	line, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: pool sent a line longer than %d bytes", ErrMalformed, MaxLineBytes)
	}
	if err != nil {
		return nil, err
	}
	return DecodeMessage(line)
}

// eventOf turns a notification into an event; unknown methods give nil.
func eventOf(m *Message) (*Event, error) {
	switch m.Method {
	case MethodNotify:
		j, err := DecodeJob(m.Params)
		if err != nil {
			return nil, err
		}
		return &Event{Job: j}, nil
	case MethodSetDifficulty:
		var bits float64
		if e := params(m.Params, 1, &bits); e != nil || bits <= 0 || bits > pow.MaxDifficulty.Bits() {
			return nil, fmt.Errorf("%w: set_difficulty: want a number of bits in (0, %g]", ErrMalformed, pow.MaxDifficulty.Bits())
		}
		return &Event{Difficulty: pow.FromBits(bits)}, nil
	}
	return nil, nil
}

// ExtraNonce1 returns the connection's extra nonce half assigned by the pool.
func (c *Client) ExtraNonce1() []byte { return c.en1 }

// Next blocks until the pool sends a job, a difficulty or a share result.
func (c *Client) Next() (Event, error) {
	if len(c.backlog) > 0 {
		ev := c.backlog[0]
		c.backlog = c.backlog[1:]
		return ev, nil
	}
	for {
		m, err := c.read()
		if err != nil {
			return Event{}, err
		}
		if m.Method != "" {
			ev, err := eventOf(m)
			if err != nil {
				return Event{}, err
			}
			if ev != nil {
				return *ev, nil
			}
			continue
		}
		id, err := strconv.ParseUint(string(m.ID), 10, 64)
		if err != nil {
			if m.Error != nil {
				return Event{}, m.Error // the pool's last word before closing
			}
			continue
		}
		res := &SubmitResult{ID: id, Err: m.Error}
		if m.Error == nil {
			json.Unmarshal(m.Result, &res.Accepted)
		}
		return Event{Result: res}, nil
	}
}

// Submit sends a share and returns the id its result will carry.
func (c *Client) Submit(s *Share) (uint64, error) { return c.SubmitFiled(s, nil) }

// SubmitFiled is Submit calling file, when not nil, with the share's id
// before the share is written, so that the caller can file the share where
// its result, read by Next at any moment after, will find it. The write may
// block while the pool is not reading; file must not wait for Next.
func (c *Client) SubmitFiled(s *Share, file func(id uint64)) (uint64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nextID++
	id := c.nextID
	if file != nil {
		file(id)
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.deadline))
	_, err := c.nc.Write(request(json.RawMessage(strconv.FormatUint(id, 10)), MethodSubmit, s.params()...))
	return id, err
}

// Close ends the connection; a blocked Next returns.
func (c *Client) Close() error { return c.nc.Close() }
