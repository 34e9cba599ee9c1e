package spv

import (
	"context"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/gcs"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/netserve"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/tx"
)

// liar serves honest's chain with some handlers replaced.
func liar(t *testing.T, honest *fullNode, handlers map[string]p2p.Handler) *p2p.Host {
	t.Helper()
	h, err := p2p.New(context.Background(), p2p.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: params.Name, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	(&netserve.Server{Chain: honest.c}).Register(h)
	for proto, fn := range handlers {
		h.Handle(proto, netproto.MaxRequestSize, fn)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// inOrder makes the client try peers in the order given.
func inOrder(c *Client) {
	c.perm = func(n int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		return p
	}
}

// lyingFilters is honest's main chain with the filter of block target
// replaced by fake, and the filter headers that follow from that.
func lyingFilters(t *testing.T, honest *fullNode, target chainhash.Hash, fake []byte) (map[chainhash.Hash][]byte, []chainhash.Hash) {
	t.Helper()
	filters := map[chainhash.Hash][]byte{}
	var headers []chainhash.Hash
	var prev chainhash.Hash
	for _, b := range honest.main {
		f, err := blockfilter.Build(b)
		if err != nil {
			t.Fatal(err)
		}
		if b.Hash() == target {
			f = fake
		}
		filters[b.Hash()] = f
		prev = blockfilter.Header(blockfilter.Hash(f), prev)
		headers = append(headers, prev)
	}
	return filters, headers
}

// serveFilters answers filter requests from the given filters, main-chain only.
func serveFilters(honest *fullNode, filters map[chainhash.Hash][]byte) p2p.Handler {
	return func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		q, err := netproto.DecodeFilterRequest(req)
		if err != nil {
			return nil, err
		}
		var out []netproto.BlockFilter
		for h := q.Start; h < uint64(len(honest.main)) && len(out) < netproto.MaxFiltersPerReq; h++ {
			bh := honest.main[h].Hash()
			out = append(out, netproto.BlockFilter{Block: bh, Filter: filters[bh]})
			if bh == q.Stop {
				break
			}
		}
		return netproto.EncodeFilters(out), nil
	}
}

func serveFilterHeaders(honest *fullNode, headers []chainhash.Hash) p2p.Handler {
	return func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		q, err := netproto.DecodeFilterRequest(req)
		if err != nil {
			return nil, err
		}
		m := &netproto.FilterHeaders{}
		if q.Start > 0 {
			m.Prev = headers[q.Start-1]
		}
		for h := q.Start; h < uint64(len(honest.main)) && len(m.Headers) < netproto.MaxFilterHeaders; h++ {
			m.Headers = append(m.Headers, headers[h])
			if honest.main[h].Hash() == q.Stop {
				break
			}
		}
		return m.Encode(), nil
	}
}

func TestLyingPeersAreDroppedAndTheHonestOneWins(t *testing.T) {
	n := newFullNode(t)
	wc := buildWalletChain(t, n)
	target := n.main[107].Hash() // holds an incoming payment
	filters, headers := lyingFilters(t, n, target, []byte{0})
	withhold := func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		return netproto.EncodeBlobs([][]byte{nil}), nil
	}
	// More than a block of this network can take (regtest: 1 MB).
	oversize := func(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
		return netproto.EncodeBlobs([][]byte{make([]byte, params.MaxBlockSize+1)}), nil
	}
	for _, tc := range []struct {
		name        string
		handlers    map[string]p2p.Handler
		liarFirst   bool
		wantBanned  bool
		reasonMatch string
	}{
		{"wrong filter", map[string]p2p.Handler{netproto.ProtoFilters: serveFilters(n, filters)}, true, true, "does not match its filter header"},
		{"wrong filter header", map[string]p2p.Handler{
			netproto.ProtoFilters:       serveFilters(n, filters),
			netproto.ProtoFilterHeaders: serveFilterHeaders(n, headers)}, true, true, "wrong filter header"},
		{"withheld matching block", map[string]p2p.Handler{netproto.ProtoBlocks: withhold}, false, false, "withheld block"},
		{"oversize block answer", map[string]p2p.Handler{netproto.ProtoBlocks: oversize}, false, true, "longer than a block can be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := liar(t, n, tc.handlers)
			peers := []string{n.addr(), l.Addrs()[0]}
			if tc.liarFirst {
				peers[0], peers[1] = peers[1], peers[0]
			}
			c := openClient(t)
			inOrder(c)
			res := syncWallet(t, c, peers...)
			requireMatchesFullNode(t, res, n, wc.allKeys)
			requireDroppedOnly(t, res.Dropped, l.PeerID())
			if !strings.Contains(res.Dropped[0].Reason, tc.reasonMatch) {
				t.Fatalf("dropped for %q, want %q", res.Dropped[0].Reason, tc.reasonMatch)
			}
			if res.Dropped[0].Banned != tc.wantBanned {
				t.Fatalf("banned %v, want %v (%s)", res.Dropped[0].Banned, tc.wantBanned, res.Dropped[0].Reason)
			}
		})
	}
	// Alone, the peer serving a wrong filter header chain cannot be caught,
	// and the sync says it cross-checked only one peer.
	l := liar(t, n, map[string]p2p.Handler{netproto.ProtoFilters: serveFilters(n, filters), netproto.ProtoFilterHeaders: serveFilterHeaders(n, headers)})
	res := syncWallet(t, openClient(t), l.Addrs()[0])
	if res.CrossChecked != 1 {
		t.Fatalf("cross-checked %d peers, want 1", res.CrossChecked)
	}
}

func TestReorgRemovesAndRestoresAPayment(t *testing.T) {
	n := newFullNode(t)
	k, _ := walletKeys(t)
	recv := walletKey(t, k, false, 0)
	n.extend(t, 101)
	pay := chaintest.SignedTx(params.Name, []chaintest.Spend{chaintest.SpendOf(n.main[1].Txs[0], 0, miner)},
		[]tx.TxOut{{Amount: 7 * tx.UnitsPerCoin, PubKey: recv.Pub}, {Amount: 43*tx.UnitsPerCoin - 1000, PubKey: miner.Pub}})
	n.extend(t, 1, pay)
	n.extend(t, 1)
	c := openClient(t)
	res := syncWallet(t, c, n.addr())
	if res.Balance.Confirmed != 7*tx.UnitsPerCoin || len(res.History) != 1 || res.History[0].Height != 102 {
		t.Fatalf("before the reorg: %+v %+v", res.Balance, res.History)
	}
	// A heavier branch from block 101 without the payment.
	fork := n.main[:102]
	n.main = append([]*block.Block(nil), fork...)
	other := chaintest.NewKey(9)
	for i := 0; i < 3; i++ {
		n.mine(t, other, 0)
	}
	res = syncWallet(t, c, n.addr())
	if res.Balance != (Balance{Height: 104}) || len(res.History) != 0 {
		t.Fatalf("after the reorg: %+v %+v", res.Balance, res.History)
	}
	// The payment confirms again on the new branch, at another height.
	n.mine(t, other, 1000, pay)
	res = syncWallet(t, c, n.addr())
	if res.Balance.Confirmed != 7*tx.UnitsPerCoin || len(res.History) != 1 || res.History[0].Height != 105 || res.History[0].Confirmations != 1 {
		t.Fatalf("after the payment confirmed again: %+v %+v", res.Balance, res.History)
	}
}

// TestAgreedLieIsCaughtWhenABlockMatches has the only peer commit, in its
// filter headers, to a filter that claims a payment to the wallet in a block
// without one: the downloaded block's own filter exposes it.
func TestAgreedLieIsCaughtWhenABlockMatches(t *testing.T) {
	n := newFullNode(t)
	n.extend(t, 20)
	_, keys := walletKeys(t)
	mine, err := keys.Derive(false, 3)
	if err != nil {
		t.Fatal(err)
	}
	target := n.main[12].Hash()
	f, err := gcs.BuildGCSFilter(blockfilter.P, blockfilter.M, blockfilter.Key(target), [][]byte{blockfilter.KeyElement(mine)})
	if err != nil {
		t.Fatal(err)
	}
	fake, _ := f.NBytes()
	filters, headers := lyingFilters(t, n, target, fake)
	l := liar(t, n, map[string]p2p.Handler{netproto.ProtoFilters: serveFilters(n, filters), netproto.ProtoFilterHeaders: serveFilterHeaders(n, headers)})
	c := openClient(t)
	_, err = c.SyncWallet(context.Background(), []string{l.Addrs()[0]}, keys, nil)
	if err == nil || !strings.Contains(err.Error(), "agree on a lie") {
		t.Fatalf("sync with a lying filter header chain: %v", err)
	}
	// The blocks below the lie were verified and stay in the record.
	rec, err := loadRecord(recordPath(c.dir, params.Name))
	if err != nil || len(rec.chain) != 12 {
		t.Fatalf("record after the failed sync: %d blocks, %v", len(rec.chain), err)
	}
}
