// Package node assembles a full node from its parts: the chain and mempool,
// the p2p host with gossip and the sync protocols, the miner and the RPC
// server. Run starts everything and blocks until its context ends, then
// shuts down cleanly with everything flushed.
package node
