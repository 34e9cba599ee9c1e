package p2p

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Penalize adds misbehaviour points to a peer; at BanThreshold the peer is
// disconnected and refused for the ban duration, and so is every IP address
// it is connected from (a new key from there is refused too). A subnet that
// is home to SubnetBanThreshold banned IDs is banned as a whole. Other peers
// already connected from a banned IP stay connected until they misbehave
// themselves; an explicit Ban of an address disconnects them.
func (h *Host) Penalize(id peer.ID, points int, reason string) {
	if id == h.h.ID() {
		return
	}
	score, banned := h.gater.penalize(id, points, h.remoteIPs(id), reason)
	h.log.Warn("peer misbehaved", "peer", id, "points", points, "score", score, "reason", reason)
	if len(banned) == 0 {
		return
	}
	targets := make([]string, len(banned))
	for i, t := range banned {
		targets[i] = t.String()
		if t.Kind == BanSubnet {
			h.closeMatching(t)
		}
	}
	h.log.Warn("banning peer", "peer", id, "for", h.cfg.BanDuration, "targets", targets)
	h.h.Network().ClosePeer(id)
	h.persistBans()
}

// Ban refuses target (a peer ID, an IP address or a subnet) for d and closes
// every connection it matches. An error wrapping ErrBadBan refuses the ban;
// any other error is a failure to save a ban that is nevertheless in force.
func (h *Host) Ban(target BanTarget, d time.Duration, reason string) (Ban, error) {
	if d <= 0 {
		return Ban{}, fmt.Errorf("%w: %s: duration must be positive, got %s", ErrBadBan, target, d)
	}
	if target.Kind == BanPeer && target.Peer == h.h.ID() {
		return Ban{}, fmt.Errorf("%w: %s is this node's own peer ID", ErrBadBan, target)
	}
	b := h.gater.ban(target, d, reason)
	h.log.Warn("banned", "target", target.String(), "until", b.Until, "reason", reason)
	h.closeMatching(target)
	return b, h.persistBans()
}

// Unban lifts the ban on target; ErrNotBanned when there is none.
func (h *Host) Unban(target BanTarget) error {
	if !h.gater.unban(target) {
		return fmt.Errorf("unban %s: %w", target, ErrNotBanned)
	}
	h.log.Info("unbanned", "target", target.String())
	return h.persistBans()
}

// Banned lists the bans in force, sorted: peer IDs, then IPs, then subnets.
func (h *Host) Banned() []Ban { return h.gater.banned() }

// IsBanned reports whether a peer ID is currently refused.
func (h *Host) IsBanned(id peer.ID) bool { return h.gater.isBanned(id) }

// persistBans writes the ban list to the data directory (nothing without
// one). Saves are serialised and each writes the list as it is when the
// save starts, so the last save leaves the newest list.
func (h *Host) persistBans() error {
	if h.bans == nil {
		return nil
	}
	h.saveMu.Lock()
	defer h.saveMu.Unlock()
	if err := h.bans.save(h.gater.banned()); err != nil {
		h.log.Error("bans not saved; they hold until the node stops", "err", err)
		return err
	}
	return nil
}

// remoteIPs lists the addresses a peer is connected from or, once it has
// gone, the addresses it was last connected from.
func (h *Host) remoteIPs(id peer.ID) []netip.Addr {
	var out []netip.Addr
	for _, c := range h.h.Network().ConnsToPeer(id) {
		if ip, ok := multiaddrIP(c.RemoteMultiaddr()); ok {
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		out = h.recent.of(id)
	}
	return out
}

// connsFrom counts open connections whose remote address is ip.
func (h *Host) connsFrom(ip netip.Addr) int {
	n := 0
	for _, c := range h.h.Network().Conns() {
		if got, ok := multiaddrIP(c.RemoteMultiaddr()); ok && got == ip {
			n++
		}
	}
	return n
}

// closeMatching closes the connections a ban target matches.
func (h *Host) closeMatching(t BanTarget) {
	if t.Kind == BanPeer {
		h.h.Network().ClosePeer(t.Peer)
		return
	}
	for _, c := range h.h.Network().Conns() {
		if ip, ok := multiaddrIP(c.RemoteMultiaddr()); ok && t.Prefix.Contains(ip) {
			c.Close()
		}
	}
}

// refuseOverCap notes a new connection's address and closes it when it is
// inbound and took its address past the per-IP cap (connections racing
// through the gate at once), reporting whether it did.
func (h *Host) refuseOverCap(c network.Conn) bool {
	ip, ok := multiaddrIP(c.RemoteMultiaddr())
	if !ok {
		return false
	}
	h.recent.note(c.RemotePeer(), ip)
	if c.Stat().Direction != network.DirInbound || !h.gater.overCap(ip) {
		return false
	}
	h.log.Debug("too many connections from one address", "ip", ip, "peer", c.RemotePeer())
	c.Close()
	return true
}
