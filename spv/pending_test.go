package spv

import (
	"context"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netserve"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/tx"
)

// TestVerifyMempoolTransactionSaysNotInABlockYet: a transaction a peer only
// holds in its mempool is reported as not yet mined, not as unknown.
func TestVerifyMempoolTransactionSaysNotInABlockYet(t *testing.T) {
	c, err := chain.Open(t.TempDir(), params, chain.Options{NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n := &fullNode{c: c, main: []*block.Block{params.Genesis()}}
	n.extend(t, 101)
	pay := n.payment()
	h, err := p2p.New(context.Background(), p2p.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: params.Name, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n.h = h
	t.Cleanup(func() { h.Close(); c.Close() })
	(&netserve.Server{Chain: c, Pending: func(id chainhash.Hash) (*tx.Tx, bool) { return pay, id == pay.ID() }}).Register(h)

	client := openClient(t)
	v, err := client.Verify(context.Background(), []string{n.addr()}, pay.ID(), 1, isPayee)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verified || v.Reason != ReasonPending {
		t.Fatalf("mempool transaction: verified %v reason %q, want %q", v.Verified, v.Reason, ReasonPending)
	}
	// A transaction nobody has is still "not found".
	v, err = client.Verify(context.Background(), []string{n.addr()}, chainhash.Hash{7}, 1, isPayee)
	if err != nil || v.Verified || v.Reason == ReasonPending {
		t.Fatalf("unknown transaction: %+v %v", v, err)
	}
}
