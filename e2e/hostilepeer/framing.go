package main

import (
	"context"
	"crypto/rand"
	"math/big"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/pow"
)

// withhold answers a blocks request of the framing attacks.
type withhold func(ctx context.Context, hashes int) ([]byte, error)

// withholdNotFound says it has none of the blocks.
func withholdNotFound(_ context.Context, n int) ([]byte, error) {
	return netproto.EncodeBlobs(make([][]byte, n)), nil
}

// withholdSilent never answers: it holds the request until the attacker stops.
func withholdSilent(ctx context.Context, _ int) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// withholdOversize answers with as many bytes as a request of the most
// blocks of the largest size a peer may send, whatever was asked.
func withholdOversize(_ context.Context, _ int) ([]byte, error) {
	return make([]byte, netproto.MaxBlocksRespSize), nil
}

// framing shows the victim a.headers valid headers on its tip, with more
// work than any honest chain near it, and withholds their blocks.
func framing(serve withhold) attack {
	return func(ctx context.Context, a *attacker) error {
		st, chain, err := a.victimChain()
		if err != nil {
			return err
		}
		fork, work := a.forkHeaders(chain, a.headers)
		chain = append(chain, fork...)
		tip := fork[len(fork)-1]
		a.serveStatus(a.status(st.Height+uint64(len(fork)), tip.Hash(), new(big.Int).Add(st.Work, work)))
		a.serveEmptyMempool()
		a.host.Handle(netproto.ProtoHeaders, netproto.MaxRequestSize, func(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
			resp, err := headersAfter(chain, req)
			if err == nil {
				a.rep.report(event{Event: "headers", N: len(resp) / block.HeaderSize})
			}
			return resp, err
		})
		a.host.Handle(netproto.ProtoBlocks, netproto.MaxRequestSize, func(_ context.Context, _ peer.ID, req []byte) ([]byte, error) {
			hashes, err := netproto.DecodeHashes(req, netproto.MaxBlocksPerReq)
			if err != nil {
				return nil, err
			}
			a.rep.report(event{Event: "blocks", N: len(hashes)})
			return serve(ctx, len(hashes)) // ctx: the attacker's, so that silence outlasts the request
		})
		return nil
	}
}

// forkHeaders mines n headers with valid proof of work on the last header
// of chain, one second apart, and returns them with their work. Their
// blocks do not exist: the Merkle roots are random.
func (a *attacker) forkHeaders(chain []block.Header, n int) ([]block.Header, *big.Int) {
	parent := chain[len(chain)-1]
	height := uint64(len(chain) - 1)
	anchor := parent.Time
	if len(chain) > 1 {
		anchor = chain[1].Time
	}
	out := make([]block.Header, 0, n)
	work := new(big.Int)
	for i := 0; i < n; i++ {
		h := block.Header{Version: 1, Prev: parent.Hash(), Time: parent.Time + 1,
			Difficulty: a.params.RequiredDifficulty(height, parent.Time, anchor)}
		if height == 0 {
			anchor = h.Time // the header at height 1 anchors retargeting
		}
		rand.Read(h.MerkleRoot[:])
		chaintest.Solve(&h)
		out = append(out, h)
		work.Add(work, pow.Work(h.Difficulty))
		parent, height = h, height+1
	}
	return out, work
}
