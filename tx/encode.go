package tx

import (
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/internal/wire"
)

// Encoding layout (all integers little-endian, counts as canonical varints):
//
//	version u32 | kind u8 (0 regular, 1 coinbase)
//	[coinbase: height u64 | extra nonce u64]
//	inputs:  count | count x (txid [32] | index u32)
//	outputs: count | count x (amount i64 | pubkey [32])
//	signatures: one [64] per input (not part of the txid)

const (
	kindRegular  = 0
	kindCoinbase = 1

	inputBodySize  = 32 + 4
	outputSize     = 8 + 32
	signatureSize  = 64
	coinbaseSize   = 8 + 8
	headerBodySize = 4 + 1
)

// MaxEncodedSize bounds the encoding of any transaction; larger input is refused before decoding.
const MaxEncodedSize = 1_000_000

// ErrMalformed reports bytes that are not the canonical encoding of a transaction.
var ErrMalformed = errors.New("malformed transaction")

func (t *Tx) bodySize() int {
	n := headerBodySize + wire.VarintSize(uint32(len(t.Inputs))) + len(t.Inputs)*inputBodySize +
		wire.VarintSize(uint32(len(t.Outputs))) + len(t.Outputs)*outputSize
	if t.Coinbase != nil {
		n += coinbaseSize
	}
	return n
}

// Size returns the length in bytes of the complete encoding.
func (t *Tx) Size() int { return t.bodySize() + len(t.Inputs)*signatureSize }

func (t *Tx) appendBody(b []byte) []byte {
	b = wire.AppendUint32(b, t.Version)
	if t.Coinbase != nil {
		b = append(b, kindCoinbase)
		b = wire.AppendUint64(b, t.Coinbase.Height)
		b = wire.AppendUint64(b, t.Coinbase.ExtraNonce)
	} else {
		b = append(b, kindRegular)
	}
	b = wire.AppendVarint(b, uint32(len(t.Inputs)))
	for _, in := range t.Inputs {
		b = append(b, in.Prev.TxID[:]...)
		b = wire.AppendUint32(b, in.Prev.Index)
	}
	b = wire.AppendVarint(b, uint32(len(t.Outputs)))
	for _, o := range t.Outputs {
		b = wire.AppendUint64(b, uint64(o.Amount))
		b = append(b, o.PubKey[:]...)
	}
	return b
}

// AppendEncode appends the complete canonical encoding of t to b.
func (t *Tx) AppendEncode(b []byte) []byte {
	b = t.appendBody(b)
	for _, in := range t.Inputs {
		b = append(b, in.Signature[:]...)
	}
	return b
}

// Encode returns the complete canonical encoding of t.
func (t *Tx) Encode() []byte { return t.AppendEncode(make([]byte, 0, t.Size())) }

// Decode parses exactly one transaction from b; trailing bytes are an error.
func Decode(b []byte) (*Tx, error) {
	if len(b) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(b), MaxEncodedSize)
	}
	r := wire.NewReader(b)
	t := ReadFrom(r)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return t, nil
}

// ReadFrom decodes one transaction from r, for use inside larger structures
// such as blocks. Errors are recorded in r; the result is nil if r has failed.
func ReadFrom(r *wire.Reader) *Tx {
	t := &Tx{Version: r.Uint32()}
	switch kind := r.Uint8(); kind {
	case kindRegular:
	case kindCoinbase:
		t.Coinbase = &Coinbase{Height: r.Uint64(), ExtraNonce: r.Uint64()}
	default:
		r.Fail(fmt.Errorf("%w: unknown transaction kind %d", wire.ErrNonCanonical, kind))
	}
	if n := r.Count(MaxEncodedSize, inputBodySize+signatureSize); n > 0 {
		t.Inputs = make([]TxIn, n)
		for i := range t.Inputs {
			t.Inputs[i].Prev.TxID = r.Array32()
			t.Inputs[i].Prev.Index = r.Uint32()
		}
	}
	if n := r.Count(MaxEncodedSize, outputSize); n > 0 {
		t.Outputs = make([]TxOut, n)
		for i := range t.Outputs {
			t.Outputs[i].Amount = int64(r.Uint64())
			t.Outputs[i].PubKey = r.Array32()
		}
	}
	for i := range t.Inputs {
		t.Inputs[i].Signature = r.Array64()
	}
	if r.Err() != nil {
		return nil
	}
	return t
}
