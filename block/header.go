// Package block defines block headers and blocks, their canonical encoding,
// and the Merkle commitment of a block's transactions.
package block

import (
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/pow"
)

// HeaderSize is the length of an encoded header. The nonce is in the last
// four bytes, so the first 64 bytes are constant while a miner searches nonces.
const HeaderSize = 84

// NonceOffset is where the nonce starts in an encoded header.
const NonceOffset = 80

// ErrMalformed reports bytes that are not the canonical encoding of a header or block.
var ErrMalformed = errors.New("malformed block")

// Header is what proof of work is done over: it links to its parent and
// commits to the block's transactions through MerkleRoot.
//
// Encoding: version u32 | prev [32] | merkle root [32] | time i64 | difficulty u32 | nonce u32,
// integers little-endian.
type Header struct {
	Version    uint32
	Prev       chainhash.Hash
	MerkleRoot chainhash.Hash
	Time       int64 // seconds since the Unix epoch
	Difficulty pow.Difficulty
	Nonce      uint32
}

// Encode returns the 84-byte canonical encoding of h.
func (h *Header) Encode() [HeaderSize]byte {
	var out [HeaderSize]byte
	h.AppendEncode(out[:0])
	return out
}

// AppendEncode appends the canonical encoding of h to b.
func (h *Header) AppendEncode(b []byte) []byte {
	b = wire.AppendUint32(b, h.Version)
	b = append(b, h.Prev[:]...)
	b = append(b, h.MerkleRoot[:]...)
	b = wire.AppendUint64(b, uint64(h.Time))
	b = wire.AppendUint32(b, uint32(h.Difficulty))
	return wire.AppendUint32(b, h.Nonce)
}

// Hash returns the block hash: the double SHA-256 of the encoded header.
func (h *Header) Hash() chainhash.Hash {
	enc := h.Encode()
	return chainhash.DoubleSHA256(enc[:])
}

// DecodeHeader parses exactly one header.
func DecodeHeader(b []byte) (Header, error) {
	r := wire.NewReader(b)
	h := ReadHeader(r)
	if err := r.Done(); err != nil {
		return Header{}, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	return h, nil
}

// ReadHeader decodes a header from r; errors are recorded in r.
func ReadHeader(r *wire.Reader) Header {
	return Header{
		Version:    r.Uint32(),
		Prev:       r.Array32(),
		MerkleRoot: r.Array32(),
		Time:       int64(r.Uint64()),
		Difficulty: pow.Difficulty(r.Uint32()),
		Nonce:      r.Uint32(),
	}
}
