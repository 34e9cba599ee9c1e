package main

import (
	"context"
	"crypto/rand"
	"math/big"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
)

// stall claims vastly more work than the victim (and so than any honest
// peer near it) and never shows any: every headers request is answered with
// no headers, or, when known is set, with headers the victim already has.
func stall(known bool) attack {
	return func(ctx context.Context, a *attacker) error {
		st, chain, err := a.victimChain()
		if err != nil {
			return err
		}
		var tip chainhash.Hash
		rand.Read(tip[:])
		a.serveStatus(a.status(st.Height+1_000_000, tip, new(big.Int).Lsh(st.Work, 64)))
		a.serveEmptyMempool()
		var answer []block.Header
		if known {
			answer = chain[1:min(len(chain), 1+netproto.MaxHeaders)]
		}
		a.host.Handle(netproto.ProtoHeaders, netproto.MaxRequestSize, func(context.Context, peer.ID, []byte) ([]byte, error) {
			a.rep.report(event{Event: "headers", N: len(answer)})
			return netproto.EncodeHeaders(answer), nil
		})
		return nil
	}
}
