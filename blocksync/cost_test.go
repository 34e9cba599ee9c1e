package blocksync

import (
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
)

// lookupCounter counts the machine's block lookups in the chain's index.
type lookupCounter struct {
	*chain.Chain
	lookups int
}

func (c *lookupCounter) HasBlock(h chainhash.Hash) bool {
	c.lookups++
	return c.Chain.HasBlock(h)
}

// The machine looks up a bounded number of blocks in the chain's index per
// block it downloads, not a window's worth at every step: at a large height
// each lookup in the index misses the CPU's caches, and a scan of the window
// per processed block made syncing at height 200,000 cost 25% more CPU than at
// 2,000 (issue 12). Counted, not timed. Peers that serve nothing (a light
// client, a peer behind us) have free request slots but must not make the
// machine look at every waiting block either.
func TestLookupsPerDownloadedBlockAreBounded(t *testing.T) {
	const blocks = 1_500 // more than the default window of 1,024
	chainBlocks := mine(params.Genesis().Header, 0, blocks, 1)
	tip := chainBlocks[blocks-1].Hash()
	for _, tc := range []struct {
		name  string
		idle  int // connected peers with nothing to serve
		serve int // peers serving the chain
	}{
		{"one peer", 0, 1},
		{"two peers", 0, 2},
		{"one peer and two with nothing to serve", 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			victim := openChain(t)
			n := newNetwork(t, victim, Config{})
			counter := &lookupCounter{Chain: victim}
			n.m = New(params, counter, Config{})
			var peers []*scriptedPeer
			for i := range tc.serve {
				peers = append(peers, newPeer(t, "serving"+string(rune('a'+i)), chainBlocks))
			}
			for i := range tc.idle {
				peers = append(peers, newPeer(t, "idle"+string(rune('a'+i)), nil))
			}
			n.connect(peers...)
			n.untilTip(tip, time.Minute)
			perBlock := float64(counter.lookups) / blocks
			t.Logf("%d lookups, %.1f per block", counter.lookups, perBlock)
			// A block is looked up when its header arrives from each peer,
			// before it is asked for, when its child is handed over and
			// when each peer's pending headers are trimmed: a few times per
			// serving peer, never the window (1,024 blocks).
			if limit := 5 * float64(tc.serve); perBlock > limit {
				t.Fatalf("%.1f index lookups per downloaded block, want at most %.0f", perBlock, limit)
			}
		})
	}
}
