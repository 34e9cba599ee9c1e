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
