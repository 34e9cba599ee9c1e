package stratum

import (
	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// MaxTimeRoll is how far past its job's time a share's header time may be.
const MaxTimeRoll = 120

// checked is a share that passed validation.
type checked struct {
	hash   chainhash.Hash
	header block.Header
	// block is set when the share also meets the block difficulty.
	block *block.Block
}

// checkShare validates a share of job j (built from w) by the connection
// with extra nonce 1 en1, whose shares must meet shareDiff. It rebuilds the
// coinbase and header exactly as the chain will see them and hashes the
// header. A share that meets the block's difficulty is valid whatever the
// share difficulty, and comes back with its block assembled. Duplicates are
// the caller's to detect, by hash.
func checkShare(j *Job, w *work, en1 []byte, s *Share, shareDiff pow.Difficulty) (checked, *Error) {
	if s.Time < j.Time || s.Time > j.Time+MaxTimeRoll {
		return checked{}, errorf(CodeOther, "time %d is outside the job's range [%d, %d]", s.Time, j.Time, j.Time+MaxTimeRoll)
	}
	cb := j.Coinbase(en1, s.ExtraNonce2[:])
	h := block.Header{
		Version: j.Version, Prev: j.Prev, MerkleRoot: j.MerkleRoot(cb),
		Time: s.Time, Difficulty: j.Difficulty, Nonce: s.Nonce,
	}
	c := checked{hash: h.Hash(), header: h}
	meetsBlock := pow.HashMeets(c.hash, j.Difficulty)
	if !meetsBlock && !pow.HashMeets(c.hash, shareDiff) {
		return checked{}, errorf(CodeLowDifficulty, "hash %s does not meet the share difficulty of %s bits", c.hash, shareDiff)
	}
	if meetsBlock {
		coinbase, err := tx.Decode(cb)
		if err != nil {
			// The server built both halves; only a bug gets here.
			return checked{}, errorf(CodeOther, "coinbase does not decode: %v", err)
		}
		c.block = w.block(h, coinbase)
	}
	return c, nil
}
