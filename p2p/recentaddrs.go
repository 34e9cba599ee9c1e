package p2p

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// maxRecentPeers bounds how many peers' addresses are remembered.
const maxRecentPeers = 4096

// recentAddrs remembers the addresses peers connected from, after they have
// gone too, so a peer penalised just after it disconnects (a timeout, say) is
// still banned by address. The oldest peer is forgotten first.
type recentAddrs struct {
	mu    sync.Mutex
	addrs map[peer.ID][]netip.Addr
	order []peer.ID
}

func newRecentAddrs() *recentAddrs { return &recentAddrs{addrs: map[peer.ID][]netip.Addr{}} }

// note records that id is connected from ip.
func (r *recentAddrs) note(id peer.ID, ip netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	known, ok := r.addrs[id]
	if slices.Contains(known, ip) {
		return
	}
	if !ok {
		if len(r.order) >= maxRecentPeers {
			delete(r.addrs, r.order[0])
			r.order = r.order[1:]
		}
		r.order = append(r.order, id)
	}
	if len(known) >= 4 { // a peer with many addresses: keep the latest few
		known = known[1:]
	}
	r.addrs[id] = append(slices.Clone(known), ip)
}

// of returns the addresses id was last seen at.
func (r *recentAddrs) of(id peer.ID) []netip.Addr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.addrs[id])
}
