package p2p

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Ban scope. A peer that reaches BanThreshold is banned by its ID and by
// every IP address it is connected from, so a fresh key from the same address
// is refused. When SubnetBanThreshold distinct IDs from one subnet (/24 for
// IPv4, /64 for IPv6) are banned within SubnetBanWindow, the whole subnet is
// banned too. Loopback addresses are banned by exact IP but never escalated
// to a subnet: 127.0.0.0/8 is this machine.
const (
	SubnetBanThreshold = 3
	SubnetBanWindow    = 24 * time.Hour
	// MaxBans bounds the ban list; past it the ban that ends soonest is dropped.
	MaxBans = 10_000
	// subnetBitsV4 and subnetBitsV6 are the subnets repeat offenders are banned by.
	subnetBitsV4 = 24
	subnetBitsV6 = 64
)

// ErrNotBanned reports an Unban of a target that is not banned.
var ErrNotBanned = errors.New("not banned")

// ErrBadBan reports a Ban that cannot be applied as asked (its own ID, a
// duration that is not positive).
var ErrBadBan = errors.New("bad ban")

// BanKind says what a ban matches.
type BanKind int

const (
	// BanPeer matches one peer ID.
	BanPeer BanKind = iota
	// BanIP matches one IP address.
	BanIP
	// BanSubnet matches every address in a CIDR subnet.
	BanSubnet
)

// BanTarget is what a ban refuses: a peer ID, an IP address or a subnet.
type BanTarget struct {
	Kind BanKind
	Peer peer.ID
	// Prefix is the subnet; for BanIP a full-length prefix (/32 or /128).
	Prefix netip.Prefix
}

// PeerTarget, IPTarget and SubnetTarget build targets.
func PeerTarget(id peer.ID) BanTarget { return BanTarget{Kind: BanPeer, Peer: id} }

// IPTarget bans one address (IPv4-mapped IPv6 addresses are taken as IPv4).
func IPTarget(ip netip.Addr) BanTarget {
	ip = ip.Unmap().WithZone("")
	return BanTarget{Kind: BanIP, Prefix: netip.PrefixFrom(ip, ip.BitLen())}
}

// SubnetTarget bans a subnet (masked to its prefix length).
func SubnetTarget(p netip.Prefix) BanTarget {
	if p.Bits() == p.Addr().BitLen() {
		return IPTarget(p.Addr())
	}
	return BanTarget{Kind: BanSubnet, Prefix: p.Masked()}
}

// String is the canonical form: the peer ID, the IP address, or the CIDR.
func (t BanTarget) String() string {
	switch t.Kind {
	case BanPeer:
		return t.Peer.String()
	case BanIP:
		return t.Prefix.Addr().String()
	}
	return t.Prefix.String()
}

// ParseBanTarget reads a peer ID, an IP address, a CIDR subnet, or a
// multiaddr: one with an IP component bans that IP (as shown by `node peers`),
// one with only /p2p/ID bans that peer.
func ParseBanTarget(s string) (BanTarget, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return BanTarget{}, errors.New("empty ban target: give a peer ID, an IP address, a CIDR subnet or a multiaddr")
	case strings.HasPrefix(s, "/"):
		return parseMultiaddrTarget(s)
	case strings.Contains(s, "/"):
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return BanTarget{}, fmt.Errorf("ban target %q is not a CIDR subnet: %w", s, err)
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return BanTarget{}, fmt.Errorf("ban target %q: an IPv4-mapped subnet needs at least /96", s)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Bits() == 0 {
			return BanTarget{}, fmt.Errorf("ban target %q would ban every address", s)
		}
		return SubnetTarget(p), nil
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		if ip.IsUnspecified() {
			return BanTarget{}, fmt.Errorf("ban target %q is the unspecified address", s)
		}
		return IPTarget(ip), nil
	}
	id, err := peer.Decode(s)
	if err != nil {
		return BanTarget{}, fmt.Errorf("ban target %q is not a peer ID, IP address, CIDR subnet or multiaddr", s)
	}
	return PeerTarget(id), nil
}

func parseMultiaddrTarget(s string) (BanTarget, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return BanTarget{}, fmt.Errorf("ban target %q is not a valid multiaddr: %w", s, err)
	}
	if ip, ok := multiaddrIP(m); ok {
		return IPTarget(ip), nil
	}
	if v, err := m.ValueForProtocol(ma.P_P2P); err == nil {
		id, err := peer.Decode(v)
		if err != nil {
			return BanTarget{}, fmt.Errorf("ban target %q: bad peer ID: %w", s, err)
		}
		return PeerTarget(id), nil
	}
	return BanTarget{}, fmt.Errorf("ban target %q has neither an IP address nor a /p2p/ID", s)
}

// multiaddrIP returns the IP address of a multiaddr such as /ip4/1.2.3.4/tcp/1.
func multiaddrIP(m ma.Multiaddr) (netip.Addr, bool) {
	if m == nil {
		return netip.Addr{}, false
	}
	ip, err := manet.ToIP(m)
	if err != nil {
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(ip)
	return addr.Unmap(), ok
}

// Ban is one entry of the ban list.
type Ban struct {
	Target BanTarget
	Until  time.Time
	Reason string
}

type banEntry struct {
	until  time.Time
	reason string
}

type offence struct {
	id peer.ID
	at time.Time
}

// banList holds bans by peer ID, IP and subnet, and the recent offences per
// subnet that escalate to a subnet ban. It is plain data: the caller locks
// it and passes the time.
type banList struct {
	ids      map[peer.ID]banEntry
	ips      map[netip.Addr]banEntry
	subnets  map[netip.Prefix]banEntry
	offences map[netip.Prefix][]offence
}

func newBanList() *banList {
	return &banList{ids: map[peer.ID]banEntry{}, ips: map[netip.Addr]banEntry{},
		subnets: map[netip.Prefix]banEntry{}, offences: map[netip.Prefix][]offence{}}
}

func (l *banList) len() int { return len(l.ids) + len(l.ips) + len(l.subnets) }

// add bans t until the given time, keeping an existing later end. It reports
// whether the list changed.
func (l *banList) add(t BanTarget, until time.Time, reason string) bool {
	e := banEntry{until: until, reason: reason}
	switch t.Kind {
	case BanPeer:
		return putLater(l.ids, t.Peer, e, l.evict)
	case BanIP:
		return putLater(l.ips, t.Prefix.Addr(), e, l.evict)
	}
	return putLater(l.subnets, t.Prefix, e, l.evict)
}

// putLater stores e under k unless an entry ending later is there; before
// storing a new key it makes room with evict.
func putLater[K comparable](m map[K]banEntry, k K, e banEntry, evict func()) bool {
	old, ok := m[k]
	if ok && !old.until.Before(e.until) {
		return false
	}
	if !ok {
		evict()
	}
	m[k] = e
	return true
}

// evict drops the entry that ends soonest while the list is full.
func (l *banList) evict() {
	if l.len() < MaxBans {
		return
	}
	var soonest *Ban
	for _, b := range l.list(time.Time{}) {
		if soonest == nil || b.Until.Before(soonest.Until) {
			soonest = &b
		}
	}
	if soonest != nil {
		l.remove(soonest.Target)
	}
}

// get returns the entry for t.
func (l *banList) get(t BanTarget) (banEntry, bool) {
	var e banEntry
	var ok bool
	switch t.Kind {
	case BanPeer:
		e, ok = l.ids[t.Peer]
	case BanIP:
		e, ok = l.ips[t.Prefix.Addr()]
	default:
		e, ok = l.subnets[t.Prefix]
	}
	return e, ok
}

// remove lifts the ban on t and reports whether there was one.
func (l *banList) remove(t BanTarget) bool {
	var ok bool
	switch t.Kind {
	case BanPeer:
		_, ok = l.ids[t.Peer]
		delete(l.ids, t.Peer)
	case BanIP:
		_, ok = l.ips[t.Prefix.Addr()]
		delete(l.ips, t.Prefix.Addr())
	default:
		_, ok = l.subnets[t.Prefix]
		delete(l.subnets, t.Prefix)
	}
	return ok
}

// peerBanned reports whether id is banned at now.
func (l *banList) peerBanned(id peer.ID, now time.Time) bool {
	e, ok := l.ids[id]
	return ok && now.Before(e.until)
}

// addrBanned reports whether ip is banned at now, by itself or by a subnet.
func (l *banList) addrBanned(ip netip.Addr, now time.Time) bool {
	ip = ip.Unmap()
	if e, ok := l.ips[ip]; ok && now.Before(e.until) {
		return true
	}
	for p, e := range l.subnets {
		if p.Contains(ip) && now.Before(e.until) {
			return true
		}
	}
	return false
}

// prune drops expired bans and offences, reporting whether a ban was dropped.
func (l *banList) prune(now time.Time) bool {
	before := l.len()
	pruneMap(l.ids, now)
	pruneMap(l.ips, now)
	pruneMap(l.subnets, now)
	for p, offs := range l.offences {
		if kept := recentOffences(offs, now); len(kept) == 0 {
			delete(l.offences, p)
		} else {
			l.offences[p] = kept
		}
	}
	return l.len() != before
}

func pruneMap[K comparable](m map[K]banEntry, now time.Time) {
	for k, e := range m {
		if !now.Before(e.until) {
			delete(m, k)
		}
	}
}

func recentOffences(offs []offence, now time.Time) []offence {
	kept := offs[:0]
	for _, o := range offs {
		if now.Sub(o.at) < SubnetBanWindow {
			kept = append(kept, o)
		}
	}
	return kept
}

// list returns the bans in force at now (every ban for the zero time),
// sorted by target.
func (l *banList) list(now time.Time) []Ban {
	var out []Ban
	live := func(e banEntry) bool { return now.IsZero() || now.Before(e.until) }
	for id, e := range l.ids {
		if live(e) {
			out = append(out, Ban{Target: PeerTarget(id), Until: e.until, Reason: e.reason})
		}
	}
	for ip, e := range l.ips {
		if live(e) {
			out = append(out, Ban{Target: IPTarget(ip), Until: e.until, Reason: e.reason})
		}
	}
	for p, e := range l.subnets {
		if live(e) {
			out = append(out, Ban{Target: SubnetTarget(p), Until: e.until, Reason: e.reason})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Target.Kind != out[j].Target.Kind {
			return out[i].Target.Kind < out[j].Target.Kind
		}
		return out[i].Target.String() < out[j].Target.String()
	})
	return out
}

// offenderSubnet is the subnet a repeat offender at ip is banned by; false
// for loopback and for addresses with no meaningful subnet.
func offenderSubnet(ip netip.Addr) (netip.Prefix, bool) {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsUnspecified() {
		return netip.Prefix{}, false
	}
	bits := subnetBitsV6
	if ip.Is4() {
		bits = subnetBitsV4
	}
	p, err := ip.WithZone("").Prefix(bits)
	return p, err == nil
}

// recordOffence notes that id, connected from ip, was banned at now, and
// returns the subnet to ban when it is the SubnetBanThreshold-th distinct ID
// from that subnet within SubnetBanWindow.
func (l *banList) recordOffence(ip netip.Addr, id peer.ID, now time.Time) (netip.Prefix, bool) {
	p, ok := offenderSubnet(ip)
	if !ok {
		return netip.Prefix{}, false
	}
	offs := recentOffences(l.offences[p], now)
	seen := false
	for _, o := range offs {
		seen = seen || o.id == id
	}
	if !seen {
		if _, tracked := l.offences[p]; !tracked && len(l.offences) >= MaxBans {
			return netip.Prefix{}, false // bounded: the ID and IP bans still hold
		}
		offs = append(offs, offence{id: id, at: now})
	}
	if len(offs) >= SubnetBanThreshold {
		delete(l.offences, p)
		return p, true
	}
	l.offences[p] = offs
	return netip.Prefix{}, false
}
