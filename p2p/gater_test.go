package p2p

import (
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// clock is an injected time source that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func newPeerID(t *testing.T) peer.ID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// conn is the remote end of an incoming connection, as the gater sees it.
type conn struct{ remote ma.Multiaddr }

func (c conn) LocalMultiaddr() ma.Multiaddr  { return ma.StringCast("/ip4/127.0.0.1/tcp/1") }
func (c conn) RemoteMultiaddr() ma.Multiaddr { return c.remote }

func from(ip string) conn {
	a := netip.MustParseAddr(ip)
	proto := "ip4"
	if a.Is6() {
		proto = "ip6"
	}
	return conn{remote: ma.StringCast("/" + proto + "/" + ip + "/tcp/4000")}
}

// admits reports whether g lets a new inbound connection from ip with key id through.
func admits(g *gater, ip string, id peer.ID) bool {
	c := from(ip)
	return g.InterceptAccept(c) && g.InterceptSecured(network.DirInbound, id, c)
}

func addrs(ips ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ips {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestBanningAPeerBansItsIDAndAddress(t *testing.T) {
	clk := newClock()
	g := newGater(time.Hour, clk.now, DefaultMaxPeersPerIP, false)
	attacker, fresh, honest := newPeerID(t), newPeerID(t), newPeerID(t)
	if !admits(g, "203.0.113.7", attacker) {
		t.Fatal("a peer with no record refused")
	}
	score, banned := g.penalize(attacker, 60, addrs("203.0.113.7"), "bad headers")
	if score != 60 || banned != nil {
		t.Fatalf("under the threshold: score %v, bans %v", score, banned)
	}
	_, banned = g.penalize(attacker, 60, addrs("203.0.113.7"), "bad headers")
	if len(banned) != 2 || banned[0] != PeerTarget(attacker) || banned[1] != IPTarget(netip.MustParseAddr("203.0.113.7")) {
		t.Fatalf("bans %v, want the ID and the IP", banned)
	}
	for _, tc := range []struct {
		ip   string
		id   peer.ID
		want bool
	}{
		{"203.0.113.7", attacker, false},
		{"203.0.113.7", fresh, false}, // a new key from the banned address
		{"198.51.100.1", attacker, false},
		{"203.0.113.8", honest, true}, // the neighbour, one offender is not a subnet ban
		{"::ffff:203.0.113.7", fresh, false},
	} {
		if got := admits(g, tc.ip, tc.id); got != tc.want {
			t.Errorf("inbound from %s: admitted %v, want %v", tc.ip, got, tc.want)
		}
	}
	if g.InterceptAccept(from("203.0.113.7")) {
		t.Error("connection from a banned address accepted before its handshake")
	}
	if g.InterceptAddrDial(honest, from("203.0.113.7").remote) {
		t.Error("dial to a banned address allowed")
	}
	if g.InterceptPeerDial(attacker) || !g.InterceptPeerDial(honest) {
		t.Error("peer dial gate wrong")
	}
}

func TestRepeatOffendersGetTheirSubnetBanned(t *testing.T) {
	clk := newClock()
	g := newGater(time.Hour, clk.now, DefaultMaxPeersPerIP, false)
	offend := func(ip string) []BanTarget {
		_, banned := g.penalize(newPeerID(t), BanThreshold, addrs(ip), "junk")
		return banned
	}
	offend("203.0.113.1")
	clk.advance(time.Hour) // the first bans run out; the offence still counts
	offend("203.0.113.2")
	if !admits(g, "203.0.113.99", newPeerID(t)) {
		t.Fatal("subnet banned after two offenders")
	}
	banned := offend("203.0.113.3")
	subnet := SubnetTarget(netip.MustParsePrefix("203.0.113.0/24"))
	if len(banned) != 3 || banned[2] != subnet {
		t.Fatalf("third offender's bans %v, want ID, IP and %s", banned, subnet)
	}
	if admits(g, "203.0.113.99", newPeerID(t)) {
		t.Fatal("a new address in the offenders' subnet admitted")
	}
	if !admits(g, "203.0.114.1", newPeerID(t)) {
		t.Fatal("the next subnet refused")
	}

	// IPv6 escalates by /64.
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		offend(ip)
	}
	if admits(g, "2001:db8:1:2:abcd::1", newPeerID(t)) || !admits(g, "2001:db8:1:3::1", newPeerID(t)) {
		t.Fatal("IPv6 offenders not banned by their /64 alone")
	}

	// Offences outside the window do not add up.
	clk.advance(SubnetBanWindow + 2*time.Hour)
	offend("198.51.100.1")
	clk.advance(SubnetBanWindow)
	offend("198.51.100.2")
	offend("198.51.100.3")
	if !admits(g, "198.51.100.4", newPeerID(t)) {
		t.Fatal("offences a window apart escalated to a subnet ban")
	}
}

func TestLoopbackIsBannedByAddressButNeverBySubnet(t *testing.T) {
	clk := newClock()
	g := newGater(time.Hour, clk.now, DefaultMaxPeersPerIP, false)
	for i := 2; i < 2+2*SubnetBanThreshold; i++ {
		ip := netip.AddrFrom4([4]byte{127, 0, 0, byte(i)}).String()
		_, banned := g.penalize(newPeerID(t), BanThreshold, addrs(ip), "junk")
		if len(banned) != 2 {
			t.Fatalf("loopback offender %s: bans %v, want ID and IP only", ip, banned)
		}
		if admits(g, ip, newPeerID(t)) {
			t.Fatalf("new key from banned loopback address %s admitted", ip)
		}
	}
	_, banned := g.penalize(newPeerID(t), BanThreshold, addrs("::1"), "junk")
	if len(banned) != 2 {
		t.Fatalf("::1 offender: bans %v", banned)
	}
	if !admits(g, "127.0.0.1", newPeerID(t)) {
		t.Fatal("loopback offenders got 127.0.0.1 banned")
	}
}

func TestBansExpire(t *testing.T) {
	clk := newClock()
	g := newGater(time.Hour, clk.now, DefaultMaxPeersPerIP, false)
	id := newPeerID(t)
	g.penalize(id, BanThreshold, addrs("203.0.113.7"), "junk")
	manual := g.ban(SubnetTarget(netip.MustParsePrefix("198.51.100.0/24")), 3*time.Hour, "operator")
	if want := clk.now().Add(3 * time.Hour); !manual.Until.Equal(want) {
		t.Fatalf("manual ban until %v, want %v", manual.Until, want)
	}
	if n := len(g.banned()); n != 3 {
		t.Fatalf("%d bans listed, want 3", n)
	}
	clk.advance(time.Hour - time.Second)
	if !g.isBanned(id) || admits(g, "203.0.113.7", newPeerID(t)) {
		t.Fatal("ban lifted early")
	}
	clk.advance(time.Second)
	if g.isBanned(id) || !admits(g, "203.0.113.7", id) {
		t.Fatal("ban still in force after its hour")
	}
	if list := g.banned(); len(list) != 1 || list[0].Target.String() != "198.51.100.0/24" || list[0].Reason != "operator" {
		t.Fatalf("bans after the first expiry: %+v", list)
	}
	// A shorter ban does not cut a longer one short.
	if b := g.ban(SubnetTarget(netip.MustParsePrefix("198.51.100.0/24")), time.Minute, "again"); !b.Until.Equal(manual.Until) {
		t.Fatalf("shorter ban replaced the longer: until %v", b.Until)
	}
	clk.advance(2 * time.Hour)
	if list := g.banned(); len(list) != 0 {
		t.Fatalf("expired bans listed: %+v", list)
	}
}

func TestUnbanLiftsABanAndForgetsTheScore(t *testing.T) {
	clk := newClock()
	g := newGater(time.Hour, clk.now, DefaultMaxPeersPerIP, false)
	id := newPeerID(t)
	g.penalize(id, BanThreshold, addrs("203.0.113.7"), "junk")
	if !g.unban(PeerTarget(id)) || g.isBanned(id) {
		t.Fatal("ID not unbanned")
	}
	if admits(g, "203.0.113.7", id) {
		t.Fatal("unbanning the ID lifted the address ban")
	}
	if !g.unban(IPTarget(netip.MustParseAddr("203.0.113.7"))) || !admits(g, "203.0.113.7", id) {
		t.Fatal("address not unbanned")
	}
	if g.unban(PeerTarget(id)) {
		t.Fatal("unbanning twice reported a ban")
	}
	if score, _ := g.penalize(id, 10, nil, "small"); score != 10 {
		t.Fatalf("score after unban %v, want a fresh 10", score)
	}
}

func TestConnectionsPerIPAreCapped(t *testing.T) {
	open := map[netip.Addr]int{}
	for _, tc := range []struct {
		name        string
		perIP       int
		capLoopback bool
		ip          string
		open        int
		admit       bool
	}{
		{"under the cap", 4, false, "203.0.113.7", 3, true},
		{"at the cap", 4, false, "203.0.113.7", 4, false},
		{"IPv6 at the cap", 2, false, "2001:db8::1", 2, false},
		{"loopback exempt by default", 4, false, "127.0.0.1", 40, true},
		{"loopback capped when asked", 4, true, "127.0.0.1", 4, false},
		{"no cap", -1, false, "203.0.113.7", 400, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGater(time.Hour, newClock().now, tc.perIP, tc.capLoopback)
			clear(open)
			open[netip.MustParseAddr(tc.ip)] = tc.open
			g.countConnsWith(func(ip netip.Addr) int { return open[ip] })
			if got := g.InterceptAccept(from(tc.ip)); got != tc.admit {
				t.Fatalf("accepted %v before the handshake, want %v", got, tc.admit)
			}
			if got := admits(g, tc.ip, newPeerID(t)); got != tc.admit {
				t.Fatalf("inbound admitted %v, want %v", got, tc.admit)
			}
			if got := g.InterceptAddrDial(newPeerID(t), from(tc.ip).remote); got != tc.admit {
				t.Fatalf("dial allowed %v, want %v", got, tc.admit)
			}
			if !admits(g, "198.51.100.1", newPeerID(t)) {
				t.Fatal("another address refused")
			}
			// An outbound connection that completed is not cut by the inbound gate.
			if !g.InterceptSecured(network.DirOutbound, newPeerID(t), from(tc.ip)) {
				t.Fatal("secured outbound connection refused")
			}
		})
	}
}

func TestParseBanTarget(t *testing.T) {
	id := newPeerID(t)
	for _, tc := range []struct {
		in   string
		kind BanKind
		want string
	}{
		{id.String(), BanPeer, id.String()},
		{"203.0.113.7", BanIP, "203.0.113.7"},
		{"::ffff:203.0.113.7", BanIP, "203.0.113.7"},
		{"2001:db8::1", BanIP, "2001:db8::1"},
		{"203.0.113.7/24", BanSubnet, "203.0.113.0/24"},
		{"203.0.113.7/32", BanIP, "203.0.113.7"},
		{"2001:db8::1/64", BanSubnet, "2001:db8::/64"},
		{"::ffff:203.0.113.0/120", BanSubnet, "203.0.113.0/24"},
		{"/ip4/127.0.0.2/tcp/19444", BanIP, "127.0.0.2"},
		{"/ip4/127.0.0.2/tcp/19444/p2p/" + id.String(), BanIP, "127.0.0.2"},
		{"/p2p/" + id.String(), BanPeer, id.String()},
	} {
		got, err := ParseBanTarget(tc.in)
		if err != nil || got.Kind != tc.kind || got.String() != tc.want {
			t.Errorf("%q: %v %q %v, want %v %q", tc.in, got.Kind, got.String(), err, tc.kind, tc.want)
		}
		if back, err := ParseBanTarget(got.String()); err != nil || back != got {
			t.Errorf("%q does not read back: %v %v", got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "nonsense", "0.0.0.0", "::", "1.2.3.4/33", "0.0.0.0/0", "::ffff:1.2.3.4/90", "/ip4/1.2.3", "/dns4/example.com/tcp/1", "12D3KooWnotanid"} {
		if _, err := ParseBanTarget(bad); err == nil {
			t.Errorf("%q accepted as a ban target", bad)
		}
	}
}

func TestBanListStaysBounded(t *testing.T) {
	clk := newClock()
	l := newBanList()
	for i := range MaxBans + 10 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.add(IPTarget(ip), clk.now().Add(time.Hour+time.Duration(i)*time.Second), "x")
	}
	if l.len() != MaxBans {
		t.Fatalf("%d bans held, limit %d", l.len(), MaxBans)
	}
	if l.addrBanned(netip.AddrFrom4([4]byte{10, 0, 0, 0}), clk.now()) || !l.addrBanned(netip.AddrFrom4([4]byte{10, 0, 39, 25}), clk.now()) {
		t.Fatal("eviction did not drop the bans that end soonest")
	}
}
