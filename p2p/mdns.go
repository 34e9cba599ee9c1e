package p2p

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// mdnsNotifee dials peers found on the local network.
type mdnsNotifee struct{ h *Host }

func (n mdnsNotifee) HandlePeerFound(info peer.AddrInfo) {
	if info.ID == n.h.h.ID() || n.h.gater.isBanned(info.ID) {
		return
	}
	ctx, cancel := context.WithTimeout(n.h.ctx, 5*time.Second)
	defer cancel()
	if err := n.h.h.Connect(ctx, info); err == nil {
		n.h.log.Info("connected to peer found by mDNS", "peer", info.ID)
	}
}

// startMDNS advertises and discovers peers of the same network on the local network.
func (h *Host) startMDNS() error {
	svc := mdns.NewMdnsService(h.h, "ledger-"+h.cfg.Network, mdnsNotifee{h: h})
	if err := svc.Start(); err != nil {
		return fmt.Errorf("start mDNS: %w", err)
	}
	h.closeMDNS = svc.Close
	return nil
}
