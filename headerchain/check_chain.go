package headerchain

import (
	"fmt"
	"math/big"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
)

// CheckSequence validates headers that extend a known header, each linking
// to the one before, without adding them: proof of work and every contextual
// rule, as Add would apply them. It returns the cumulative work at the last
// header. A full node uses it to vet a peer's headers before downloading the blocks.
func (ix *Index) CheckSequence(headers []block.Header, now int64) (*big.Int, error) {
	nodes, err := ix.CheckDetached(headers, now)
	if err != nil {
		return nil, err
	}
	return nodes[len(nodes)-1].Work, nil
}

// CheckDetached is CheckSequence returning a node for every header: the
// index's own node where the header is already indexed, otherwise a detached
// node linked to its parent but not indexed. Sync keeps detached nodes to
// validate the next batch of a peer's headers before any block is stored.
func (ix *Index) CheckDetached(headers []block.Header, now int64) ([]*Node, error) {
	if len(headers) == 0 {
		return nil, fmt.Errorf("check headers: empty sequence")
	}
	parent := ix.nodes[headers[0].Prev]
	if parent == nil {
		return nil, rule.Errorf(rule.ErrUnknownParent, "first header's parent %s is not known", headers[0].Prev)
	}
	return checkFrom(ix.params, parent, headers, now, func(h chainhash.Hash) *Node { return ix.nodes[h] })
}

// CheckFrom validates headers that extend parent, which may itself be a
// detached node, and returns detached nodes for them.
func CheckFrom(p *chaincfg.Params, parent *Node, headers []block.Header, now int64) ([]*Node, error) {
	if len(headers) == 0 {
		return nil, fmt.Errorf("check headers: empty sequence")
	}
	return checkFrom(p, parent, headers, now, func(chainhash.Hash) *Node { return nil })
}

func checkFrom(p *chaincfg.Params, parent *Node, headers []block.Header, now int64, known func(chainhash.Hash) *Node) ([]*Node, error) {
	out := make([]*Node, 0, len(headers))
	for i := range headers {
		h := &headers[i]
		hash := h.Hash()
		if h.Prev != parent.Hash {
			return nil, rule.Errorf(rule.ErrUnknownParent, "header %d (%s) does not link to the header before it", i, hash)
		}
		if err := CheckDifficultyFloor(p, h); err != nil {
			return nil, fmt.Errorf("header %d: %w", i, err)
		}
		if err := CheckProofOfWork(h, hash); err != nil {
			return nil, fmt.Errorf("header %d: %w", i, err)
		}
		if err := CheckContext(p, h, parent, now); err != nil {
			return nil, fmt.Errorf("header %d (%s): %w", i, hash, err)
		}
		if k := known(hash); k != nil {
			parent = k
		} else {
			parent = newNode(hash, *h, parent) // detached: linked to its parent, not indexed
		}
		out = append(out, parent)
	}
	return out, nil
}
