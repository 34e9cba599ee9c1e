package block

import (
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/tx"
)

// MaxEncodedSize bounds the bytes a block decoder accepts, above any network's block size limit.
const MaxEncodedSize = 4_000_000

// minTxSize is the smallest possible encoded transaction, used to bound counts before allocating.
const minTxSize = 4 + 1 + 1 + 1

// Block is a header and the transactions it commits to, coinbase first.
type Block struct {
	Header Header
	Txs    []*tx.Tx
}

// Hash returns the block's hash (its header's).
func (b *Block) Hash() chainhash.Hash { return b.Header.Hash() }

// Encode returns the canonical encoding: the header, a varint count, then each transaction.
func (b *Block) Encode() []byte {
	out := make([]byte, 0, b.Size())
	out = b.Header.AppendEncode(out)
	out = wire.AppendVarint(out, uint32(len(b.Txs)))
	for _, t := range b.Txs {
		out = t.AppendEncode(out)
	}
	return out
}

// Size returns the length of the canonical encoding in bytes.
func (b *Block) Size() int {
	n := HeaderSize + wire.VarintSize(uint32(len(b.Txs)))
	for _, t := range b.Txs {
		n += t.Size()
	}
	return n
}

// Decode parses exactly one block; trailing bytes and non-canonical forms are errors.
func Decode(data []byte) (*Block, error) {
	if len(data) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(data), MaxEncodedSize)
	}
	r := wire.NewReader(data)
	b := &Block{Header: ReadHeader(r)}
	if n := r.Count(MaxEncodedSize/minTxSize, minTxSize); n > 0 {
		b.Txs = make([]*tx.Tx, 0, n)
		for i := 0; i < n && r.Err() == nil; i++ {
			if t := tx.ReadFrom(r); t != nil {
				b.Txs = append(b.Txs, t)
			}
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return b, nil
}

// MerkleLeaves returns the leaves of the block's Merkle tree: each
// transaction's full hash (txid plus signatures), in block order.
func MerkleLeaves(txs []*tx.Tx) []chainhash.Hash {
	leaves := make([]chainhash.Hash, len(txs))
	for i, t := range txs {
		leaves[i] = t.FullHash()
	}
	return leaves
}

// ComputeMerkleRoot returns the Merkle root committing to txs.
func ComputeMerkleRoot(txs []*tx.Tx) chainhash.Hash {
	return merkle.Root(MerkleLeaves(txs))
}
