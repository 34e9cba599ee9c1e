package node

import (
	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
)

// blockIndex is what orphanHeader reads of the chain. *chain.Chain has it.
type blockIndex interface {
	HasBlock(chainhash.Hash) bool
}

// orphanHeader reads the header at the front of a relayed block's encoding
// and reports whether the chain knows nothing of its parent. Such a block is
// not kept whatever its body holds (the headers linking it are fetched from
// its sender instead), so its body is neither decoded nor checked: a flood
// of large junk orphans costs a header's work each, and never the chain's
// lock. A header without the proof of work it claims, or below the
// network's difficulty floor, makes the block invalid whatever its parent:
// that is an error. Data too short for a header is left to the full decoder.
func orphanHeader(p *chaincfg.Params, c blockIndex, data []byte) (chainhash.Hash, bool, error) {
	if len(data) < block.HeaderSize {
		return chainhash.Hash{}, false, nil
	}
	h, err := block.DecodeHeader(data[:block.HeaderSize])
	if err != nil {
		return chainhash.Hash{}, false, nil
	}
	hash := h.Hash()
	if err := headerchain.CheckDifficultyFloor(p, &h); err != nil {
		return hash, false, err
	}
	if err := headerchain.CheckProofOfWork(&h, hash); err != nil {
		return hash, false, err
	}
	return hash, !c.HasBlock(h.Prev), nil
}
