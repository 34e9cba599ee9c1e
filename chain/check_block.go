package chain

import (
	"errors"
	"runtime"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// DecodeBlock parses a block received from outside and maps decoding failures
// to rule errors: ErrNonCanonical for a value in a non-canonical form and
// ErrMalformed for anything else that is not a block.
func DecodeBlock(data []byte) (*block.Block, error) {
	b, err := block.Decode(data)
	if err != nil {
		return nil, decodeError(err)
	}
	return b, nil
}

// decodeError maps a decoding failure to its rule error.
func decodeError(err error) error {
	if errors.Is(err, wire.ErrNonCanonical) {
		return rule.Errorf(rule.ErrNonCanonical, "%v", err)
	}
	return rule.Errorf(rule.ErrMalformed, "%v", err)
}

// DecodeTx parses a transaction received from outside, mapping failures to rule errors as DecodeBlock does.
func DecodeTx(data []byte) (*tx.Tx, error) {
	t, err := tx.Decode(data)
	if err != nil {
		return nil, decodeError(err)
	}
	return t, nil
}

// CheckBlockSanity applies the rules a block must meet on its own: proof of
// work for the difficulty it claims, a coinbase first and only first, sane
// transactions, a Merkle root that matches, no transaction twice, and a size
// within the limit.
func CheckBlockSanity(p *chaincfg.Params, b *block.Block) error {
	_, _, err := checkBlockSanity(p, b)
	return err
}

// merklePiece is how many transactions a worker hashes at a time, with
// their Merkle subtree: a power of two (see merkle.RootOfPieces).
const merklePiece = 32

// checkBlockSanity is CheckBlockSanity, returning the transaction ids of a
// sane block and each id's position in it.
func checkBlockSanity(p *chaincfg.Params, b *block.Block) ([]chainhash.Hash, map[chainhash.Hash]int, error) {
	hash := b.Hash()
	if err := headerchain.CheckDifficultyFloor(p, &b.Header); err != nil {
		return nil, nil, err
	}
	if err := headerchain.CheckProofOfWork(&b.Header, hash); err != nil {
		return nil, nil, err
	}
	if len(b.Txs) == 0 {
		return nil, nil, rule.Errorf(rule.ErrNoTransactions, "block %s has no transactions", hash)
	}
	if size := b.Size(); size > p.MaxBlockSize {
		return nil, nil, rule.Errorf(rule.ErrBlockTooLarge, "block is %d bytes, limit %d", size, p.MaxBlockSize)
	}
	if !b.Txs[0].IsCoinbase() {
		return nil, nil, rule.Errorf(rule.ErrFirstNotCoinbase, "first transaction is not a coinbase")
	}
	for i, t := range b.Txs[1:] {
		if t.IsCoinbase() {
			return nil, nil, rule.Errorf(rule.ErrMultipleCoinbases, "transaction %d is a second coinbase", i+1)
		}
	}
	// Hash and check the transactions on every core, a piece of merklePiece
	// at a time with the piece's Merkle subtree; report the first failure
	// in block order.
	ids := make([]chainhash.Hash, len(b.Txs))
	leaves := make([]chainhash.Hash, len(b.Txs))
	errs := make([]error, len(b.Txs))
	pieceRoots := make([]chainhash.Hash, (len(b.Txs)+merklePiece-1)/merklePiece)
	timeParallel(func() {
		forEach(len(pieceRoots), runtime.GOMAXPROCS(0), func(k int) {
			lo, hi := k*merklePiece, min(len(b.Txs), (k+1)*merklePiece)
			for i := lo; i < hi; i++ {
				t := b.Txs[i]
				errs[i] = tx.CheckSanity(t)
				ids[i], leaves[i] = t.ID(), t.FullHash()
			}
			pieceRoots[k] = merkle.Root(leaves[lo:hi])
		})
	})
	positions := make(map[chainhash.Hash]int, len(b.Txs))
	for i, id := range ids {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		if _, dup := positions[id]; dup {
			return nil, nil, rule.Errorf(rule.ErrDuplicateTx, "transaction %d (%s) appears twice", i, id)
		}
		positions[id] = i
	}
	if root := merkle.RootOfPieces(pieceRoots); root != b.Header.MerkleRoot {
		return nil, nil, rule.Errorf(rule.ErrBadMerkleRoot, "merkle root %s, header says %s", root, b.Header.MerkleRoot)
	}
	return ids, positions, nil
}
