package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
)

// A node relays only blocks of its main chain: a block it keeps on a side
// branch with as much work as its tip is not passed on. Were it relayed, a
// peer lacking the branch would ask for the headers linking it, and the
// node, which serves only branches it has connected, could not show them:
// the peer would charge it for a block it cannot link. Here n1 keeps P
// (before n2 joins) and then S on P as side blocks, and relays C on S,
// which makes the branch its main chain; n2 follows to C through the
// headers linking C and never penalises n1.
func TestSideBranchBlocksAreNotRelayedAndTheBranchLinksWhenItWins(t *testing.T) {
	n1 := startNode(t, "n1")
	n1.generate(3, addressOf(chaintest.NewKey(1)))
	n1ID := peerIDOf(t, n1.addr())
	ctx := context.Background()

	miner := rawPeer(t)
	if err := miner.Connect(ctx, n1.addr()); err != nil {
		t.Fatal(err)
	}
	blocks, err := miner.JoinTopic(netproto.TopicBlocks, func(context.Context, peer.ID, []byte) p2p.Verdict { return p2p.Accept })
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "n1 in the miner's mesh", func() bool { return slices.Contains(blocks.MeshPeers(), n1ID) })
	req := netproto.HeadersRequest{Locator: []chainhash.Hash{regtest.GenesisHash()}, Max: netproto.MaxHeaders}
	raw, err := miner.Request(ctx, n1ID, netproto.ProtoHeaders, req.Encode(), netproto.MaxHeadersSize)
	if err != nil {
		t.Fatal(err)
	}
	main, err := netproto.DecodeHeaders(raw)
	if err != nil || len(main) != 3 {
		t.Fatalf("n1's headers: %d, %v", len(main), err)
	}
	bl := chaintest.Builder{Params: regtest, Miner: chaintest.NewKey(2)}
	publishKept := func(b *block.Block, what string) {
		t.Helper()
		if err := blocks.Publish(ctx, b.Encode()); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, what, func() bool {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := n1.client.Block(ctx, b.Hash().String())
			return err == nil
		})
	}
	p := bl.Next(main[1], 3, 0) // a sibling of n1's tip, as much work
	publishKept(p, "n1 to keep P")

	n2 := startNode(t, "n2", "--peer", n1.addr())
	sameTip(t, 30*time.Second, 3, n1, n2)
	n1.generate(1, addressOf(chaintest.NewKey(1)))
	sameTip(t, 30*time.Second, 4, n1, n2)
	s := bl.Next(p.Header, 4, 0) // as much work as n1's new tip
	publishKept(s, "n1 to keep S")
	if tip := n1.status().Height; tip != 4 {
		t.Fatalf("setup: n1 at height %d after S, want 4 (S kept on a side branch)", tip)
	}
	c := bl.Next(s.Header, 5, 0)
	publishKept(c, "n1 to take C")
	tip := sameTip(t, 30*time.Second, 5, n1, n2)
	if tip != c.Hash().String() {
		t.Fatalf("nodes at %s, want C %s", tip, c.Hash())
	}
	if penalized(n2, n1ID) {
		t.Fatalf("n2 penalised n1; log:\n%s", n2.logTail())
	}
}
