package blocksync

import (
	"math/big"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/tx"
)

// scenario: the victim has 10 blocks; an honest peer has the same 10 and 20 more.
type scenario struct {
	base, ahead []*block.Block
	victim      *network
	honest      *scriptedPeer
}

func newScenario(t *testing.T, cfg Config) *scenario {
	s := &scenario{base: mine(params.Genesis().Header, 0, 10, 1)}
	s.ahead = mine(s.base[9].Header, 10, 20, 1)
	victim := openChain(t)
	load(t, victim, s.base)
	s.victim = newNetwork(t, victim, cfg)
	s.honest = newPeer(t, "honest", append(append([]*block.Block{}, s.base...), s.ahead...))
	// The honest peer must never be asked for a block it did not announce.
	serve := s.honest.blocks
	s.honest.blocks = func(hashes []chainhash.Hash) ([]byte, bool) {
		for _, h := range hashes {
			if !s.honest.c.HasBlock(h) {
				t.Errorf("honest peer asked for block %s it never announced", h)
			}
		}
		return serve(hashes)
	}
	return s
}

func (s *scenario) honestTip() chainhash.Hash { return s.ahead[len(s.ahead)-1].Hash() }

// twoPeersAhead returns the honest chain extended by n blocks and two peers "a" and "b" that serve it.
func (s *scenario) twoPeersAhead(t *testing.T, n int) (all []*block.Block, a, b *scriptedPeer) {
	more := mine(s.ahead[len(s.ahead)-1].Header, 30, n, 1)
	all = append(append(append([]*block.Block{}, s.base...), s.ahead...), more...)
	return all, newPeer(t, "a", all), newPeer(t, "b", all)
}

// onBlocksRequest runs f whenever one of ps is asked for blocks, before it answers.
func onBlocksRequest(f func(), ps ...*scriptedPeer) {
	for _, p := range ps {
		serve := p.blocks
		p.blocks = func(hashes []chainhash.Hash) ([]byte, bool) {
			f()
			return serve(hashes)
		}
	}
}

// Attack 1: a peer shows 2,000 valid headers on the victim's tip, more work
// than the honest chain, and never serves their blocks. The victim must not
// ask (and so never blame) the honest peer for them.
func TestFramingPeerCannotGetHonestPeersBanned(t *testing.T) {
	for _, tc := range []struct {
		name   string
		blocks func(hashes []chainhash.Hash) ([]byte, bool)
	}{
		{"says it lacks them", func(hashes []chainhash.Hash) ([]byte, bool) {
			return netproto.EncodeBlobs(make([][]byte, len(hashes))), true
		}},
		{"never answers", func([]chainhash.Hash) ([]byte, bool) { return nil, false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t, Config{})
			fork := mine(s.base[9].Header, 10, 2000, 2)
			framer := newPeer(t, "framer", append(append([]*block.Block{}, s.base...), fork...))
			framer.claim(1 << 40)
			framer.blocks = tc.blocks
			s.victim.connect(framer, s.honest)
			// The honest chain is downloaded alongside the framer's, so the
			// victim has it at once, not after the framer's timeout.
			if took := s.victim.untilTip(s.honestTip(), time.Minute); took > 0 {
				t.Fatalf("honest chain took %v of the framer's stalling", took)
			}
			// The framer is found out, however it withholds.
			s.victim.advance(2 * time.Minute)
			s.victim.requireNotPenalized(s.honest.id)
			if !s.victim.banned[framer.id] {
				t.Fatalf("framer not banned: %v", s.victim.penalties())
			}
			for _, b := range fork[:5] {
				if s.victim.victim.HasBlock(b.Hash()) {
					t.Fatalf("victim stored a block of the framer's chain")
				}
			}
		})
	}
}

// Attack 2: a peer claims more work than anyone and answers every headers
// request with nothing (or only what the victim has). Sync must move on to
// the honest peer at once and never spin on the liar.
func TestStallingPeerCannotHoldSync(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers func(s *scenario) []block.Header
	}{
		{"no headers", func(*scenario) []block.Header { return nil }},
		{"only known headers", func(s *scenario) []block.Header {
			hs := make([]block.Header, len(s.base))
			for i, b := range s.base {
				hs[i] = b.Header
			}
			return hs
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t, Config{})
			liar := newPeer(t, "liar", s.base)
			liar.claim(1 << 40)
			liar.headers = func(netproto.HeadersRequest) ([]byte, bool) { return netproto.EncodeHeaders(tc.headers(s)), true }
			s.victim.connect(liar, s.honest) // the liar connects first and claims the most
			if took := s.victim.untilTip(s.honestTip(), 10*time.Second); took > 0 {
				t.Fatalf("sync waited %v for the liar; it must go on at once", took)
			}
			s.victim.requirePenalized(liar.id)
			s.victim.requireNotPenalized(s.honest.id)
			// A minute of status polls asks the liar for headers at most once per claim.
			s.victim.advance(time.Minute)
			if n := liar.requests[SendHeaders]; n > liar.requests[SendStatus] {
				t.Fatalf("%d headers requests to the liar for %d statuses: sync spins on it", n, liar.requests[SendStatus])
			}
			if !s.victim.banned[liar.id] {
				t.Fatalf("a liar that repeats its claim is not banned in a minute: %v", s.victim.penalties())
			}
		})
	}
}

// scriptedChain makes p serve exactly blocks (after the locator's match) regardless of validity.
func scriptedChain(p *scriptedPeer, blocks []*block.Block) {
	byHash := map[chainhash.Hash]*block.Block{}
	for _, b := range blocks {
		byHash[b.Hash()] = b
	}
	p.headers = func(q netproto.HeadersRequest) ([]byte, bool) {
		start := 0
		for i, b := range blocks {
			for _, l := range q.Locator {
				if b.Hash() == l {
					start = max(start, i+1)
				}
			}
		}
		hs := make([]block.Header, 0, len(blocks)-start)
		for _, b := range blocks[start:] {
			hs = append(hs, b.Header)
		}
		return netproto.EncodeHeaders(hs), true
	}
	p.blocks = func(hashes []chainhash.Hash) ([]byte, bool) {
		blobs := make([][]byte, len(hashes))
		for i, h := range hashes {
			if b := byHash[h]; b != nil {
				blobs[i] = b.Encode()
			}
		}
		return netproto.EncodeBlobs(blobs), true
	}
	end := blocks[len(blocks)-1]
	p.status = func() ([]byte, bool) {
		st := &netproto.Status{Network: params.Name, Genesis: params.GenesisHash(), Height: end.Txs[0].Coinbase.Height, Tip: end.Hash()}
		st.Work = new(big.Int).Lsh(big.NewInt(1), 40)
		return st.Encode(), true
	}
}

// invalidFork returns blocks on top of parent whose first block spends an
// output that does not exist (valid proof of work and headers).
func invalidFork(parent *block.Block, height uint64, n int) []*block.Block {
	k := chaintest.NewKey(3)
	bad := chaintest.SignedTx(params.Name, []chaintest.Spend{{OutPoint: tx.OutPoint{TxID: chainhash.Hash{7}}, Output: tx.TxOut{Amount: 1000, PubKey: k.Pub}, Key: k}},
		[]tx.TxOut{{Amount: 900, PubKey: k.Pub}})
	bl := chaintest.Builder{Params: params, Miner: k}
	first := bl.Next(parent.Header, height+1, 100, bad)
	return append([]*block.Block{first}, mine(first.Header, height+1, n-1, 3)...)
}

// Attack 3: blocks with valid proof of work on a connected parent that fail
// at connect (a missing input) are final: the sender is penalised like for
// any consensus failure and the body is not kept.
func TestPeerServingInvalidBlocksIsBannedAndNothingKept(t *testing.T) {
	s := newScenario(t, Config{})
	fork := invalidFork(s.base[9], 10, 40)
	bad := newPeer(t, "bad", s.base)
	scriptedChain(bad, fork)
	s.victim.connect(bad, s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	if !s.victim.banned[bad.id] {
		t.Fatalf("peer that served an invalid block is not banned: %v", s.victim.penalties())
	}
	s.victim.requireNotPenalized(s.honest.id)
	if _, _, err := s.victim.victim.BlockByHash(fork[0].Hash()); err == nil {
		t.Fatalf("body of the invalid block was kept")
	}
}

// Attack 5: a fork lighter than our chain is never downloaded, however much
// work its peer claims.
func TestLowWorkForkIsNeverDownloaded(t *testing.T) {
	s := newScenario(t, Config{})
	light := mine(s.base[4].Header, 5, 3, 4) // ends at height 8, below the victim's 10
	liar := newPeer(t, "light", append(append([]*block.Block{}, s.base[:5]...), light...))
	liar.claim(1 << 40)
	s.victim.connect(liar, s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	if n := liar.requests[SendBlocks]; n != 0 {
		t.Fatalf("asked the light fork's peer for blocks %d times", n)
	}
	for _, b := range light {
		if s.victim.victim.HasBlock(b.Hash()) {
			t.Fatalf("light fork block stored")
		}
	}
	s.victim.requirePenalized(liar.id)
	s.victim.requireNotPenalized(s.honest.id)
}

// Attack 6: headers on top of a block known to be invalid are refused at
// the header stage; their blocks are never asked for.
func TestHeadersOnKnownInvalidBlockArePenalized(t *testing.T) {
	s := newScenario(t, Config{})
	fork := invalidFork(s.base[9], 10, 30)
	if _, err := s.victim.victim.ProcessBlock(fork[0], clockStart.Unix()); err == nil {
		t.Fatalf("invalid block accepted")
	}
	liar := newPeer(t, "liar", s.base)
	scriptedChain(liar, fork[1:])
	s.victim.connect(liar, s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	if !s.victim.banned[liar.id] {
		t.Fatalf("peer showing headers on an invalid block is not banned: %v", s.victim.penalties())
	}
	if n := liar.requests[SendBlocks]; n != 0 {
		t.Fatalf("asked for blocks on an invalid block %d times", n)
	}
	s.victim.requireNotPenalized(s.honest.id)
}

// Malformed responses cost the sender, nobody else.
func TestMalformedResponsesArePenalized(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(p *scriptedPeer)
	}{
		{"status", func(p *scriptedPeer) { p.status = func() ([]byte, bool) { return []byte{1, 2, 3}, true } }},
		{"headers", func(p *scriptedPeer) {
			p.claim(1 << 40)
			p.headers = func(netproto.HeadersRequest) ([]byte, bool) { return []byte{0xff, 0xff, 0xff}, true }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t, Config{})
			bad := newPeer(t, "bad", s.base)
			tc.setup(bad)
			s.victim.connect(bad, s.honest)
			s.victim.untilTip(s.honestTip(), time.Minute)
			s.victim.requirePenalized(bad.id)
			s.victim.requireNotPenalized(s.honest.id)
		})
	}
}
