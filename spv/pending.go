package spv

import (
	"context"
	"time"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/tx"
)

// ReasonPending is the reason a verification gives for a transaction that
// peers hold but have not put in a block.
const ReasonPending = "not in a block yet: a peer holds the transaction in its mempool; wait for it to be mined and verify again"

// pendingAtPeer reports whether a peer serves txid although none could
// prove it in a block: the transaction waits in a mempool.
func (s *session) pendingAtPeer(ctx context.Context, txid chainhash.Hash) bool {
	for _, id := range s.peers {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		raw, err := s.host.Request(rctx, id, netproto.ProtoTx, netproto.EncodeHashes([]chainhash.Hash{txid}), netproto.MaxTxRespSize)
		cancel()
		if err != nil {
			continue
		}
		if t, err := tx.Decode(raw); err == nil && t.ID() == txid {
			return true
		}
	}
	return false
}
