package miner

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
)

// Config sets up a Miner.
type Config struct {
	Params  *chaincfg.Params
	Chain   TipSource
	Pool    TxSource
	PayTo   [32]byte
	Threads int
	// Submit hands a solved block to the node, which validates and gossips it
	// exactly as it would a block from a peer.
	Submit func(*block.Block) error
	// Refresh is how often the template is rebuilt to pick up new mempool
	// transactions and a fresh timestamp (default 5 s).
	Refresh time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	// OnTemplate, when set, is told of every template the miner starts searching.
	OnTemplate func(*Template)
}

// hashRateLogInterval is how often a running miner logs its hash rate.
const hashRateLogInterval = 30 * time.Second

// Miner searches for blocks in the background until its context ends.
type Miner struct {
	cfg      Config
	newTip   chan struct{}
	counters []atomic.Uint64
	rate     *rateMeter
	extra    atomic.Uint64
	found    atomic.Uint64
}

// New returns a miner; call Run to start it.
func New(cfg Config) *Miner {
	if cfg.Threads < 1 {
		cfg.Threads = 1
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Miner{cfg: cfg, newTip: make(chan struct{}, 1), counters: make([]atomic.Uint64, cfg.Threads)}
	m.rate = newRateMeter(m.counters, 5*time.Second)
	return m
}

// NotifyNewTip tells the miner the chain tip changed: the current search is
// abandoned and a template on the new tip is built at once.
func (m *Miner) NotifyNewTip() {
	select {
	case m.newTip <- struct{}{}:
	default:
	}
}

// HashRate returns the hashes per second over the last few seconds, in total and per thread.
func (m *Miner) HashRate() (float64, []float64) { return m.rate.rates() }

// BlocksFound returns how many blocks this miner has found.
func (m *Miner) BlocksFound() uint64 { return m.found.Load() }

// Run mines until ctx is cancelled.
func (m *Miner) Run(ctx context.Context) {
	sampler := time.NewTicker(time.Second)
	defer sampler.Stop()
	m.rate.sample(time.Now())
	go func() {
		lastLog := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-sampler.C:
				m.rate.sample(now)
				if now.Sub(lastLog) >= hashRateLogInterval {
					lastLog = now
					total, per := m.HashRate()
					m.cfg.Logger.Debug("hash rate", "hps", int64(total), "per_thread", per, "blocks_found", m.found.Load())
				}
			}
		}
	}()
	for ctx.Err() == nil {
		m.round(ctx)
	}
}

// round builds one template and searches it until it is solved, the tip
// changes, the refresh interval passes, or ctx ends.
func (m *Miner) round(ctx context.Context) {
	tmpl := NewTemplate(m.cfg.Params, m.cfg.Chain, m.cfg.Pool, m.cfg.PayTo, m.extra.Add(1)<<32, m.cfg.Now().Unix())
	if m.cfg.OnTemplate != nil {
		m.cfg.OnTemplate(tmpl)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	solved := make(chan bool, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		solved <- Solve(tmpl, m.cfg.Threads, &stop, m.counters)
	}()
	refresh := time.NewTimer(m.cfg.Refresh)
	defer refresh.Stop()
	select {
	case ok := <-solved:
		wg.Wait()
		if ok {
			m.found.Add(1)
			b := tmpl.Block
			m.cfg.Logger.Debug("mined block", "height", tmpl.Height, "hash", b.Hash(), "txs", len(b.Txs), "fees", tmpl.Fees)
			if err := m.cfg.Submit(b); err != nil {
				m.cfg.Logger.Warn("mined block rejected", "hash", b.Hash(), "err", err)
			}
		}
		return
	case <-m.newTip:
	case <-refresh.C:
	case <-ctx.Done():
	}
	stop.Store(true)
	wg.Wait()
}
