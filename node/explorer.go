package node

import (
	"net/http"
	"time"

	"github.com/ledgerd/ledger/explorer"
)

// explorerNode shows the node's peers and sync position to the explorer.
type explorerNode struct{ n *Node }

func (x explorerNode) Peers() []explorer.Peer {
	var out []explorer.Peer
	for _, p := range x.n.host.Peers() {
		out = append(out, explorer.Peer{ID: p.ID.String(), Addr: p.Addr, Height: x.n.sync.heightOf(p.ID), Since: p.Since})
	}
	return out
}

func (x explorerNode) Sync() explorer.Sync {
	st := x.n.syncStatus()
	return explorer.Sync{Syncing: st.syncing, Blocks: st.blocks, Headers: st.headers, Progress: st.progress,
		ETA: time.Duration(st.etaSecs * float64(time.Second))}
}

// withExplorer serves the explorer under explorer.Prefix beside the RPC
// handler rpcH, on the same listener (so under the RPC's loopback rule);
// its pages need no cookie.
func (n *Node) withExplorer(rpcH http.Handler) (http.Handler, error) {
	ex, err := explorer.New(explorer.Config{
		Source: explorer.Source{Chain: n.chain, Mempool: n.pool, Node: explorerNode{n}, Events: n.events},
		Logger: n.log.With("component", "explorer"),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(explorer.Prefix, ex)
	mux.Handle("/", rpcH)
	return mux, nil
}
