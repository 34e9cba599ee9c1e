package headerchain

import (
	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/rule"
)

// CurrentVersion is the block version this software produces and accepts.
const CurrentVersion = 1

// CheckProofOfWork checks that hash, the header's hash, meets the difficulty
// the header claims. Whether that difficulty is the right one is CheckContext's job.
func CheckProofOfWork(h *block.Header, hash chainhash.Hash) error {
	if !pow.HashMeets(hash, h.Difficulty) {
		return rule.Errorf(rule.ErrHighHash, "block hash %s does not meet difficulty %s", hash, h.Difficulty)
	}
	return nil
}

// CheckDifficultyFloor checks that a header claims at least the network's
// minimum difficulty. It needs no context, so it runs before anything else
// looks at a block or header whose parent may be unknown: proof of work at a
// difficulty below the floor costs nothing to make.
func CheckDifficultyFloor(p *chaincfg.Params, h *block.Header) error {
	if h.Difficulty < p.Retarget.Min {
		return rule.Errorf(rule.ErrBadDifficulty, "difficulty %s below the network minimum %s", h.Difficulty, p.Retarget.Min)
	}
	return nil
}

// CheckContext applies the header rules that depend on the parent: the
// parent is known, the version is supported, the difficulty is the one the
// retarget schedule requires at this height, the time is after the median of
// the previous 11 blocks and no more than the allowed drift ahead of now.
func CheckContext(p *chaincfg.Params, h *block.Header, parent *Node, now int64) error {
	if parent == nil {
		return rule.Errorf(rule.ErrUnknownParent, "parent %s is not known", h.Prev)
	}
	if h.Version != CurrentVersion {
		return rule.Errorf(rule.ErrBadVersion, "version %d, want %d", h.Version, CurrentVersion)
	}
	want := p.RequiredDifficulty(parent.Height, parent.Header.Time, AnchorTime(parent))
	if h.Difficulty != want {
		return rule.Errorf(rule.ErrBadDifficulty, "difficulty %s at height %d, want %s", h.Difficulty, parent.Height+1, want)
	}
	if mtp := parent.MedianTimePast(); h.Time <= mtp {
		return rule.Errorf(rule.ErrTimeTooOld, "time %d not after median time past %d", h.Time, mtp)
	}
	if limit := now + p.MaxFutureDrift; h.Time > limit {
		return rule.Errorf(rule.ErrTimeTooNew, "time %d more than %d s ahead of now (%d)", h.Time, p.MaxFutureDrift, now)
	}
	return nil
}
