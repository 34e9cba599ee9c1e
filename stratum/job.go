package stratum

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/pow"
)

// ExtraNonce1Size and ExtraNonce2Size split the coinbase's 8-byte extra
// nonce: the first four bytes are the connection's (assigned by the server,
// different for every connection), the last four the miner's to vary.
const (
	ExtraNonce1Size = 4
	ExtraNonce2Size = 4
)

// coinbaseExtraNonceOffset is where the extra nonce starts in an encoded
// coinbase: version u32 | kind u8 | height u64 | extra nonce u64 | ...
const coinbaseExtraNonceOffset = 4 + 1 + 8

// MaxBranch bounds the Merkle branch a job may carry (a tree of 2^32 leaves).
const MaxBranch = merkle.MaxDepth

// maxCoinbasePart bounds each coinbase half a job may carry.
const maxCoinbasePart = 4096

// Job is everything a miner needs to build headers for one block template:
// the coinbase transaction's encoding split around the extra nonce, the
// Merkle branch from the coinbase to the root, and the header fields.
//
// On the wire (mining.notify params, in order): job id, previous block hash
// (hex of its 32 bytes as stored), coinbase part 1 (hex), coinbase part 2
// (hex), Merkle branch (array of hex hashes, bottom up), version (8 hex
// digits, big-endian), difficulty (8 hex digits: leading zero bits in 16.16
// fixed point), time (16 hex digits, Unix seconds), clean jobs (bool).
type Job struct {
	ID         string
	Prev       chainhash.Hash
	Coinbase1  []byte
	Coinbase2  []byte
	Branch     []chainhash.Hash
	Version    uint32
	Difficulty pow.Difficulty
	Time       int64
	Clean      bool
}

// Coinbase returns the coinbase encoding with the given extra nonce halves.
func (j *Job) Coinbase(en1, en2 []byte) []byte {
	out := make([]byte, 0, len(j.Coinbase1)+len(en1)+len(en2)+len(j.Coinbase2))
	out = append(out, j.Coinbase1...)
	out = append(out, en1...)
	out = append(out, en2...)
	return append(out, j.Coinbase2...)
}

// MerkleRoot returns the root of the block whose coinbase encodes to coinbase.
func (j *Job) MerkleRoot(coinbase []byte) chainhash.Hash {
	return BranchRoot(chainhash.DoubleSHA256(coinbase), j.Branch)
}

// BranchRoot folds the Merkle branch of the first leaf (the coinbase, whose
// full hash is leaf) up to the root. The first leaf is always a left child,
// so each step hashes the running node with the next sibling on its right.
func BranchRoot(leaf chainhash.Hash, branch []chainhash.Hash) chainhash.Hash {
	node := merkle.LeafHash(leaf)
	for _, s := range branch {
		node = merkle.InnerHash(node, s)
	}
	return node
}

// Header returns the header a miner builds from the job with the given
// extra nonce halves, time and nonce.
func (j *Job) Header(en1, en2 []byte, ntime int64, nonce uint32) block.Header {
	return block.Header{
		Version:    j.Version,
		Prev:       j.Prev,
		MerkleRoot: j.MerkleRoot(j.Coinbase(en1, en2)),
		Time:       ntime,
		Difficulty: j.Difficulty,
		Nonce:      nonce,
	}
}

// notifyParams returns the job as mining.notify params.
func (j *Job) notifyParams() []any {
	branch := make([]string, len(j.Branch))
	for i, h := range j.Branch {
		branch[i] = hex.EncodeToString(h[:])
	}
	return []any{
		j.ID, hex.EncodeToString(j.Prev[:]), hex.EncodeToString(j.Coinbase1), hex.EncodeToString(j.Coinbase2),
		branch, hexUint32(j.Version), hexUint32(uint32(j.Difficulty)), hexUint64(uint64(j.Time)), j.Clean,
	}
}

// DecodeJob parses mining.notify params.
func DecodeJob(raw json.RawMessage) (*Job, error) {
	var id, prev, cb1, cb2, version, bits, ntime string
	var branch []string
	var clean bool
	if err := params(raw, 9, &id, &prev, &cb1, &cb2, &branch, &version, &bits, &ntime, &clean); err != nil {
		return nil, fmt.Errorf("%w: notify: %s", ErrMalformed, err.Message)
	}
	j := &Job{ID: id, Clean: clean}
	var err error
	if id == "" || len(id) > 64 {
		return nil, fmt.Errorf("%w: notify: job id must be 1 to 64 characters", ErrMalformed)
	}
	if j.Prev, err = decodeHash(prev); err != nil {
		return nil, fmt.Errorf("%w: notify: previous hash: %v", ErrMalformed, err)
	}
	if j.Coinbase1, err = decodeHex(cb1, maxCoinbasePart); err != nil {
		return nil, fmt.Errorf("%w: notify: coinbase part 1: %v", ErrMalformed, err)
	}
	if j.Coinbase2, err = decodeHex(cb2, maxCoinbasePart); err != nil {
		return nil, fmt.Errorf("%w: notify: coinbase part 2: %v", ErrMalformed, err)
	}
	if len(branch) > MaxBranch {
		return nil, fmt.Errorf("%w: notify: Merkle branch of %d hashes exceeds %d", ErrMalformed, len(branch), MaxBranch)
	}
	for i, s := range branch {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("%w: notify: Merkle branch %d: %v", ErrMalformed, i, err)
		}
		j.Branch = append(j.Branch, h)
	}
	v, err := parseHexUint(version, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: notify: version: %v", ErrMalformed, err)
	}
	d, err := parseHexUint(bits, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: notify: difficulty: %v", ErrMalformed, err)
	}
	t, err := parseHexUint(ntime, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: notify: time: %v", ErrMalformed, err)
	}
	j.Version, j.Difficulty, j.Time = uint32(v), pow.Difficulty(d), int64(t)
	return j, nil
}

// Share is a mining.submit: the worker name, the job, the miner's extra
// nonce half, and the header time and nonce it found.
//
// On the wire (params, in order): worker, job id, extra nonce 2 (8 hex
// digits, the bytes as placed in the coinbase), time (16 hex digits),
// nonce (8 hex digits, big-endian value).
type Share struct {
	Worker      string
	JobID       string
	ExtraNonce2 [ExtraNonce2Size]byte
	Time        int64
	Nonce       uint32
}

func (s *Share) params() []any {
	return []any{s.Worker, s.JobID, hex.EncodeToString(s.ExtraNonce2[:]), hexUint64(uint64(s.Time)), hexUint32(s.Nonce)}
}

// DecodeShare parses mining.submit params.
func DecodeShare(raw json.RawMessage) (*Share, *Error) {
	var worker, job, en2, ntime, nonce string
	if err := params(raw, 5, &worker, &job, &en2, &ntime, &nonce); err != nil {
		return nil, err
	}
	s := &Share{Worker: worker, JobID: job}
	b, err := hex.DecodeString(en2)
	if err != nil || len(b) != ExtraNonce2Size {
		return nil, errorf(CodeInvalidParams, "extra nonce 2 must be %d hex digits, got %q", 2*ExtraNonce2Size, clip(en2))
	}
	copy(s.ExtraNonce2[:], b)
	t, err := parseHexUint(ntime, 64)
	if err != nil {
		return nil, errorf(CodeInvalidParams, "time: %v", err)
	}
	n, err := parseHexUint(nonce, 32)
	if err != nil {
		return nil, errorf(CodeInvalidParams, "nonce: %v", err)
	}
	s.Time, s.Nonce = int64(t), uint32(n)
	return s, nil
}

func hexUint32(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return hex.EncodeToString(b[:])
}

func hexUint64(v uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return hex.EncodeToString(b[:])
}

// parseHexUint parses exactly bits/4 hex digits.
func parseHexUint(s string, bits int) (uint64, error) {
	if len(s) != bits/4 {
		return 0, fmt.Errorf("want %d hex digits, got %q", bits/4, clip(s))
	}
	v, err := strconv.ParseUint(s, 16, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not hex", clip(s))
	}
	return v, nil
}

func decodeHash(s string) (chainhash.Hash, error) {
	var h chainhash.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("want %d hex digits, got %q", 2*len(h), clip(s))
	}
	copy(h[:], b)
	return h, nil
}

func decodeHex(s string, max int) ([]byte, error) {
	if len(s) > 2*max {
		return nil, fmt.Errorf("longer than %d bytes", max)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %v", err)
	}
	return b, nil
}

// clip shortens a string quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
