// Package chainhash defines the 32-byte hash used for block hashes, txids and
// Merkle nodes, with the double SHA-256 and tagged hashes built on it.
//
// Hashes are shown as lowercase hex in their natural byte order: the order in
// which the proof-of-work rule counts leading zero bits, so a block hash that
// meets a 20-bit target starts with five zero hex digits.
package chainhash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Size is the length of a Hash in bytes.
const Size = 32

// Hash is a SHA-256 based digest identifying a block, a transaction or a Merkle node.
type Hash [Size]byte

// Zero is the all-zero hash, used as the parent of a genesis block.
var Zero Hash

// ErrInvalidHash reports a hash string that is not 64 hex digits.
var ErrInvalidHash = errors.New("invalid hash")

// String returns the hash as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether every byte of h is zero.
func (h Hash) IsZero() bool { return h == Zero }

// MarshalText encodes the hash as hex, so it shows as a string in JSON.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// Parse reads a hash from 64 hex digits (either case).
func Parse(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*Size {
		return h, fmt.Errorf("%w: want %d hex digits, got %d", ErrInvalidHash, 2*Size, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: %v", ErrInvalidHash, err)
	}
	return h, nil
}

// DoubleSHA256 returns SHA-256(SHA-256(b)).
func DoubleSHA256(b []byte) Hash {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}

// Tagged returns the BIP340-style tagged hash SHA-256(SHA-256(tag) || SHA-256(tag) || parts...),
// which separates the domains of hashes computed for different purposes.
func Tagged(tag string, parts ...[]byte) Hash {
	t := sha256.Sum256([]byte(tag))
	h := sha256.New()
	h.Write(t[:])
	h.Write(t[:])
	for _, p := range parts {
		h.Write(p)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}
