// Package p2p is the node's libp2p transport. It moves bytes and knows
// nothing of blocks: a persistent identity, static peers kept connected,
// optional mDNS, peer exchange, gossipsub topics whose validators the node
// supplies, length-prefixed request/response protocols with size limits and
// timeouts, and a misbehaviour score that disconnects and bans peers.
package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// Config sets up a Host.
type Config struct {
	// DataDir holds the identity key; empty for an ephemeral identity.
	DataDir string
	// ListenAddrs are multiaddrs to listen on.
	ListenAddrs []string
	// Network prefixes every protocol and topic name, keeping networks apart.
	Network string
	// StaticPeers are full multiaddrs (with /p2p/ID) kept connected.
	StaticPeers []string
	// MDNS enables local-network discovery.
	MDNS bool
	// NoPEX turns off peer exchange, keeping the host to the peers it is given.
	NoPEX bool
	// MaxPeers is the connection manager's high-water mark (default 64).
	MaxPeers int
	// BanDuration is how long a misbehaving peer is refused (default 1 h).
	BanDuration time.Duration
	// MaxPeersPerIP caps connections from (and dials to) one IP address
	// (0: DefaultMaxPeersPerIP; negative: no cap). Loopback addresses are
	// exempt unless CapLoopback is set.
	MaxPeersPerIP int
	CapLoopback   bool
	// Now is the clock of bans and misbehaviour scores (default time.Now).
	Now func() time.Time
	// Logger receives the host's logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics receives libp2p's own Prometheus series; nil turns them off
	// (they are never registered globally).
	Metrics prometheus.Registerer
}

// PeerInfo describes a connected peer.
type PeerInfo struct {
	ID    peer.ID
	Addr  string
	Since time.Time
}

// Host is a running libp2p node.
type Host struct {
	cfg    Config
	h      host.Host
	ps     *pubsub.PubSub
	mesh   *meshTracer
	gater  *gater
	bans   *banStore // nil without a data directory
	recent *recentAddrs
	saveMu sync.Mutex
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// goMu and closing let goOwned start goroutines for wg until Close.
	goMu    sync.Mutex
	closing bool
	// pexDials bounds the peer-exchange dials under way; pexDial makes one.
	pexDials chan struct{}
	pexDial  func(ctx context.Context, info peer.AddrInfo) error

	mu           sync.Mutex
	onConnect    []func(peer.ID)
	onDisconnect []func(peer.ID)
	topics       map[string]*Topic
	inflight     map[peer.ID]int
	closeMDNS    func() error
	book         *addrBook // nil without a data directory
}

// New starts a host listening on cfg.ListenAddrs.
func New(ctx context.Context, cfg Config) (*Host, error) {
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = 64
	}
	if cfg.BanDuration <= 0 {
		cfg.BanDuration = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxPeersPerIP == 0 {
		cfg.MaxPeersPerIP = DefaultMaxPeersPerIP
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := newGater(cfg.BanDuration, cfg.Now, cfg.MaxPeersPerIP, cfg.CapLoopback)
	var store *banStore
	if cfg.DataDir != "" {
		store = &banStore{path: filepath.Join(cfg.DataDir, BansFile)}
		bans, err := store.load(cfg.Now())
		if err != nil && !errors.Is(err, errBansMovedAside) {
			return nil, err
		}
		if err != nil {
			cfg.Logger.Warn("ban list damaged", "err", err)
		}
		g.restore(bans)
	}
	opts := []libp2p.Option{
		libp2p.ListenAddrStrings(cfg.ListenAddrs...),
		libp2p.DisableRelay(),
		libp2p.Ping(false),
		metricsOption(cfg.Metrics),
	}
	if cfg.DataDir != "" {
		key, err := loadOrCreateIdentity(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		opts = append(opts, libp2p.Identity(key))
	}
	cm, err := connmgr.NewConnManager(cfg.MaxPeers*3/4, cfg.MaxPeers, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	opts = append(opts, libp2p.ConnectionManager(cm), libp2p.ConnectionGater(g))
	lh, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host: %w", err)
	}
	hctx, cancel := context.WithCancel(ctx)
	h := &Host{cfg: cfg, h: lh, mesh: newMeshTracer(), gater: g, bans: store, recent: newRecentAddrs(), log: cfg.Logger.With("component", "p2p"), ctx: hctx, cancel: cancel,
		topics: map[string]*Topic{}, inflight: map[peer.ID]int{}, pexDials: make(chan struct{}, pexMaxDials), pexDial: lh.Connect}
	g.countConnsWith(h.connsFrom)
	lh.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if h.refuseOverCap(c) {
				return
			}
			h.peerEvent(c.RemotePeer(), true)
		},
		DisconnectedF: func(n network.Network, c network.Conn) {
			h.peerEvent(c.RemotePeer(), n.Connectedness(c.RemotePeer()) == network.Connected)
		},
	})
	if h.ps, err = newPubSub(hctx, lh, h.mesh); err != nil {
		lh.Close()
		cancel()
		return nil, err
	}
	if !cfg.NoPEX {
		h.registerPEX()
	}
	for _, addr := range cfg.StaticPeers {
		info, err := parseAddr(addr)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("static peer %q: %w", addr, err)
		}
		h.wg.Add(1)
		go h.keepConnected(info)
	}
	if cfg.MDNS {
		if err := h.startMDNS(); err != nil {
			h.Close()
			return nil, err
		}
	}
	if !cfg.NoPEX {
		h.wg.Add(1)
		go h.pexLoop()
	}
	if cfg.DataDir != "" {
		if err := h.startAddrBook(); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

// connectedness bookkeeping: only the first connection and the last disconnection are events.
func (h *Host) peerEvent(id peer.ID, connected bool) {
	h.mu.Lock()
	var fns []func(peer.ID)
	if connected {
		fns = append(fns, h.onConnect...)
	} else {
		fns = append(fns, h.onDisconnect...)
	}
	h.mu.Unlock()
	for _, f := range fns {
		h.goOwned(func() { f(id) })
	}
}

// OnPeerConnected registers f to run (in its own goroutine, which Close waits
// for) when a peer connects; it does not run once Close has begun.
func (h *Host) OnPeerConnected(f func(peer.ID)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onConnect = append(h.onConnect, f)
}

// OnPeerDisconnected registers f to run when a peer's last connection closes.
func (h *Host) OnPeerDisconnected(f func(peer.ID)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onDisconnect = append(h.onDisconnect, f)
}

// PeerID returns the host's peer ID.
func (h *Host) PeerID() peer.ID { return h.h.ID() }

// Addrs returns the host's listen addresses as full multiaddrs ending in /p2p/ID.
func (h *Host) Addrs() []string {
	var out []string
	for _, a := range h.h.Addrs() {
		out = append(out, fmt.Sprintf("%s/p2p/%s", a, h.h.ID()))
	}
	return out
}

// IsConnected reports whether the host has a connection to id now.
func (h *Host) IsConnected(id peer.ID) bool {
	return h.h.Network().Connectedness(id) == network.Connected
}

// Peers lists connected peers.
func (h *Host) Peers() []PeerInfo {
	var out []PeerInfo
	for _, id := range h.h.Network().Peers() {
		conns := h.h.Network().ConnsToPeer(id)
		if len(conns) == 0 {
			continue
		}
		out = append(out, PeerInfo{ID: id, Addr: conns[0].RemoteMultiaddr().String(), Since: conns[0].Stat().Opened})
	}
	return out
}

// Connect dials a full multiaddr.
func (h *Host) Connect(ctx context.Context, addr string) error {
	info, err := parseAddr(addr)
	if err != nil {
		return err
	}
	if h.gater.isBanned(info.ID) {
		return fmt.Errorf("connect %s: peer is banned", info.ID)
	}
	if err := h.h.Connect(ctx, *info); err != nil {
		return fmt.Errorf("connect %s: %w", addr, err)
	}
	return nil
}

func parseAddr(addr string) (*peer.AddrInfo, error) {
	m, err := ma.NewMultiaddr(addr)
	if err != nil {
		return nil, fmt.Errorf("bad multiaddr %q: %w", addr, err)
	}
	info, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		return nil, fmt.Errorf("multiaddr %q must end in /p2p/<peer id>: %w", addr, err)
	}
	return info, nil
}

// keepConnected redials a static peer with exponential backoff while it is disconnected.
func (h *Host) keepConnected(info *peer.AddrInfo) {
	defer h.wg.Done()
	backoff := time.Second
	for {
		if h.h.Network().Connectedness(info.ID) != network.Connected && !h.gater.isBanned(info.ID) {
			ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
			err := h.h.Connect(ctx, *info)
			cancel()
			if err != nil {
				h.log.Debug("static peer unreachable", "peer", info.ID, "err", err, "retry_in", backoff)
				backoff = min(backoff*2, time.Minute)
			} else {
				h.log.Info("connected to static peer", "peer", info.ID)
				backoff = time.Second
			}
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// PeerNetworks returns the networks a peer serves protocols for, as learnt
// from the identify exchange (empty for peers that serve none, such as SPV clients).
func (h *Host) PeerNetworks(id peer.ID) []string {
	protos, err := h.h.Peerstore().GetProtocols(id)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range protos {
		rest, ok := strings.CutPrefix(string(p), "/ledger/")
		if !ok {
			continue
		}
		if network, _, ok := strings.Cut(rest, "/"); ok && !seen[network] {
			seen[network] = true
			out = append(out, network)
		}
	}
	return out
}

// Disconnect closes every connection to a peer without banning it.
func (h *Host) Disconnect(id peer.ID) { h.h.Network().ClosePeer(id) }

// Close stops the host and everything it runs.
func (h *Host) Close() error {
	h.stopOwned()
	h.closeAddrBook()
	h.cancel()
	if h.closeMDNS != nil {
		h.closeMDNS()
	}
	err := h.h.Close()
	h.wg.Wait()
	return err
}

// protocolID returns the full protocol ID for a short name such as "headers/1".
func (h *Host) protocolID(name string) protocol.ID {
	return protocol.ID("/ledger/" + h.cfg.Network + "/" + name)
}
