// Package netproto defines the messages full nodes and SPV clients exchange
// over the p2p layer's request/response protocols and gossip topics, with
// strict, bounded decoders: every count is checked against a limit before
// anything is allocated, and trailing bytes are an error.
package netproto

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/tx"
)

// Protocol and topic names (the p2p layer prefixes them with the network).
const (
	ProtoStatus  = "status/1"
	ProtoHeaders = "headers/1"
	ProtoBlocks  = "blocks/1"
	ProtoTx      = "tx/1"
	ProtoProof   = "proof/1"
	ProtoMempool = "mempool/1"
	TopicBlocks  = "blocks"
	TopicTxs     = "txs"
)

// Limits on messages.
const (
	MaxLocator         = 64
	MaxHeaders         = 2000
	MaxBlocksPerReq    = 16
	MaxMempoolIDs      = 5000
	MaxMempoolRespSize = 8 + MaxMempoolIDs*32
	MaxRequestSize     = 4 + MaxLocator*32 + 64
	MaxStatusSize      = 256
	MaxHeadersSize     = 4 + MaxHeaders*block.HeaderSize
	MaxBlockSize       = 2 << 20
	MaxBlocksRespSize  = MaxBlocksPerReq * (MaxBlockSize + 8)
	MaxTxRespSize      = tx.MaxEncodedSize + 8
	MaxProofRespSize   = MaxTxRespSize + 32 + 8 + 8 + 40*32
)

// ErrMalformed reports a message that does not decode.
var ErrMalformed = errors.New("malformed message")

func done(r *wire.Reader, what string) error {
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	return nil
}

// Status is the handshake: which chain a peer follows and how far it is.
type Status struct {
	Network string
	Genesis chainhash.Hash
	Height  uint64
	Tip     chainhash.Hash
	Work    *big.Int
}

// Encode returns the message bytes.
func (s *Status) Encode() []byte {
	b := wire.AppendBytes(nil, []byte(s.Network))
	b = append(b, s.Genesis[:]...)
	b = wire.AppendUint64(b, s.Height)
	b = append(b, s.Tip[:]...)
	return wire.AppendBytes(b, s.Work.Bytes())
}

// DecodeStatus parses a Status.
func DecodeStatus(data []byte) (*Status, error) {
	r := wire.NewReader(data)
	s := &Status{Network: string(r.Bytes(32)), Genesis: r.Array32(), Height: r.Uint64(), Tip: r.Array32()}
	s.Work = new(big.Int).SetBytes(r.Bytes(64))
	return s, done(r, "status")
}

// HeadersRequest asks for the headers after the first locator hash the peer
// knows on a branch: its main chain, cut after Stop if Stop is on it, or the
// branch that ends at Stop when Stop is a valid block of a side branch.
type HeadersRequest struct {
	Locator []chainhash.Hash
	Stop    chainhash.Hash
	Max     uint32
}

// Encode returns the message bytes.
func (q *HeadersRequest) Encode() []byte {
	b := appendHashes(nil, q.Locator)
	b = append(b, q.Stop[:]...)
	return wire.AppendUint32(b, q.Max)
}

// DecodeHeadersRequest parses a HeadersRequest.
func DecodeHeadersRequest(data []byte) (*HeadersRequest, error) {
	r := wire.NewReader(data)
	q := &HeadersRequest{Locator: readHashes(r, MaxLocator), Stop: r.Array32(), Max: r.Uint32()}
	return q, done(r, "headers request")
}

// EncodeHeaders encodes a headers response.
func EncodeHeaders(hs []block.Header) []byte {
	b := wire.AppendVarint(nil, uint32(len(hs)))
	for i := range hs {
		b = hs[i].AppendEncode(b)
	}
	return b
}

// DecodeHeaders parses a headers response.
func DecodeHeaders(data []byte) ([]block.Header, error) {
	r := wire.NewReader(data)
	n := r.Count(MaxHeaders, block.HeaderSize)
	hs := make([]block.Header, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		hs = append(hs, block.ReadHeader(r))
	}
	return hs, done(r, "headers")
}

// EncodeHashes encodes a list of hashes (a blocks request, or a tx request of one id).
func EncodeHashes(hs []chainhash.Hash) []byte { return appendHashes(nil, hs) }

// DecodeHashes parses a list of at most max hashes.
func DecodeHashes(data []byte, max int) ([]chainhash.Hash, error) {
	r := wire.NewReader(data)
	hs := readHashes(r, max)
	return hs, done(r, "hash list")
}

func appendHashes(b []byte, hs []chainhash.Hash) []byte {
	b = wire.AppendVarint(b, uint32(len(hs)))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

func readHashes(r *wire.Reader, max int) []chainhash.Hash {
	n := r.Count(max, 32)
	hs := make([]chainhash.Hash, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		hs = append(hs, r.Array32())
	}
	return hs
}

// EncodeBlobs encodes a list of length-prefixed byte strings (a blocks response).
func EncodeBlobs(blobs [][]byte) []byte {
	b := wire.AppendVarint(nil, uint32(len(blobs)))
	for _, p := range blobs {
		b = wire.AppendBytes(b, p)
	}
	return b
}

// BlobsSize returns the longest encoding EncodeBlobs gives n byte strings of
// at most maxEach bytes: the most a response of n blocks can honestly take.
func BlobsSize(n, maxEach int) int {
	return wire.VarintSize(uint32(n)) + n*(wire.VarintSize(uint32(maxEach))+maxEach)
}

// DecodeBlobs parses at most max byte strings of at most maxEach bytes.
func DecodeBlobs(data []byte, max, maxEach int) ([][]byte, error) {
	r := wire.NewReader(data)
	n := r.Count(max, 1)
	out := make([][]byte, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		out = append(out, r.Bytes(maxEach))
	}
	return out, done(r, "blobs")
}

// TxProof answers a proof request: the transaction, the hash of the block
// holding it, and the Merkle proof of its leaf against that block's root.
type TxProof struct {
	Tx    *tx.Tx
	Block chainhash.Hash
	Proof merkle.Proof
}

// Encode returns the message bytes.
func (p *TxProof) Encode() ([]byte, error) {
	proof, err := p.Proof.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := wire.AppendBytes(nil, p.Tx.Encode())
	b = append(b, p.Block[:]...)
	return wire.AppendBytes(b, proof), nil
}

// DecodeTxProof parses a TxProof.
func DecodeTxProof(data []byte) (*TxProof, error) {
	r := wire.NewReader(data)
	rawTx := r.Bytes(tx.MaxEncodedSize)
	p := &TxProof{Block: r.Array32()}
	rawProof := r.Bytes(8 + 1 + 32*merkle.MaxDepth)
	if err := done(r, "tx proof"); err != nil {
		return nil, err
	}
	t, err := tx.Decode(rawTx)
	if err != nil {
		return nil, fmt.Errorf("%w: tx proof: %w", ErrMalformed, err)
	}
	p.Tx = t
	if err := p.Proof.UnmarshalBinary(rawProof); err != nil {
		return nil, fmt.Errorf("%w: tx proof: %w", ErrMalformed, err)
	}
	return p, nil
}
