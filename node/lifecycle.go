package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/rpc"
)

// checkPorts refuses, before anything starts, listen addresses another
// process holds: the p2p ports, the RPC and the metrics address.
func (n *Node) checkPorts() error {
	if err := probeP2P(n.p2pListen()); err != nil {
		return err
	}
	for _, l := range []struct{ what, addr, flag string }{
		{"rpc", n.rpcListen(), "--rpc HOST:PORT"},
		{"metrics", n.cfg.MetricsListen, "--metrics HOST:PORT"},
	} {
		if l.addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(l.addr); err == nil && port != "0" {
			if err := probeListen(l.what, l.addr, l.flag); err != nil {
				return err
			}
		}
	}
	return nil
}

// p2pListen returns the p2p listen multiaddrs, defaulting to loopback on the network's port.
func (n *Node) p2pListen() []string {
	if len(n.cfg.P2PListen) > 0 {
		return n.cfg.P2PListen
	}
	return []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", n.params.DefaultP2PPort)}
}

// rpcListen returns the RPC address, defaulting to loopback on the network's port.
func (n *Node) rpcListen() string {
	if n.cfg.RPCListen != "" {
		return n.cfg.RPCListen
	}
	return fmt.Sprintf("127.0.0.1:%d", n.params.DefaultRPCPort)
}

// openChain opens the chain store, telling a data directory of another
// network and a damaged store apart.
func openChain(dataDir string, params *chaincfg.Params, logger *slog.Logger) (*chain.Chain, error) {
	chainDir := filepath.Join(dataDir, ChainDir)
	c, err := chain.Open(chainDir, params, chain.Options{Logger: logger})
	var wrong *chain.WrongNetworkError
	switch {
	case errors.As(err, &wrong):
		other := "another network"
		for _, name := range chaincfg.Names() {
			if p, _ := chaincfg.ByName(name); p != nil && p.GenesisHash() == wrong.Genesis {
				other = "the " + name + " network"
			}
		}
		return nil, fmt.Errorf("data directory %s holds %s's chain, not %s's: pass the matching --network, or another --datadir", dataDir, other, params.Name)
	}
	// A damaged store's error (chain.ErrCorruptStore) already says what to do.
	return c, err
}

// startOperator starts what operators use beside the RPC: notification
// hooks, the periodic status line and the metrics' live figures.
func (n *Node) startOperator(ctx context.Context) {
	if n.cfg.BlockNotify != "" {
		n.blockHook = events.NewHook("blocknotify", n.cfg.BlockNotify, events.HookConfig{}, n.log)
	}
	if n.cfg.WalletNotify != "" {
		n.walletHook = events.NewHook("walletnotify", n.cfg.WalletNotify, events.HookConfig{}, n.log)
	}
	for _, h := range []*events.Hook{n.blockHook, n.walletHook} {
		if h != nil {
			n.wg.Add(1)
			go func() { defer n.wg.Done(); h.Run(ctx) }()
		}
	}
	if n.cfg.StatusInterval > 0 {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.statusLoop(ctx, n.cfg.StatusInterval) }()
	}
	m := n.metrics
	m.syncFunc = func() syncFigures { return n.syncStatus().syncFigures }
	m.bannedCount = func() float64 { return float64(n.host.BannedCount()) }
	m.subscribers = func() float64 { return float64(n.events.Subscribers()) }
	m.sizeOnDiskFun = func() float64 { return float64(n.disk.bytes()) }
	m.hookDrops = func() float64 {
		var d uint64
		for _, h := range []*events.Hook{n.blockHook, n.walletHook} {
			if h != nil {
				d += h.Dropped()
			}
		}
		return float64(d)
	}
	tip := n.chain.Tip()
	m.height.Set(float64(tip.Height))
	m.difficulty.Set(tip.Header.Difficulty.Bits())
	n.progress.observe(nowTime(), tip.Work)
}

// startMetrics serves the Prometheus metrics without the cookie on
// cfg.MetricsListen, loopback only unless allowed.
func (n *Node) startMetrics(ctx context.Context) error {
	if n.cfg.MetricsListen == "" {
		return nil
	}
	ln, done, err := rpc.ServeOn(ctx, rpc.Listen{Addr: n.cfg.MetricsListen, AllowRemote: n.cfg.MetricsAllowRemote,
		What: "metrics", AllowFlag: "--metrics-allow-remote", AddrFlag: "--metrics HOST:PORT"}, n.metrics.handler())
	if err != nil {
		return err
	}
	n.metricsErr = done
	n.metricsURL = "http://" + ln.Addr().String() + "/metrics"
	n.log.Info("metrics listening", "url", n.metricsURL)
	return nil
}

// requestStop asks Run to shut the node down, as SIGTERM does.
func (n *Node) requestStop() {
	n.stopOnce.Do(func() { close(n.stopReq) })
}
