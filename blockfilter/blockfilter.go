// Package blockfilter defines the compact block filter of a block and the
// filter-header chain that commits to every filter, in the spirit of BIP158's
// basic filter: a Golomb-coded set (github.com/btcsuite/btcd/btcutil/gcs,
// P=19, M=784931) keyed by the block hash.
//
// The set holds the 32-byte output keys every transaction of the block pays
// and the 36-byte outpoints (txid, then the index little-endian) its inputs
// spend. Unlike BIP158, which commits to the scripts of the spent outputs,
// the filter is a function of the block alone: a light client that downloads
// a block can recompute its filter without any other data, which is what lets
// it decide which of two disagreeing peers lied.
//
// A filter header is dhash(dhash(filter) || previous filter header); the
// genesis block's previous filter header is all zeros.
package blockfilter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcutil/gcs"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// The Golomb-Rice parameters of BIP158's basic filter.
const (
	P = 19
	M = 784931
)

// MaxSize bounds an encoded filter. Every element costs a block at least 40
// bytes (an output's amount and key), so a block within netproto's 2 MiB
// limit has at most ~52,000 elements, coded in about P+2 bits each.
const MaxSize = 192 << 10

// ErrMalformed reports filter bytes that do not decode.
var ErrMalformed = errors.New("malformed block filter")

// Key is the SipHash key of a block's filter: the 16 bytes at the end of the
// block hash (its start is the proof of work's zero bits).
func Key(blockHash chainhash.Hash) [gcs.KeySize]byte {
	var k [gcs.KeySize]byte
	copy(k[:], blockHash[chainhash.Size-gcs.KeySize:])
	return k
}

// KeyElement is the set element of an output paying pub.
func KeyElement(pub [32]byte) []byte { return append([]byte(nil), pub[:]...) }

// OutPointElement is the set element of an input spending op.
func OutPointElement(op tx.OutPoint) []byte {
	return binary.LittleEndian.AppendUint32(append(make([]byte, 0, 36), op.TxID[:]...), op.Index)
}

// Elements lists the distinct set elements of b, sorted.
func Elements(b *block.Block) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	add := func(e []byte) {
		if !seen[string(e)] {
			seen[string(e)] = true
			out = append(out, e)
		}
	}
	for _, t := range b.Txs {
		for _, o := range t.Outputs {
			add(KeyElement(o.PubKey))
		}
		for _, in := range t.Inputs {
			add(OutPointElement(in.Prev))
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}

// Build returns the encoded filter of b: N as a Bitcoin CompactSize, then the
// Golomb-coded bits (gcs's NBytes form).
func Build(b *block.Block) ([]byte, error) {
	f, err := gcs.BuildGCSFilter(P, M, Key(b.Hash()), Elements(b))
	if err != nil {
		return nil, fmt.Errorf("build filter of block %s: %w", b.Hash(), err)
	}
	return f.NBytes()
}

// Hash is the hash of an encoded filter.
func Hash(filter []byte) chainhash.Hash { return chainhash.DoubleSHA256(filter) }

// Header returns the filter header that follows prev for a filter with hash filterHash.
func Header(filterHash, prev chainhash.Hash) chainhash.Hash {
	var buf [2 * chainhash.Size]byte
	copy(buf[:], filterHash[:])
	copy(buf[chainhash.Size:], prev[:])
	return chainhash.DoubleSHA256(buf[:])
}

// Filter is a decoded filter ready for matching.
type Filter struct {
	key [gcs.KeySize]byte
	f   *gcs.Filter
}

// Decode parses an encoded filter of the block blockHash. It insists on a
// canonical count and on enough bits for that many elements, so a hostile
// count cannot make matching allocate or loop beyond the data's size.
func Decode(blockHash chainhash.Hash, data []byte) (*Filter, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(data), MaxSize)
	}
	n, size, err := compactSize(data)
	if err != nil {
		return nil, err
	}
	bits := uint64(len(data)-size) * 8
	if n*(P+1) > bits {
		return nil, fmt.Errorf("%w: %d elements cannot fit in %d bits", ErrMalformed, n, bits)
	}
	if n == 0 && len(data) != size {
		return nil, fmt.Errorf("%w: empty filter with %d trailing bytes", ErrMalformed, len(data)-size)
	}
	f, err := gcs.FromBytes(uint32(n), P, M, data[size:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &Filter{key: Key(blockHash), f: f}, nil
}

// compactSize reads a canonical Bitcoin CompactSize no larger than 2^32-1.
func compactSize(data []byte) (v uint64, size int, err error) {
	if len(data) == 0 {
		return 0, 0, fmt.Errorf("%w: no element count", ErrMalformed)
	}
	var min uint64
	switch data[0] {
	case 0xfd:
		size, min = 3, 0xfd
	case 0xfe:
		size, min = 5, 0x10000
	case 0xff:
		return 0, 0, fmt.Errorf("%w: element count above 2^32", ErrMalformed)
	default:
		return uint64(data[0]), 1, nil
	}
	if len(data) < size {
		return 0, 0, fmt.Errorf("%w: truncated element count", ErrMalformed)
	}
	if size == 3 {
		v = uint64(binary.LittleEndian.Uint16(data[1:3]))
	} else {
		v = uint64(binary.LittleEndian.Uint32(data[1:5]))
	}
	if v < min {
		return 0, 0, fmt.Errorf("%w: non-canonical element count", ErrMalformed)
	}
	return v, size, nil
}

// N returns how many elements the filter holds.
func (f *Filter) N() uint32 { return f.f.N() }

// MatchAny reports whether any of the elements may be in the set (false
// positives at a rate of about 1 in M per element, never false negatives for
// a filter built by Build). An error means the filter's bits are damaged.
func (f *Filter) MatchAny(elements [][]byte) (bool, error) {
	if f.f.N() == 0 || len(elements) == 0 {
		return false, nil
	}
	ok, err := f.f.ZipMatchAny(f.key, elements)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return ok, nil
}
