package node

import (
	"log/slog"
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
	// Logger receives the node's logs (default slog.Default()).
	Logger *slog.Logger
}

// Info is what the node writes to DataDir/node.json once it listens.
type Info struct {
	PeerID   string   `json:"peer_id"`
	P2PAddrs []string `json:"p2p_addrs"`
	RPCURL   string   `json:"rpc_url"`
	PID      int      `json:"pid"`
}

// File names inside the data directory.
const (
	InfoFile   = "node.json"
	CookieFile = "rpc.cookie"
	ChainDir   = "chain"
)
