package node

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"

	"github.com/ledgerd/ledger/explorer"
	"github.com/ledgerd/ledger/rpc"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// startRPC listens for RPC requests, writes the cookie and node.json, and
// returns a channel that yields when the server has stopped.
func (n *Node) startRPC(ctx context.Context) (<-chan error, error) {
	addr := n.rpcListen()
	cookie, err := rpc.WriteCookie(filepath.Join(n.cfg.DataDir, CookieFile))
	if err != nil {
		return nil, err
	}
	n.metrics.peerCount = func() float64 { return float64(len(n.host.Peers())) }
	n.metrics.orphanCount = func() float64 { return 0 }
	n.metrics.hashrateFunc = func() float64 {
		if n.miner == nil {
			return 0
		}
		total, _ := n.miner.HashRate()
		return total
	}
	h := rpc.NewHandler(&backend{n: n}, cookie, n.log)
	if n.cfg.Explorer {
		if h, err = n.withExplorer(h); err != nil {
			return nil, err
		}
	}
	ln, done, err := rpc.Serve(ctx, addr, n.cfg.RPCAllowRemote, h)
	if err != nil {
		return nil, err
	}
	info := Info{PeerID: n.host.PeerID().String(), P2PAddrs: n.host.Addrs(), RPCURL: "http://" + ln.Addr().(*net.TCPAddr).String(), PID: os.Getpid(),
		MetricsURL: n.metricsURL, Network: n.params.Name, StratumAddr: n.stratumAddr}
	if n.cfg.Explorer {
		info.ExplorerURL = info.RPCURL + explorer.Prefix
		n.log.Info("explorer listening", "url", info.ExplorerURL)
	}
	if err := writeJSONAtomic(filepath.Join(n.cfg.DataDir, InfoFile), info); err != nil {
		return nil, err
	}
	n.log.Info("rpc listening", "url", info.RPCURL, "p2p", info.P2PAddrs)
	return done, nil
}

// writeJSONAtomic writes v as JSON to path, atomically and durably.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o600)
}
