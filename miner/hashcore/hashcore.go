// Package hashcore is the hot loop of the Hashcash nonce search: it hashes
// an 84-byte block header template with successive nonces and compares each
// double SHA-256 against a target. It has its own SHA-256 compression
// function, on the CPU's SHA extensions where present (hand-written amd64
// assembly) with a pure-Go fallback, because the standard library does not
// expose the midstate the search reuses.
package hashcore

import (
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"

	"github.com/ledgerd/ledger/chainhash"
)

// HeaderSize is the length of the header a Template searches over.
const HeaderSize = 84

// NonceOffset is where the little-endian nonce sits in the header.
const NonceOffset = 80

// stopCheckInterval is how many nonces pass between checks of the stop flag.
const stopCheckInterval = 4096

// Template is a header being searched: everything but the nonce is fixed.
// The first 64 bytes are compressed once (the midstate); each nonce then
// costs two compressions, the header's tail and the second SHA-256, instead
// of the three a plain double SHA-256 of the header takes.
type Template struct {
	mid  [8]uint32 // state after the first 64 header bytes
	tail [64]byte  // header bytes 64..84, padding and length: the second block
}

// tailNonce is where the nonce sits in the second block.
const tailNonce = NonceOffset - 64

// NewTemplate prepares a search over header.
func NewTemplate(header [HeaderSize]byte) *Template {
	t := &Template{mid: iv}
	compress(&t.mid, (*[64]byte)(header[:64]))
	copy(t.tail[:], header[64:])
	t.tail[HeaderSize-64] = 0x80
	binary.BigEndian.PutUint64(t.tail[56:], HeaderSize*8)
	return t
}

// digestBlock is the padded block of a 32-byte digest for the second SHA-256.
func digestBlock(first *[8]uint32) [64]byte {
	var b [64]byte
	for i, v := range first {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	b[32] = 0x80
	binary.BigEndian.PutUint64(b[56:], 256)
	return b
}

// double runs the two per-nonce compressions: tail from the midstate, then
// the second SHA-256 of that digest. Assembly replaces it where it can.
var double = doubleGeneric

func doubleGeneric(mid *[8]uint32, tail *[64]byte, out *[8]uint32) {
	first := *mid
	compress(&first, tail)
	second := digestBlock(&first)
	*out = iv
	compress(out, &second)
}

// double2 runs double on two tails from the same midstate. The assembly
// version interleaves them: a single hash is a chain of dependent rounds that
// leaves the SHA unit idle while each round's result is pending, and a second,
// independent chain fills those gaps.
var double2 = double2Generic

func double2Generic(mid *[8]uint32, tails *[2][64]byte, outs *[2][8]uint32) {
	double(mid, &tails[0], &outs[0])
	double(mid, &tails[1], &outs[1])
}

// hashTail returns the final state of the double hash of the header whose second block is tail.
func (t *Template) hashTail(tail *[64]byte) [8]uint32 {
	var out [8]uint32
	double(&t.mid, tail, &out)
	return out
}

func stateBytes(s *[8]uint32) chainhash.Hash {
	var h chainhash.Hash
	for i, v := range s {
		binary.BigEndian.PutUint32(h[4*i:], v)
	}
	return h
}

// Hash returns the double SHA-256 of the header with nonce in place.
func (t *Template) Hash(nonce uint32) chainhash.Hash {
	tail := t.tail
	binary.LittleEndian.PutUint32(tail[tailNonce:], nonce)
	s := t.hashTail(&tail)
	return stateBytes(&s)
}

// Search tries count nonces from start (never wrapping past 2^32-1) and
// returns the first whose hash, read big-endian, is below target. It checks
// stop (may be nil) every few thousand nonces and returns early when set.
// tried counts the nonces hashed.
func (t *Template) Search(target [32]byte, start uint32, count uint64, stop *atomic.Bool) (nonce uint32, hash chainhash.Hash, found bool, tried uint64) {
	if max := uint64(1<<32) - uint64(start); count > max {
		count = max
	}
	targetHead := binary.BigEndian.Uint32(target[:4])
	tails := [2][64]byte{t.tail, t.tail}
	var outs [2][8]uint32
	i := uint64(0)
	// Nonces go in pairs, one per lane of double2; stopCheckInterval is even,
	// so the stop check still falls on a pair boundary.
	for ; i+1 < count; i += 2 {
		if i%stopCheckInterval == 0 && i > 0 && stop != nil && stop.Load() {
			return 0, chainhash.Hash{}, false, i
		}
		n := start + uint32(i)
		binary.LittleEndian.PutUint32(tails[0][tailNonce:], n)
		binary.LittleEndian.PutUint32(tails[1][tailNonce:], n+1)
		double2(&t.mid, &tails, &outs)
		// The first state word is the hash's first four bytes: most nonces fail there.
		if outs[0][0] > targetHead && outs[1][0] > targetHead {
			continue
		}
		for lane := range outs {
			if h := stateBytes(&outs[lane]); below(h, target) {
				return n + uint32(lane), h, true, i + uint64(lane) + 1
			}
		}
	}
	if i < count {
		n := start + uint32(i)
		binary.LittleEndian.PutUint32(tails[0][tailNonce:], n)
		s := t.hashTail(&tails[0])
		if h := stateBytes(&s); below(h, target) {
			return n, h, true, i + 1
		}
	}
	return 0, chainhash.Hash{}, false, count
}

// SearchNaive is the reference loop, sha256(sha256(header)) per nonce with
// crypto/sha256, kept for benchmarks and tests to compare against.
func SearchNaive(header [HeaderSize]byte, target [32]byte, start uint32, count uint64) (uint32, chainhash.Hash, bool, uint64) {
	if max := uint64(1<<32) - uint64(start); count > max {
		count = max
	}
	for i := uint64(0); i < count; i++ {
		n := start + uint32(i)
		binary.LittleEndian.PutUint32(header[NonceOffset:], n)
		first := sha256.Sum256(header[:])
		h := chainhash.Hash(sha256.Sum256(first[:]))
		if below(h, target) {
			return n, h, true, i + 1
		}
	}
	return 0, chainhash.Hash{}, false, count
}

// below reports whether h < target as big-endian numbers.
func below(h, target [32]byte) bool {
	for i := range h {
		if h[i] != target[i] {
			return h[i] < target[i]
		}
	}
	return false
}

// Implementation names the compression function in use: "sha-ni" on CPUs
// with the SHA extensions (amd64, unless built with -tags purego), else "generic".
func Implementation() string { return implName }
