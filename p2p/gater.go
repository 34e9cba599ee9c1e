package p2p

import (
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// BanThreshold is the misbehaviour score at which a peer is disconnected and banned.
const BanThreshold = 100

// scoreHalfLife is how fast misbehaviour is forgiven: a score halves this often.
const scoreHalfLife = 10 * time.Minute

type misbehaviour struct {
	score float64
	at    time.Time
}

// gater keeps misbehaviour scores and the ban list, and refuses connections
// to and from banned peers (it is the host's connmgr.ConnectionGater).
type gater struct {
	mu          sync.Mutex
	scores      map[peer.ID]*misbehaviour
	banned      map[peer.ID]time.Time // until
	banDuration time.Duration
	now         func() time.Time
}

func newGater(banDuration time.Duration) *gater {
	return &gater{scores: map[peer.ID]*misbehaviour{}, banned: map[peer.ID]time.Time{}, banDuration: banDuration, now: time.Now}
}

// add records points against id and reports whether it is now banned.
func (g *gater) add(id peer.ID, points int) (float64, bool) {
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
	if m.score >= BanThreshold {
		g.banned[id] = now.Add(g.banDuration)
		delete(g.scores, id)
		return BanThreshold, true
	}
	return m.score, false
}

func (g *gater) isBanned(id peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.banned[id]
	if !ok {
		return false
	}
	if g.now().After(until) {
		delete(g.banned, id)
		return false
	}
	return true
}

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return !g.isBanned(p) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.isBanned(p) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.isBanned(p)
}
func (g *gater) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	return !g.isBanned(c.RemotePeer()), 0
}
