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

// BannedCount returns how many bans (peer IDs, addresses and subnets) are in force.
func (h *Host) BannedCount() int { return len(h.Banned()) }
