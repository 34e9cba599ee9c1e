// Package events is the node's notification bus: blocks connected to the
// main chain, transactions accepted to the mempool and reorganisations, as
// small JSON-ready values. The RPC streams them as server-sent events, the
// --blocknotify/--walletnotify hooks run commands for them, and the explorer
// can subscribe to the same bus.
//
// Publishing never blocks: a subscriber that does not keep up loses the
// events its buffer cannot hold, and can see how many with Dropped.
package events

import (
	"sync"
	"sync/atomic"
)

// Event types.
const (
	TypeBlock = "block"
	TypeTx    = "tx"
	TypeReorg = "reorg"
)

// Event is one notification. Type says which fields are set:
//
//	block: hash, height, prev, time, txs, difficulty
//	tx:    txid, size, fee, fee_rate
//	reorg: old_tip, new_tip, fork_height, disconnected, connected
type Event struct {
	Type string `json:"type"`

	Hash       string  `json:"hash,omitempty"`
	Height     uint64  `json:"height,omitempty"`
	Prev       string  `json:"prev,omitempty"`
	Time       int64   `json:"time,omitempty"`
	Txs        int     `json:"txs,omitempty"`
	Difficulty float64 `json:"difficulty,omitempty"`

	TxID    string `json:"txid,omitempty"`
	Size    int    `json:"size,omitempty"`
	Fee     int64  `json:"fee,omitempty"`
	FeeRate int64  `json:"fee_rate,omitempty"`

	OldTip       string `json:"old_tip,omitempty"`
	NewTip       string `json:"new_tip,omitempty"`
	ForkHeight   uint64 `json:"fork_height,omitempty"`
	Disconnected int    `json:"disconnected,omitempty"`
	Connected    int    `json:"connected,omitempty"`
}

// DefaultBuffer is a subscription's buffer when Subscribe is given 0.
const DefaultBuffer = 1024

// Bus fans events out to subscribers. The zero value is ready to use.
type Bus struct {
	mu     sync.Mutex
	subs   map[*Sub]struct{}
	closed bool
}

// Sub is one subscription; read events from C until it is closed.
type Sub struct {
	bus     *Bus
	ch      chan Event
	dropped atomic.Uint64
	once    sync.Once
}

// C yields the subscription's events; it is closed when the subscription or the bus is.
func (s *Sub) C() <-chan Event { return s.ch }

// Dropped counts the events this subscription lost because its buffer was full.
func (s *Sub) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription.
func (s *Sub) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	s.closeLocked()
}

func (s *Sub) closeLocked() {
	s.once.Do(func() {
		delete(s.bus.subs, s)
		close(s.ch)
	})
}

// Subscribe starts a subscription holding up to buffer undelivered events
// (DefaultBuffer when buffer <= 0). On a closed bus it returns a closed subscription.
func (b *Bus) Subscribe(buffer int) *Sub {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	s := &Sub{bus: b, ch: make(chan Event, buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closeLocked()
		return s
	}
	if b.subs == nil {
		b.subs = map[*Sub]struct{}{}
	}
	b.subs[s] = struct{}{}
	return s
}

// Publish delivers e to every subscriber without waiting for any of them.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// Subscribers returns how many subscriptions are open.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription; later subscriptions start closed.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		s.closeLocked()
	}
}
