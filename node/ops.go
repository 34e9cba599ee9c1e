package node

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/rpc"
)

// The operator endpoints of the RPC (rpc.OpsBackend).

// Stop asks the node to shut down cleanly once the reply is sent.
func (b *backend) Stop(ctx context.Context) (*rpc.StopResult, error) {
	b.n.log.Info("stop requested over rpc")
	b.n.requestStop()
	return &rpc.StopResult{Stopping: true}, nil
}

// Mempool lists the pool's transactions, highest fee rate first.
func (b *backend) Mempool(ctx context.Context) (*rpc.MempoolResult, error) {
	entries := b.n.pool.Transactions()
	res := &rpc.MempoolResult{Count: len(entries), Bytes: b.n.pool.Bytes(), Txs: make([]rpc.MempoolEntry, 0, len(entries))}
	for _, e := range entries {
		res.Txs = append(res.Txs, rpc.MempoolEntry{TxID: e.ID.String(), Fee: e.Fee, Size: e.Size,
			FeeRate: float64(e.Fee) / float64(max(e.Size, 1))})
	}
	sort.SliceStable(res.Txs, func(i, j int) bool { return res.Txs[i].FeeRate > res.Txs[j].FeeRate })
	return res, nil
}

// AddPeer connects to a peer now and keeps it in the address book.
func (b *backend) AddPeer(ctx context.Context, req rpc.PeerRequest) (*rpc.PeerChangeResult, error) {
	addr := strings.TrimSpace(req.Addr)
	if addr == "" {
		return nil, rpc.BadRequest("give the peer's multiaddr ending in /p2p/ID")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	id, connected, err := b.n.host.AddPeer(ctx, addr)
	if err != nil {
		return nil, rpc.BadRequest("%v", err)
	}
	return &rpc.PeerChangeResult{ID: id.String(), Connected: connected, Saved: b.n.host.InAddrBook(id)}, nil
}

// RemovePeer disconnects a peer and drops it from the address book.
func (b *backend) RemovePeer(ctx context.Context, req rpc.PeerRequest) (*rpc.PeerChangeResult, error) {
	id, _, err := b.n.host.RemovePeer(strings.TrimSpace(req.Addr))
	if err != nil {
		return nil, rpc.BadRequest("%v", err)
	}
	return &rpc.PeerChangeResult{ID: id.String(), Connected: false, Saved: false}, nil
}

// Subscribe opens a subscription to the node's event bus.
func (b *backend) Subscribe(ctx context.Context) (*events.Sub, error) {
	return b.n.events.Subscribe(0), nil
}
