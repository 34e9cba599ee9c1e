package node

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ledgerd/ledger/rule"
)

// metrics are the node's Prometheus series, on a registry of its own.
type metrics struct {
	reg          *prometheus.Registry
	height       prometheus.Gauge
	peers        prometheus.GaugeFunc
	mempool      prometheus.Gauge
	hashrate     prometheus.GaugeFunc
	blocks       prometheus.Counter
	txs          prometheus.Counter
	rejects      *prometheus.CounterVec
	orphans      prometheus.GaugeFunc
	orphanCount  func() float64
	peerCount    func() float64
	hashrateFunc func() float64

	// Operator series (issue 16).
	difficulty    prometheus.Gauge
	mempoolBytes  prometheus.Gauge
	feeRates      prometheus.Histogram
	reorgs        prometheus.Counter
	reorgDepth    prometheus.Histogram
	syncFunc      func() syncFigures
	bannedCount   func() float64
	hookDrops     func() float64
	subscribers   func() float64
	sizeOnDiskFun func() float64
}

// syncFigures are the sync series' values at one scrape.
type syncFigures struct {
	syncing, ibd      bool
	headers, blocks   uint64
	progress, etaSecs float64
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.height = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ledger_chain_height", Help: "Height of the main chain's tip."})
	m.mempool = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ledger_mempool_transactions", Help: "Transactions in the mempool."})
	m.peers = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_peers", Help: "Connected peers."},
		func() float64 { return call(m.peerCount) })
	m.hashrate = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_hashrate", Help: "Mining hash rate in hashes per second."},
		func() float64 { return call(m.hashrateFunc) })
	m.blocks = prometheus.NewCounter(prometheus.CounterOpts{Name: "ledger_blocks_validated_total", Help: "Blocks that passed validation."})
	m.txs = prometheus.NewCounter(prometheus.CounterOpts{Name: "ledger_transactions_validated_total", Help: "Transactions accepted to the mempool."})
	m.rejects = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_rejects_total", Help: "Blocks and transactions rejected, by rule."}, []string{"reason"})
	m.orphans = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_orphan_blocks", Help: "Blocks held waiting for their parent."},
		func() float64 { return call(m.orphanCount) })
	m.registerOperatorSeries()
	m.reg.MustRegister(m.orphans, m.height, m.mempool, m.peers, m.hashrate, m.blocks, m.txs, m.rejects,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func call(f func() float64) float64 {
	if f == nil {
		return 0
	}
	return f()
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) blockProcessed(err error) {
	if err == nil {
		m.blocks.Inc()
		return
	}
	m.reject(err)
}

func (m *metrics) txProcessed(err error) {
	if err == nil {
		m.txs.Inc()
		return
	}
	m.reject(err)
}

// reject counts a rule violation by its code; other failures are not rejects.
func (m *metrics) reject(err error) {
	if code, ok := rule.CodeOf(err); ok {
		m.rejects.WithLabelValues(code.String()).Inc()
	}
}

// registerOperatorSeries adds the difficulty, mempool size and fee-rate,
// reorg, sync, ban, notification and disk series.
func (m *metrics) registerOperatorSeries() {
	m.difficulty = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ledger_difficulty_bits", Help: "Difficulty of the tip in leading zero bits."})
	m.mempoolBytes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ledger_mempool_bytes", Help: "Encoded size of the mempool's transactions in bytes."})
	m.feeRates = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ledger_mempool_fee_rate", Help: "Fee rates of transactions accepted to the mempool, in units per byte.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 12)})
	m.reorgs = prometheus.NewCounter(prometheus.CounterOpts{Name: "ledger_reorgs_total", Help: "Reorganisations of the main chain."})
	m.reorgDepth = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ledger_reorg_depth_blocks", Help: "Blocks disconnected per reorganisation.",
		Buckets: []float64{1, 2, 3, 6, 10, 20, 50, 100}})
	syncGauge := func(name, help string, f func(syncFigures) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if m.syncFunc == nil {
				return 0
			}
			return f(m.syncFunc())
		})
	}
	m.reg.MustRegister(m.difficulty, m.mempoolBytes, m.feeRates, m.reorgs, m.reorgDepth,
		syncGauge("ledger_sync_active", "1 while a block download is under way.", func(s syncFigures) float64 { return b2f(s.syncing) }),
		syncGauge("ledger_initial_block_download", "1 until the node first caught up with the chain.", func(s syncFigures) float64 { return b2f(s.ibd) }),
		syncGauge("ledger_sync_headers_height", "Height of the best chain peers have shown.", func(s syncFigures) float64 { return float64(s.headers) }),
		syncGauge("ledger_sync_blocks_height", "Height of the verified main chain.", func(s syncFigures) float64 { return float64(s.blocks) }),
		syncGauge("ledger_sync_verification_progress", "Share of the best known chain work verified (0-1).", func(s syncFigures) float64 { return s.progress }),
		syncGauge("ledger_sync_eta_seconds", "Estimated seconds to catch up, by recent chain-work rate (0 when synced or unknown).", func(s syncFigures) float64 { return s.etaSecs }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_banned_peers", Help: "Peers currently banned."}, func() float64 { return call(m.bannedCount) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ledger_notify_dropped_total", Help: "Notification hook runs dropped because the hook fell behind."}, func() float64 { return call(m.hookDrops) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_event_subscribers", Help: "Open event stream subscriptions."}, func() float64 { return call(m.subscribers) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_size_on_disk_bytes", Help: "Size of the chain store on disk in bytes."}, func() float64 { return call(m.sizeOnDiskFun) }),
	)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
