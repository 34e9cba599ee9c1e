package headerchain

import (
	"fmt"
	"math/big"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/rule"
)

// CheckSequence validates headers that extend a known header, each linking
// to the one before, without adding them: proof of work and every contextual
// rule, as Add would apply them. It returns the cumulative work at the last
// header. A full node uses it to vet a peer's headers before downloading the blocks.
func (ix *Index) CheckSequence(headers []block.Header, now int64) (*big.Int, error) {
	if len(headers) == 0 {
		return nil, fmt.Errorf("check headers: empty sequence")
	}
	parent := ix.nodes[headers[0].Prev]
	if parent == nil {
		return nil, rule.Errorf(rule.ErrUnknownParent, "first header's parent %s is not known", headers[0].Prev)
	}
	for i := range headers {
		h := &headers[i]
		hash := h.Hash()
		if h.Prev != parent.Hash {
			return nil, rule.Errorf(rule.ErrUnknownParent, "header %d (%s) does not link to the header before it", i, hash)
		}
		if err := CheckDifficultyFloor(ix.params, h); err != nil {
			return nil, fmt.Errorf("header %d: %w", i, err)
		}
		if err := CheckProofOfWork(h, hash); err != nil {
			return nil, fmt.Errorf("header %d: %w", i, err)
		}
		if err := CheckContext(ix.params, h, parent, now); err != nil {
			return nil, fmt.Errorf("header %d (%s): %w", i, hash, err)
		}
		if known := ix.nodes[hash]; known != nil {
			parent = known
			continue
		}
		// A detached node: linked to its parent for the next header's context, not indexed.
		parent = newNode(hash, *h, parent)
	}
	return parent.Work, nil
}
