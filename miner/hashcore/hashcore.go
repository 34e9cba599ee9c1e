// Package hashcore is the hot loop of the Hashcash nonce search: it hashes
// an 84-byte block header template with successive nonces and compares each
// double SHA-256 against a target.
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
type Template struct {
	header [HeaderSize]byte
}

// NewTemplate prepares a search over header.
func NewTemplate(header [HeaderSize]byte) *Template {
	return &Template{header: header}
}

// Hash returns the double SHA-256 of the header with nonce in place.
func (t *Template) Hash(nonce uint32) chainhash.Hash {
	h := t.header
	binary.LittleEndian.PutUint32(h[NonceOffset:], nonce)
	first := sha256.Sum256(h[:])
	return sha256.Sum256(first[:])
}

// Search tries count nonces from start (never wrapping past 2^32-1) and
// returns the first whose hash, read big-endian, is below target. It checks
// stop (may be nil) every few thousand nonces and returns early when set.
// tried counts the nonces hashed.
func (t *Template) Search(target [32]byte, start uint32, count uint64, stop *atomic.Bool) (nonce uint32, hash chainhash.Hash, found bool, tried uint64) {
	if max := uint64(1<<32) - uint64(start); count > max {
		count = max
	}
	h := t.header
	targetHead := binary.BigEndian.Uint32(target[:4])
	for i := uint64(0); i < count; i++ {
		if i%stopCheckInterval == 0 && i > 0 && stop != nil && stop.Load() {
			return 0, chainhash.Hash{}, false, i
		}
		n := start + uint32(i)
		binary.LittleEndian.PutUint32(h[NonceOffset:], n)
		first := sha256.Sum256(h[:])
		sum := sha256.Sum256(first[:])
		// Most nonces fail on the first word; compare in full only when it can pass.
		if binary.BigEndian.Uint32(sum[:4]) > targetHead {
			continue
		}
		if below(sum, target) {
			return n, sum, true, i + 1
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

// Implementation names the hashing code in use.
func Implementation() string { return "crypto/sha256" }
