package blocksync

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
)

// syncThenHonestMines syncs the victim with the honest peer, then has the
// honest peer's chain grow by n blocks the victim has not heard of.
func (s *scenario) syncThenHonestMines(t *testing.T, n int) []*block.Block {
	s.victim.connect(s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	more := mine(s.ahead[len(s.ahead)-1].Header, 30, n, 1)
	load(t, s.honest.c, more)
	return more
}

// Attack 4: a peer relays junk blocks whose parents nobody has and, asked
// for the headers linking them, shows nothing: each round costs it, until
// it is banned; the honest peer is not touched.
func TestOrphanRelayerThatCannotLinkIsBanned(t *testing.T) {
	s := newScenario(t, Config{})
	junk := newPeer(t, "junk", s.base)
	junk.headers = func(netproto.HeadersRequest) ([]byte, bool) { return netproto.EncodeHeaders(nil), true }
	s.victim.connect(junk, s.honest)
	s.victim.untilTip(s.honestTip(), time.Minute)
	for i := 0; i < 10 && !s.victim.banned[junk.id]; i++ {
		var orphan chainhash.Hash
		rand.Read(orphan[:])
		s.victim.m.OrphanBlock(s.victim.now, junk.id, orphan)
		s.victim.run()
	}
	if !s.victim.banned[junk.id] {
		t.Fatalf("relayer of unlinkable blocks not banned after 10: %v", s.victim.penalties())
	}
	s.victim.requireNotPenalized(s.honest.id)
}

// An honest relayer is not blamed when the block it relayed reached us
// some other way before its (now empty) answer did.
func TestOrphanThatArrivedMeanwhileIsNotHeldAgainstItsRelayer(t *testing.T) {
	s := newScenario(t, Config{})
	more := s.syncThenHonestMines(t, 2)
	serve := s.honest.headers
	var held func()
	s.honest.headers = func(netproto.HeadersRequest) ([]byte, bool) {
		held = func() {
			// By now the victim has both blocks: the answer shows nothing new.
			resp, _ := serve(netproto.HeadersRequest{Locator: s.victim.victim.Locator()})
			s.victim.m.HeadersResponse(s.victim.now, s.honest.id, s.victim.m.reqsFor(s.honest.id, SendHeaders), resp)
		}
		return nil, false
	}
	s.victim.m.OrphanBlock(s.victim.now, s.honest.id, more[1].Hash())
	s.victim.run()
	if held == nil {
		t.Fatal("no headers request for the orphan")
	}
	load(t, s.victim.victim, more) // the blocks come from elsewhere meanwhile
	held()
	s.victim.run()
	s.victim.requireNotPenalized(s.honest.id)
}

// A miner that relayed a block of its own fork and has since reorganised
// onto our chain can still link it: the headers request for an orphan asks
// for the branch that ends at it, which the miner keeps. It is not blamed,
// and the fork's headers are what it showed.
func TestRelayerThatLeftItsForkCanStillLinkIt(t *testing.T) {
	s := newScenario(t, Config{})
	fork := mine(s.base[9].Header, 10, 3, 5) // lighter than the honest chain
	miner := newPeer(t, "miner", append(append(append([]*block.Block{}, s.base...), fork...), s.ahead...))
	if tip := miner.c.Tip().Hash; tip != s.honestTip() {
		t.Fatalf("miner's tip %s, want the honest tip it reorganised onto", tip)
	}
	s.victim.connect(s.honest, miner)
	s.victim.untilTip(s.honestTip(), time.Minute)
	s.victim.m.OrphanBlock(s.victim.now, miner.id, fork[2].Hash())
	s.victim.run()
	s.victim.requireNotPenalized(miner.id, s.honest.id)
	if _, shown := s.victim.m.peers[miner.id].pendingSet[fork[2].Hash()]; !shown {
		t.Fatal("the fork's headers were not taken from the miner")
	}
}
