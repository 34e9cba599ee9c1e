package p2p

import (
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// BanThreshold is the misbehaviour score at which a peer is disconnected and banned.
const BanThreshold = 100

// DefaultMaxPeersPerIP is how many connections one IP address may hold at
// once unless configured otherwise. Loopback addresses are exempt unless
// Config.CapLoopback is set: local testnets run dozens of nodes on 127.0.0.1.
const DefaultMaxPeersPerIP = 4

// scoreHalfLife is how fast misbehaviour is forgiven: a score halves this often.
const scoreHalfLife = 10 * time.Minute

type misbehaviour struct {
	score float64
	at    time.Time
}

// gater keeps misbehaviour scores and the ban list, and refuses connections
// to and from banned peers, banned addresses, and addresses that already hold
// their share of connections (it is the host's connmgr.ConnectionGater).
type gater struct {
	mu          sync.Mutex
	scores      map[peer.ID]*misbehaviour
	bans        *banList
	banDuration time.Duration
	now         func() time.Time

	// perIP caps connections per address (<= 0: no cap); capLoopback applies it to loopback too.
	perIP       int
	capLoopback bool
	// counter counts the open connections with a remote address of ip;
	// set by the host once its network exists (until then: none).
	counter atomic.Pointer[func(ip netip.Addr) int]
}

func newGater(banDuration time.Duration, now func() time.Time, perIP int, capLoopback bool) *gater {
	return &gater{scores: map[peer.ID]*misbehaviour{}, bans: newBanList(), banDuration: banDuration, now: now,
		perIP: perIP, capLoopback: capLoopback}
}

// countConnsWith sets how open connections per IP are counted.
func (g *gater) countConnsWith(f func(ip netip.Addr) int) { g.counter.Store(&f) }

func (g *gater) connsFrom(ip netip.Addr) int {
	if f := g.counter.Load(); f != nil {
		return (*f)(ip)
	}
	return 0
}

// penalize records points against id, connected from ips. When the score
// reaches BanThreshold it bans the ID and those addresses for the ban
// duration, and the subnet of any address that is now the home of
// SubnetBanThreshold banned IDs; it returns the score and the new bans.
func (g *gater) penalize(id peer.ID, points int, ips []netip.Addr, reason string) (float64, []BanTarget) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	m := g.scores[id]
	if m == nil {
		m = &misbehaviour{at: now}
		g.scores[id] = m
	}
	m.score = m.score*math.Pow(0.5, now.Sub(m.at).Seconds()/scoreHalfLife.Seconds()) + float64(points)
	m.at = now
	if m.score < BanThreshold {
		return m.score, nil
	}
	delete(g.scores, id)
	until := now.Add(g.banDuration)
	banned := []BanTarget{PeerTarget(id)}
	g.bans.add(PeerTarget(id), until, reason)
	for _, ip := range ips {
		g.bans.add(IPTarget(ip), until, reason)
		banned = append(banned, IPTarget(ip))
		if subnet, ok := g.bans.recordOffence(ip, id, now); ok {
			g.bans.add(SubnetTarget(subnet), until, "repeat offenders: "+reason)
			banned = append(banned, SubnetTarget(subnet))
		}
	}
	return BanThreshold, banned
}

// ban adds a ban on t for d and returns the ban in force (an existing
// longer one is kept).
func (g *gater) ban(t BanTarget, d time.Duration, reason string) Ban {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bans.add(t, g.now().Add(d), reason)
	if t.Kind == BanPeer {
		delete(g.scores, t.Peer)
	}
	e, _ := g.bans.get(t)
	return Ban{Target: t, Until: e.until, Reason: e.reason}
}

// unban lifts a ban, reporting whether there was one.
func (g *gater) unban(t BanTarget) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.Kind == BanPeer {
		delete(g.scores, t.Peer)
	}
	return g.bans.remove(t)
}

// banned lists the bans in force, dropping those that have ended.
func (g *gater) banned() []Ban {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.bans.prune(now)
	return g.bans.list(now)
}

// restore adds bans read back from storage.
func (g *gater) restore(bans []Ban) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range bans {
		g.bans.add(b.Target, b.Until, b.Reason)
	}
}

func (g *gater) isBanned(id peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bans.peerBanned(id, g.now())
}

func (g *gater) addrBanned(ip netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bans.addrBanned(ip, g.now())
}

// capped reports whether ip is subject to the per-IP cap.
func (g *gater) capped(ip netip.Addr) bool {
	return g.perIP > 0 && (g.capLoopback || !ip.IsLoopback())
}

// atCap reports whether ip already holds its share of connections.
func (g *gater) atCap(ip netip.Addr) bool {
	return g.capped(ip) && g.connsFrom(ip) >= g.perIP
}

// overCap reports whether ip holds more connections than its share (the
// check after a connection is established, for ones that raced the gate).
func (g *gater) overCap(ip netip.Addr) bool {
	return g.capped(ip) && g.connsFrom(ip) > g.perIP
}

// refuseAddr reports whether a connection with remote address m is refused:
// its IP is banned, or (for a new connection) already at the per-IP cap.
func (g *gater) refuseAddr(m ma.Multiaddr) bool {
	ip, ok := multiaddrIP(m)
	return ok && (g.addrBanned(ip) || g.atCap(ip))
}

func (g *gater) InterceptPeerDial(p peer.ID) bool { return !g.isBanned(p) }

func (g *gater) InterceptAddrDial(p peer.ID, m ma.Multiaddr) bool {
	return !g.isBanned(p) && !g.refuseAddr(m)
}

func (g *gater) InterceptAccept(c network.ConnMultiaddrs) bool {
	return !g.refuseAddr(c.RemoteMultiaddr())
}

func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	if g.isBanned(p) {
		return false
	}
	ip, ok := multiaddrIP(c.RemoteMultiaddr())
	if !ok {
		return true
	}
	return !g.addrBanned(ip) && (dir != network.DirInbound || !g.atCap(ip))
}

func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	return !g.isBanned(c.RemotePeer()), 0
}
