package p2p

import (
	"github.com/libp2p/go-libp2p"
	"github.com/prometheus/client_golang/prometheus"
)

// metricsOption sends libp2p's own metrics (connections, streams, identify,
// resource manager) to reg, or turns them off when reg is nil, so nothing
// lands in the global registry.
func metricsOption(reg prometheus.Registerer) libp2p.Option {
	if reg == nil {
		return libp2p.DisableMetrics()
	}
	return libp2p.PrometheusRegisterer(reg)
}

// BannedCount returns how many peers are banned now.
func (h *Host) BannedCount() int {
	g := h.gater
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	n := 0
	for _, until := range g.banned {
		if now.Before(until) {
			n++
		}
	}
	return n
}
