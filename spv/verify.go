package spv

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
)

// Verification is the outcome of checking a payment.
type Verification struct {
	TxID          chainhash.Hash
	Verified      bool
	Block         chainhash.Hash
	Height        uint64
	Confirmations uint64
	// Received is what the transaction pays to the caller's keys.
	Received int64
	// Reason says why a payment is not verified.
	Reason string
	// Dropped lists the peers verification stopped using, and why.
	Dropped []DroppedPeer
}

// Verify syncs headers, then asks the peers for txid's Merkle proof and
// checks it against a header on the most-work chain with at least minConf
// confirmations. A peer that sends a transaction other than txid, or a proof
// that does not check, is reported and dropped, and the others are asked.
func (c *Client) Verify(ctx context.Context, peers []string, txid chainhash.Hash, minConf uint64, isMine func(pub [32]byte) bool) (*Verification, error) {
	s, err := c.connect(ctx, peers)
	if err != nil {
		return nil, err
	}
	defer s.close()
	s.syncHeaders(ctx)
	v := &Verification{TxID: txid, Reason: "not found by any peer"}
	for _, id := range s.peers {
		got, lied := s.checkProof(ctx, id, txid, minConf, isMine)
		if lied != "" {
			s.ban(id, lied)
			continue
		}
		if got == nil {
			continue
		}
		v = got // a verified answer, or the most informative failure so far
		if got.Verified {
			break
		}
	}
	if !v.Verified && v.Block.IsZero() && s.pendingAtPeer(ctx, txid) {
		v.Reason = ReasonPending
	}
	v.Dropped = s.dropped
	return v, nil
}

// checkProof asks one peer. It returns the verification (nil when the peer
// does not have the transaction) or, when the peer lied, why.
func (s *session) checkProof(ctx context.Context, id peer.ID, txid chainhash.Hash, minConf uint64, isMine func([32]byte) bool) (*Verification, string) {
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	raw, err := s.host.Request(rctx, id, netproto.ProtoProof, netproto.EncodeHashes([]chainhash.Hash{txid}), netproto.MaxProofRespSize)
	if err != nil {
		return nil, ""
	}
	p, err := netproto.DecodeTxProof(raw)
	if err != nil {
		return nil, fmt.Sprintf("malformed proof: %v", err)
	}
	if p.Tx.ID() != txid {
		return nil, fmt.Sprintf("sent transaction %s for %s", p.Tx.ID(), txid)
	}
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	node := c.index.Lookup(p.Block)
	best := c.index.Best()
	v := &Verification{TxID: txid, Block: p.Block}
	for _, o := range p.Tx.Outputs {
		if isMine != nil && isMine(o.PubKey) {
			v.Received += o.Amount
		}
	}
	if node == nil {
		v.Reason = fmt.Sprintf("block %s is not a known header", p.Block)
		return v, ""
	}
	if err := p.Proof.Verify(node.Header.MerkleRoot, p.Tx.FullHash()); err != nil {
		return nil, fmt.Sprintf("proof does not check against block %s: %v", p.Block, err)
	}
	v.Height = node.Height
	if !node.IsAncestorOf(best) {
		v.Reason = fmt.Sprintf("block %s is not on the most-work chain", p.Block)
		return v, ""
	}
	v.Confirmations = best.Height - node.Height + 1
	if v.Confirmations < minConf {
		v.Reason = fmt.Sprintf("only %d confirmations, need %d", v.Confirmations, minConf)
		return v, ""
	}
	v.Verified, v.Reason = true, ""
	return v, ""
}
