package main

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
)

// requestTimeout bounds each request the attacker makes of the victim.
const requestTimeout = 10 * time.Second

// attacker is the hostile peer: its host, the victim, and the attack's sizes.
type attacker struct {
	ctx    context.Context
	params *chaincfg.Params
	host   *p2p.Host
	victim peer.ID
	rep    *reporter

	headers, blocks, size, rate int
}

// connect dials the victim.
func (a *attacker) connect(addr string) error {
	info, err := peer.AddrInfoFromString(addr)
	if err != nil {
		return fmt.Errorf("victim address %q: %w", addr, err)
	}
	a.victim = info.ID
	ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
	defer cancel()
	return a.host.Connect(ctx, addr)
}

// request asks the victim on proto and returns the response.
func (a *attacker) request(proto string, body []byte, max int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
	defer cancel()
	return a.host.Request(ctx, a.victim, proto, body, max)
}

// victimChain returns the victim's status and its main chain's headers, genesis first.
func (a *attacker) victimChain() (*netproto.Status, []block.Header, error) {
	raw, err := a.request(netproto.ProtoStatus, nil, netproto.MaxStatusSize)
	if err != nil {
		return nil, nil, fmt.Errorf("victim's status: %w", err)
	}
	st, err := netproto.DecodeStatus(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("victim's status: %w", err)
	}
	chain := []block.Header{a.params.Genesis().Header}
	for {
		q := netproto.HeadersRequest{Locator: []chainhash.Hash{chain[len(chain)-1].Hash()}, Max: netproto.MaxHeaders}
		raw, err := a.request(netproto.ProtoHeaders, q.Encode(), netproto.MaxHeadersSize)
		if err != nil {
			return nil, nil, fmt.Errorf("victim's headers: %w", err)
		}
		hs, err := netproto.DecodeHeaders(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("victim's headers: %w", err)
		}
		chain = append(chain, hs...)
		if len(hs) < netproto.MaxHeaders {
			return st, chain, nil
		}
	}
}

// headersAfter answers a headers request from chain (genesis first) as a
// node does: the headers after the last locator hash it has.
func headersAfter(chain []block.Header, raw []byte) ([]byte, error) {
	q, err := netproto.DecodeHeadersRequest(raw)
	if err != nil {
		return nil, err
	}
	index := make(map[chainhash.Hash]int, len(chain))
	for i := range chain {
		index[chain[i].Hash()] = i
	}
	start := 0
	for _, h := range q.Locator {
		if i, ok := index[h]; ok {
			start = i
			break
		}
	}
	max := int(q.Max)
	if max <= 0 || max > netproto.MaxHeaders {
		max = netproto.MaxHeaders
	}
	return netproto.EncodeHeaders(chain[start+1 : min(len(chain), start+1+max)]), nil
}

// serveStatus answers status requests with st.
func (a *attacker) serveStatus(st *netproto.Status) {
	a.host.Handle(netproto.ProtoStatus, 64, func(context.Context, peer.ID, []byte) ([]byte, error) {
		return st.Encode(), nil
	})
}

// serveEmptyMempool answers mempool requests as a node with no pending transactions.
func (a *attacker) serveEmptyMempool() {
	a.host.Handle(netproto.ProtoMempool, 0, func(context.Context, peer.ID, []byte) ([]byte, error) {
		return netproto.EncodeHashes(nil), nil
	})
}

// status is a status for chain tip tip at height with work.
func (a *attacker) status(height uint64, tip chainhash.Hash, work *big.Int) *netproto.Status {
	return &netproto.Status{Network: a.params.Name, Genesis: a.params.GenesisHash(), Height: height, Tip: tip, Work: work}
}
