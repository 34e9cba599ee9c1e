package node

import (
	"log/slog"
	"time"
)

// Config is everything `node run` takes from its command line.
type Config struct {
	// DataDir holds the chain store, the p2p identity, node.json and rpc.cookie.
	DataDir string
	// Network names the chain parameters: "regtest" or "testnet".
	Network string
	// P2PListen are libp2p multiaddrs to listen on (default 127.0.0.1 on the network's port).
	P2PListen []string
	// RPCListen is host:port for the RPC (default 127.0.0.1 on the network's port; port 0 allowed).
	RPCListen string
	// RPCAllowRemote permits a non-loopback RPC address.
	RPCAllowRemote bool
	// Explorer serves the read-only block explorer under /explorer/ on the
	// RPC listener, without the cookie (and so, like the RPC, on loopback
	// unless RPCAllowRemote).
	Explorer bool
	// Peers are full multiaddrs (ending in /p2p/ID) dialled at start and kept connected.
	Peers []string
	// MDNS turns on local-network discovery; off unless asked for.
	MDNS bool
	// MaxPeers bounds connections (default 64).
	MaxPeers int
	// MaxPeersPerIP bounds connections from or to one IP address, loopback
	// exempt (0: p2p.DefaultMaxPeersPerIP; negative: no bound).
	MaxPeersPerIP int
	// Mine starts the miner paying to MineTo with Threads goroutines (0: one per CPU).
	Mine    bool
	MineTo  string
	Threads int
	// StratumListen is host:port for the Stratum pool server ("" for none);
	// StratumAllowRemote permits a non-loopback address.
	StratumListen      string
	StratumAllowRemote bool
	// Logger receives the node's logs (default slog.Default()).
	Logger *slog.Logger

	// MetricsListen is host:port for Prometheus metrics without the cookie (empty: off).
	MetricsListen string
	// MetricsAllowRemote permits a non-loopback metrics address.
	MetricsAllowRemote bool
	// BlockNotify runs for every block connected to the main chain, "%s" replaced by its hash.
	BlockNotify string
	// WalletNotify runs for every transaction accepted to the mempool or
	// confirmed in a connected block, "%s" replaced by its txid.
	WalletNotify string
	// StatusInterval is how often the status line is logged (0: never).
	StatusInterval time.Duration
	// Version is reported by status (version and commit).
	Version string
}

// Info is what the node writes to DataDir/node.json once it listens.
type Info struct {
	PeerID   string   `json:"peer_id"`
	P2PAddrs []string `json:"p2p_addrs"`
	RPCURL   string   `json:"rpc_url"`
	PID      int      `json:"pid"`
	// MetricsURL is where --metrics serves, when given.
	MetricsURL string `json:"metrics_url,omitempty"`
	// Network names the chain the node runs.
	Network string `json:"network,omitempty"`
	// StratumAddr is the Stratum server's host:port when --stratum is given.
	StratumAddr string `json:"stratum_addr,omitempty"`
	// ExplorerURL is the block explorer's address when --explorer is given.
	ExplorerURL string `json:"explorer_url,omitempty"`
}

// File names inside the data directory.
const (
	InfoFile   = "node.json"
	CookieFile = "rpc.cookie"
	ChainDir   = "chain"
)
