package blocksync

import (
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/tx"
)

// respMax is the most a response of n regtest blocks may take.
func respMax(n int) int { return netproto.BlobsSize(n, params.MaxBlockSize) }

// bigBlocks mines n valid blocks on parent of about size bytes each (their
// coinbases pay the subsidy in one-unit outputs).
func bigBlocks(parent block.Header, height uint64, n, size int) []*block.Block {
	k := chaintest.NewKey(5)
	out := make([]*block.Block, 0, n)
	for i := 0; i < n; i++ {
		cb := chaintest.Coinbase(height+uint64(i)+1, k.Pub, 1)
		for len(cb.Outputs) < size/40 {
			cb.Outputs = append(cb.Outputs, tx.TxOut{Amount: 1, PubKey: k.Pub})
		}
		b := chaintest.NewBlock(parent, parent.Time+1, params.GenesisDifficulty, []*tx.Tx{cb})
		out = append(out, b)
		parent = b.Header
	}
	return out
}

// Every blocks request carries the most its response may take, and the
// responses of the requests in flight together with the blocks received fit
// in the window's bytes, however many peers could serve: two peers with four
// request slots each get two requests in flight when the window holds two.
func TestBlockRequestsReserveTheirResponsesInTheByteWindow(t *testing.T) {
	window := 2*respMax(4) + 1000
	s := newScenario(t, Config{BlocksPerRequest: 4, RequestsPerPeer: 4, WindowBytes: window})
	all, a, b := s.twoPeersAhead(t, 40)
	widest := 0
	onBlocksRequest(func() {
		if used := s.victim.m.dl.used(); used > window {
			t.Errorf("window holds %d bytes, limit %d", used, window)
		}
		widest = max(widest, len(s.victim.m.reqs))
	}, a, b)
	s.victim.connect(a, b)
	s.victim.untilTip(all[len(all)-1].Hash(), time.Minute)
	asked := 0
	for _, act := range s.victim.log {
		if act.Kind != SendBlocks {
			continue
		}
		asked++
		if want := respMax(len(act.Hashes)); act.MaxBytes != want {
			t.Fatalf("%v may answer with %d bytes, want %d", act, act.MaxBytes, want)
		}
	}
	if asked == 0 {
		t.Fatal("no blocks requested")
	}
	// Status or headers requests may be in flight alongside the two blocks requests.
	if widest < 2 {
		t.Fatalf("at most %d requests in flight; the window holds two blocks requests", widest)
	}
	for _, act := range s.victim.log {
		if act.Kind == SendBlocks && len(act.Hashes) > 4 {
			t.Fatalf("%v asks for more than BlocksPerRequest", act)
		}
	}
	if s.victim.m.dl.used() != 0 {
		t.Fatalf("window holds %d bytes after sync; want 0", s.victim.m.dl.used())
	}
	s.victim.requireNotPenalized(a.id, b.id)
}

// Blocks handed to the chain count in the window until it has processed
// them: a chain slower than the download does not let downloaded blocks pile
// up beyond the window.
func TestBlocksBeingProcessedCountInTheWindow(t *testing.T) {
	s := newScenario(t, Config{})
	big := bigBlocks(s.base[9].Header, 10, 8, 200_000)
	size := len(big[0].Encode())
	window := respMax(1) + 3*size
	s.victim = newNetwork(t, s.victim.victim, Config{BlocksPerRequest: 1, WindowBytes: window})
	all := append(append([]*block.Block{}, s.base...), big...)
	p := newPeer(t, "big", all)
	s.victim.hold = true
	s.victim.connect(p)
	s.victim.advance(5 * time.Second)
	// Three blocks leave room for one more request; its block makes four, and
	// no further request fits until the chain processes some.
	if n := len(s.victim.held); n != 4 {
		t.Fatalf("%d blocks handed to a chain that processes none; want 4", n)
	}
	if used := s.victim.m.dl.used(); used > window {
		t.Fatalf("window holds %d bytes, limit %d", used, window)
	}
	s.victim.release()
	s.victim.untilTip(big[len(big)-1].Hash(), time.Minute)
	s.victim.requireNotPenalized(p.id)
}

// A response longer than the request allows is refused unread and its
// sender penalised as malformed; the blocks come from the honest announcer.
func TestOversizeBlocksResponseIsRefusedAndPenalized(t *testing.T) {
	s := newScenario(t, Config{})
	all := append(append([]*block.Block{}, s.base...), s.ahead...)
	bloater := newPeer(t, "bloater", all)
	bloater.blocks = func(hashes []chainhash.Hash) ([]byte, bool) {
		return make([]byte, respMax(len(hashes))+1), true
	}
	s.victim.connect(bloater, s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	if !s.victim.banned[bloater.id] {
		t.Fatalf("peer sending oversize responses not banned: %v", s.victim.penalties())
	}
	s.victim.requireNotPenalized(s.honest.id)
	if s.victim.m.dl.used() != 0 {
		t.Fatalf("window holds %d bytes after sync; want 0", s.victim.m.dl.used())
	}
}
