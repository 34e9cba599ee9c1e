// Package merkle commits a block's transactions to one root hash and builds
// and verifies inclusion proofs against it, for SPV clients.
//
// The tree is the one of RFC 6962: a leaf node is SHA-256(0x00 || leaf) and
// an inner node SHA-256(0x01 || left || right), so a leaf can never pass for
// an inner node. A list of n > 1 leaves splits at k, the largest power of two
// below n, into a left subtree of k leaves and a right one of n-k. Nothing is
// ever duplicated, so two different lists of leaves cannot share a root (the
// duplicate-transaction malleability of CVE-2012-2459 cannot arise).
package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
)

// MaxDepth is the deepest proof accepted: trees of up to 2^32 leaves.
const MaxDepth = 32

const (
	leafPrefix  = 0x00
	innerPrefix = 0x01
)

// ErrInvalidProof reports a proof that does not lead from the leaf to the root.
var ErrInvalidProof = errors.New("invalid merkle proof")

// ErrMalformedProof reports bytes that are not a canonical encoded proof.
var ErrMalformedProof = errors.New("malformed merkle proof")

// LeafHash returns the hash of a leaf node.
func LeafHash(leaf chainhash.Hash) chainhash.Hash {
	var buf [1 + chainhash.Size]byte
	buf[0] = leafPrefix
	copy(buf[1:], leaf[:])
	return sha256.Sum256(buf[:])
}

// InnerHash returns the hash of an inner node with the given children.
func InnerHash(left, right chainhash.Hash) chainhash.Hash {
	var buf [1 + 2*chainhash.Size]byte
	buf[0] = innerPrefix
	copy(buf[1:], left[:])
	copy(buf[1+chainhash.Size:], right[:])
	return sha256.Sum256(buf[:])
}

// split returns the size of the left subtree of a tree of n > 1 leaves.
func split(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// Root returns the root of the tree over leaves; the zero hash for none
// (a block always has at least its coinbase).
func Root(leaves []chainhash.Hash) chainhash.Hash {
	if len(leaves) == 0 {
		return chainhash.Zero
	}
	level := make([]chainhash.Hash, len(leaves))
	for i, l := range leaves {
		level[i] = LeafHash(l)
	}
	return combine(level)
}

// RootOfPieces returns Root of a list of leaves cut into consecutive pieces
// of the same power-of-two size (the last piece may be shorter), from the
// Root of each piece, in order. Each piece is a subtree of the whole tree,
// so the pieces can be hashed on several cores and joined here.
func RootOfPieces(pieceRoots []chainhash.Hash) chainhash.Hash {
	if len(pieceRoots) == 0 {
		return chainhash.Zero
	}
	return combine(append([]chainhash.Hash(nil), pieceRoots...))
}

// combine hashes a level of nodes up to its root, overwriting level.
func combine(level []chainhash.Hash) chainhash.Hash {
	// Bottom-up over the same tree shape: combine pairs level by level,
	// carrying an unpaired last node up unchanged. For RFC 6962's split this
	// yields the identical tree, because a right-most subtree that is not a
	// power of two is exactly the carried remainder. For the same reason a
	// run of whole pieces of 2^k leaves has an even count on every level
	// below k, so nothing is carried across a piece's edge (RootOfPieces).
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i+1 < len(level); i += 2 {
			next = append(next, InnerHash(level[i], level[i+1]))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

// Proof shows that the leaf at Index is in a tree of LeafCount leaves.
// Siblings are the hashes met on the way from the leaf up to the root.
type Proof struct {
	Index     uint32
	LeafCount uint32
	Siblings  []chainhash.Hash
}

// pathLength returns how many siblings the proof of index in a tree of n leaves has.
func pathLength(index, n uint64) int {
	depth := 0
	for n > 1 {
		k := uint64(split(int(n)))
		if index < k {
			n = k
		} else {
			index -= k
			n -= k
		}
		depth++
	}
	return depth
}

// BuildProof returns the inclusion proof of leaves[index].
func BuildProof(leaves []chainhash.Hash, index int) (Proof, error) {
	if index < 0 || index >= len(leaves) {
		return Proof{}, fmt.Errorf("build proof: index %d out of range for %d leaves", index, len(leaves))
	}
	if uint64(len(leaves)) > 1<<MaxDepth-1 {
		return Proof{}, fmt.Errorf("build proof: %d leaves is too many", len(leaves))
	}
	p := Proof{Index: uint32(index), LeafCount: uint32(len(leaves))}
	// Walk down from the root, collecting the sibling subtree roots, then reverse.
	var path []chainhash.Hash
	lo, hi := 0, len(leaves)
	for hi-lo > 1 {
		k := split(hi - lo)
		if index < lo+k {
			path = append(path, Root(leaves[lo+k:hi]))
			hi = lo + k
		} else {
			path = append(path, Root(leaves[lo:lo+k]))
			lo += k
		}
	}
	for i := len(path) - 1; i >= 0; i-- {
		p.Siblings = append(p.Siblings, path[i])
	}
	return p, nil
}

// RootFrom recomputes the root the proof leads to from leaf.
func (p Proof) RootFrom(leaf chainhash.Hash) (chainhash.Hash, error) {
	if p.LeafCount == 0 || p.Index >= p.LeafCount {
		return chainhash.Hash{}, fmt.Errorf("%w: index %d of %d leaves", ErrInvalidProof, p.Index, p.LeafCount)
	}
	if want := pathLength(uint64(p.Index), uint64(p.LeafCount)); len(p.Siblings) != want {
		return chainhash.Hash{}, fmt.Errorf("%w: %d siblings, want %d", ErrInvalidProof, len(p.Siblings), want)
	}
	// Record on the way down which side the leaf is on at each level, then fold up.
	lefts := make([]bool, 0, len(p.Siblings))
	index, n := uint64(p.Index), uint64(p.LeafCount)
	for n > 1 {
		k := uint64(split(int(n)))
		if index < k {
			lefts = append(lefts, true)
			n = k
		} else {
			lefts = append(lefts, false)
			index -= k
			n -= k
		}
	}
	h := LeafHash(leaf)
	for i, sib := range p.Siblings {
		if lefts[len(lefts)-1-i] {
			h = InnerHash(h, sib)
		} else {
			h = InnerHash(sib, h)
		}
	}
	return h, nil
}

// Verify checks that the proof leads from leaf to root.
func (p Proof) Verify(root, leaf chainhash.Hash) error {
	got, err := p.RootFrom(leaf)
	if err != nil {
		return err
	}
	if got != root {
		return fmt.Errorf("%w: leads to %s, not %s", ErrInvalidProof, got, root)
	}
	return nil
}

// MarshalBinary encodes the proof: index u32 | leaf count u32 | count u8 | siblings.
func (p Proof) MarshalBinary() ([]byte, error) {
	if len(p.Siblings) > MaxDepth {
		return nil, fmt.Errorf("%w: %d siblings", ErrMalformedProof, len(p.Siblings))
	}
	b := wire.AppendUint32(nil, p.Index)
	b = wire.AppendUint32(b, p.LeafCount)
	b = append(b, byte(len(p.Siblings)))
	for _, s := range p.Siblings {
		b = append(b, s[:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes a proof strictly: exact length, and a sibling count
// that matches the path of Index in a tree of LeafCount leaves.
func (p *Proof) UnmarshalBinary(data []byte) error {
	r := wire.NewReader(data)
	index, count := r.Uint32(), r.Uint32()
	n := int(r.Uint8())
	if r.Err() == nil && n > MaxDepth {
		return fmt.Errorf("%w: %d siblings", ErrMalformedProof, n)
	}
	sibs := make([]chainhash.Hash, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		sibs = append(sibs, r.Array32())
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedProof, err)
	}
	if count == 0 || index >= count {
		return fmt.Errorf("%w: index %d of %d leaves", ErrMalformedProof, index, count)
	}
	if want := pathLength(uint64(index), uint64(count)); n != want {
		return fmt.Errorf("%w: %d siblings, want %d", ErrMalformedProof, n, want)
	}
	*p = Proof{Index: index, LeafCount: count, Siblings: sibs}
	return nil
}
