// Package netserve answers the request/response protocols of netproto from
// a full node's chain and mempool: the status handshake, headers by locator,
// blocks by hash, transactions by id, Merkle proofs by txid, and compact
// block filters and filter headers by range. The node
// registers it on its p2p host; tests use it to stand up a real serving peer.
package netserve

import (
	"context"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/tx"
)

// TxLookup finds unconfirmed transactions by id; nil when the server has no mempool.
type TxLookup func(id chainhash.Hash) (*tx.Tx, bool)

// Server answers requests from a chain and, optionally, a mempool lookup.
type Server struct {
	Chain   *chain.Chain
	Pending TxLookup
	// PendingIDs lists the mempool's txids, oldest first; nil when there is no mempool.
	PendingIDs func() []chainhash.Hash
}

// Register installs the handlers on h.
func (s *Server) Register(h *p2p.Host) {
	h.Handle(netproto.ProtoStatus, 64, s.status)
	h.Handle(netproto.ProtoHeaders, netproto.MaxRequestSize, s.headers)
	h.Handle(netproto.ProtoBlocks, netproto.MaxRequestSize, s.blocks)
	h.Handle(netproto.ProtoTx, netproto.MaxRequestSize, s.tx)
	h.Handle(netproto.ProtoProof, netproto.MaxRequestSize, s.proof)
	h.Handle(netproto.ProtoMempool, 0, s.mempool)
	s.registerFilters(h)
}

// mempool answers with up to MaxMempoolIDs txids of pending transactions, so
// a peer that missed their gossip can fetch them.
func (s *Server) mempool(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	var ids []chainhash.Hash
	if s.PendingIDs != nil {
		ids = s.PendingIDs()
	}
	if len(ids) > netproto.MaxMempoolIDs {
		ids = ids[len(ids)-netproto.MaxMempoolIDs:]
	}
	return netproto.EncodeHashes(ids), nil
}

// LocalStatus describes the chain for the handshake.
func LocalStatus(c *chain.Chain) *netproto.Status {
	tip := c.Tip()
	return &netproto.Status{Network: c.Params().Name, Genesis: c.Params().GenesisHash(), Height: tip.Height, Tip: tip.Hash, Work: tip.Work}
}

func (s *Server) status(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	return LocalStatus(s.Chain).Encode(), nil
}

func (s *Server) headers(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	q, err := netproto.DecodeHeadersRequest(req)
	if err != nil {
		return nil, err
	}
	max := int(q.Max)
	if max <= 0 || max > netproto.MaxHeaders {
		max = netproto.MaxHeaders
	}
	return netproto.EncodeHeaders(s.Chain.HeadersAfter(q.Locator, q.Stop, max)), nil
}

func (s *Server) blocks(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	hashes, err := netproto.DecodeHashes(req, netproto.MaxBlocksPerReq)
	if err != nil {
		return nil, err
	}
	blobs := make([][]byte, 0, len(hashes))
	for _, h := range hashes {
		b, _, err := s.Chain.BlockByHash(h)
		if errors.Is(err, chain.ErrNotFound) {
			blobs = append(blobs, nil)
			continue
		}
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, b.Encode())
	}
	return netproto.EncodeBlobs(blobs), nil
}

func (s *Server) lookupTx(req []byte) (*tx.Tx, error) {
	ids, err := netproto.DecodeHashes(req, 1)
	if err != nil {
		return nil, err
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("want one txid, got %d", len(ids))
	}
	if s.Pending != nil {
		if t, ok := s.Pending(ids[0]); ok {
			return t, nil
		}
	}
	t, _, err := s.Chain.TxByID(ids[0])
	return t, err
}

func (s *Server) tx(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	t, err := s.lookupTx(req)
	if err != nil {
		return nil, err
	}
	return t.Encode(), nil
}

func (s *Server) proof(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	ids, err := netproto.DecodeHashes(req, 1)
	if err != nil {
		return nil, err
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("want one txid, got %d", len(ids))
	}
	p, err := s.Chain.MerkleProof(ids[0])
	if err != nil {
		return nil, err
	}
	msg := netproto.TxProof{Tx: p.Tx, Block: p.Block.Hash, Proof: p.Proof}
	return msg.Encode()
}
