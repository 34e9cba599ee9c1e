package spv

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/netserve"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/tx"
)

var (
	params = chaincfg.Regtest
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
	now    = params.GenesisTime + 1_000_000
	miner  = chaintest.NewKey(1)
	payee  = chaintest.NewKey(2)
)

// fullNode is a real chain served over a real p2p host.
type fullNode struct {
	c    *chain.Chain
	h    *p2p.Host
	main []*block.Block
}

func newFullNode(t testing.TB) *fullNode {
	t.Helper()
	c, err := chain.Open(t.TempDir(), params, chain.Options{NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	h, err := p2p.New(context.Background(), p2p.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: params.Name, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	(&netserve.Server{Chain: c}).Register(h)
	t.Cleanup(func() { h.Close(); c.Close() })
	return &fullNode{c: c, h: h, main: []*block.Block{params.Genesis()}}
}

func (n *fullNode) addr() string { return n.h.Addrs()[0] }

func (n *fullNode) submit(t testing.TB, blocks ...*block.Block) {
	t.Helper()
	for _, b := range blocks {
		if _, err := n.c.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
}

// extend mines n blocks on the node's main chain, txs going in the first.
func (n *fullNode) extend(t testing.TB, count int, txs ...*tx.Tx) {
	bl := chaintest.Builder{Params: params, Miner: miner}
	for i := 0; i < count; i++ {
		tip := n.main[len(n.main)-1]
		var fees int64
		for _, x := range txs {
			in := int64(50 * tx.UnitsPerCoin)
			out, _ := x.OutputTotal()
			fees += in - out
		}
		b := bl.Next(tip.Header, uint64(len(n.main)), fees, txs...)
		txs = nil
		n.submit(t, b)
		n.main = append(n.main, b)
	}
}

// payment builds a transaction paying 10 coins of coinbase 1 to payee.
func (n *fullNode) payment() *tx.Tx {
	s := chaintest.SpendOf(n.main[1].Txs[0], 0, miner)
	return chaintest.SignedTx(params.Name, []chaintest.Spend{s}, []tx.TxOut{
		{Amount: 10 * tx.UnitsPerCoin, PubKey: payee.Pub},
		{Amount: 40*tx.UnitsPerCoin - 1000, PubKey: miner.Pub},
	})
}

func isPayee(pub [32]byte) bool { return pub == payee.Pub }

func openClient(t testing.TB) *Client {
	t.Helper()
	c, err := Open(t.TempDir(), params, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() int64 { return now }
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPaymentVerifiedWithConfirmations(t *testing.T) {
	n := newFullNode(t)
	n.extend(t, 100)
	pay := n.payment()
	n.extend(t, 1, pay)
	n.extend(t, 5)
	c := openClient(t)
	ctx := context.Background()
	v, err := c.Verify(ctx, []string{n.addr()}, pay.ID(), 6, isPayee)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Verified || v.Confirmations != 6 || v.Height != 101 || v.Received != 10*tx.UnitsPerCoin || v.Block != n.main[101].Hash() {
		t.Fatalf("verification %+v", v)
	}
	v, _ = c.Verify(ctx, []string{n.addr()}, pay.ID(), 7, isPayee)
	if v.Verified || v.Reason == "" {
		t.Fatalf("7 confirmations required, 6 present: %+v", v)
	}
	v, _ = c.Verify(ctx, []string{n.addr()}, chainhash.Hash{7}, 1, isPayee)
	if v.Verified {
		t.Fatal("unknown transaction verified")
	}
}

func TestPaymentReorgedOutIsNotVerified(t *testing.T) {
	n := newFullNode(t)
	n.extend(t, 100)
	pay := n.payment()
	n.extend(t, 2, pay)
	c := openClient(t)
	ctx := context.Background()
	if v, _ := c.Verify(ctx, []string{n.addr()}, pay.ID(), 1, isPayee); !v.Verified {
		t.Fatalf("before the reorg: %+v", v)
	}
	// A heavier branch from block 100 without the payment.
	bl := chaintest.Builder{Params: params, Miner: chaintest.NewKey(9)}
	parent := n.main[100]
	for h := uint64(101); h <= 104; h++ {
		b := bl.Next(parent.Header, h, 0)
		n.submit(t, b)
		parent = b
	}
	v, err := c.Verify(ctx, []string{n.addr()}, pay.ID(), 1, isPayee)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verified {
		t.Fatalf("payment of a reorged-out block verified: %+v", v)
	}
	if best := c.Best(); best.Height != 104 || best.Tip != parent.Hash() {
		t.Fatalf("client did not follow the heavier header chain: %+v", best)
	}
}

// lyingNode serves honest headers but tampered proofs.
func lyingNode(t *testing.T, honest *fullNode, tamper func(*netproto.TxProof)) *p2p.Host {
	h, err := p2p.New(context.Background(), p2p.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: params.Name, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := &netserve.Server{Chain: honest.c}
	srv.Register(h)
	h.Handle(netproto.ProtoProof, netproto.MaxRequestSize, func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		ids, err := netproto.DecodeHashes(req, 1)
		if err != nil {
			return nil, err
		}
		p, err := honest.c.MerkleProof(ids[0])
		if err != nil {
			return nil, err
		}
		msg := &netproto.TxProof{Tx: p.Tx, Block: p.Block.Hash, Proof: p.Proof}
		msg.Proof.Siblings = append([]chainhash.Hash(nil), msg.Proof.Siblings...)
		tamper(msg)
		return msg.Encode()
	})
	t.Cleanup(func() { h.Close() })
	return h
}

func TestForgedProofsAreRejected(t *testing.T) {
	n := newFullNode(t)
	n.extend(t, 101)
	pay := n.payment()
	other := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(n.main[2].Txs[0], 0, miner)},
		[]tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: payee.Pub}})
	n.extend(t, 1, pay, other)
	n.extend(t, 1)
	for _, tc := range []struct {
		name   string
		tamper func(*netproto.TxProof)
	}{
		{"changed sibling", func(p *netproto.TxProof) { p.Proof.Siblings[0][3] ^= 1 }},
		{"wrong index", func(p *netproto.TxProof) { p.Proof.Index ^= 1 }},
		{"proof for another block", func(p *netproto.TxProof) { p.Block = n.main[103].Hash() }},
		{"another transaction", func(p *netproto.TxProof) { p.Tx = other }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			liar := lyingNode(t, n, tc.tamper)
			c := openClient(t)
			v, err := c.Verify(context.Background(), []string{liar.Addrs()[0]}, pay.ID(), 1, isPayee)
			if err != nil {
				t.Fatal(err)
			}
			if v.Verified {
				t.Fatalf("forged proof verified: %+v", v)
			}
			requireDroppedOnly(t, v.Dropped, liar.PeerID())
			// With an honest peer beside the liar, the payment verifies.
			liar2 := lyingNode(t, n, tc.tamper)
			c2 := openClient(t)
			v, err = c2.Verify(context.Background(), []string{liar2.Addrs()[0], n.addr()}, pay.ID(), 1, isPayee)
			if err != nil || !v.Verified {
				t.Fatalf("a liar among honest peers fooled the client: %+v %v", v, err)
			}
			requireDroppedOnly(t, v.Dropped, liar2.PeerID())
		})
	}
}

// requireDroppedOnly checks that the client reported exactly one dropped peer, id.
func requireDroppedOnly(t *testing.T, dropped []DroppedPeer, id peer.ID) {
	t.Helper()
	if len(dropped) != 1 || dropped[0].Peer != id.String() || dropped[0].Reason == "" {
		t.Fatalf("dropped peers %+v, want only %s with a reason", dropped, id)
	}
}

var (
	bigChainOnce sync.Once
	bigChain     []*block.Block
)

// tenThousand returns 10,000 mined empty blocks, built once per test binary.
func tenThousand() []*block.Block {
	bigChainOnce.Do(func() {
		bl := chaintest.Builder{Params: params, Miner: miner}
		parent := params.Genesis()
		for h := uint64(1); h <= 10_000; h++ {
			b := bl.Next(parent.Header, h, 0)
			bigChain = append(bigChain, b)
			parent = b
		}
	})
	return bigChain
}

func TestHeaderSyncOfTenThousandHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-block chain")
	}
	n := newFullNode(t)
	n.submit(t, tenThousand()...)
	dir := t.TempDir()
	c, err := Open(dir, params, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() int64 { return now }
	start := time.Now()
	res, err := c.Sync(context.Background(), []string{n.addr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("synced %d headers in %s", res.Height, time.Since(start))
	if res.Height != 10_000 || res.Tip != tenThousand()[9999].Hash() {
		t.Fatalf("sync result %+v", res)
	}
	c.Close()
	// A torn write at the end of the store is cut off on reopen; the rest survives.
	path := filepath.Join(dir, "headers-regtest.dat")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{1, 2, 3, 4, 5})
	f.Close()
	c, err = Open(dir, params, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if best := c.Best(); best.Height != 10_000 || best.Tip != res.Tip {
		t.Fatalf("after reopen: %+v", best)
	}
}
