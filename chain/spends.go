package chain

import (
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// blockSpends is what a block's inputs spend, found by checking them
// against the UTXO set at its parent and the block's earlier transactions.
type blockSpends struct {
	fees      int64
	spent     map[tx.OutPoint]bool // every output the block's inputs spend
	undo      undoData             // the spent outputs that the UTXO set held, in spending order
	jobs      []sigJob             // one per input, in block order
	spentKeys [][][32]byte         // per transaction, the key of each output its inputs spend
}

// blockInputs is the InputSource of a block being connected in order: the
// UTXO set at its parent, read ahead of the checks (stored), plus what
// earlier transactions of the block created and spent (v).
type blockInputs struct {
	c         *Chain
	txs       []*tx.Tx
	stored    [][]storedUTXO // per transaction and input: the output it spends as the store holds it
	v         *view
	positions map[chainhash.Hash]int
	current   int
}

// storedUTXO is the result of reading one spent output from the store.
type storedUTXO struct {
	utxo *UTXO
	err  error
}

func (s *blockInputs) LookupUTXO(op tx.OutPoint) (*UTXO, error) {
	if s.v.spent[op] {
		return nil, nil
	}
	if u, ok := s.v.added[op]; ok {
		return &u, nil
	}
	for j, in := range s.txs[s.current].Inputs {
		if in.Prev == op {
			return s.stored[s.current][j].utxo, s.stored[s.current][j].err
		}
	}
	return s.c.store.utxo(op)
}

func (s *blockInputs) MissingInput(op tx.OutPoint) error {
	if s.v.spent[op] {
		return rule.Errorf(rule.ErrDoubleSpendInBlock, "output %s:%d is spent twice in the block", op.TxID, op.Index)
	}
	if pos, ok := s.positions[op.TxID]; ok {
		if pos >= s.current {
			return rule.Errorf(rule.ErrSpendsLaterTx, "spends %s:%d, created by a later transaction of the block", op.TxID, op.Index)
		}
		return rule.Errorf(rule.ErrOutputIndexRange, "spends %s:%d; that transaction has fewer outputs", op.TxID, op.Index)
	}
	return s.c.explainMissing(op)
}

// serialSpends checks the block's inputs one transaction after the other,
// in block order, and returns the first rule they break.
func (c *Chain) serialSpends(b *block.Block, height uint64, ids []chainhash.Hash, stored [][]storedUTXO, positions map[chainhash.Hash]int, inputs, outputs int) (*blockSpends, error) {
	src := &blockInputs{c: c, txs: b.Txs, stored: stored, v: newView(inputs, outputs), positions: positions}
	s := &blockSpends{spent: src.v.spent, undo: make(undoData, 0, inputs), jobs: make([]sigJob, 0, inputs), spentKeys: make([][][32]byte, len(b.Txs))}
	for i, t := range b.Txs {
		src.current = i
		if i > 0 {
			fee, prevOuts, err := CheckTxInputs(c.params, t, src, height)
			if err != nil {
				return nil, fmt.Errorf("tx %d (%s): %w", i, ids[i], err)
			}
			if s.fees += fee; s.fees > tx.MaxMoney {
				return nil, rule.Errorf(rule.ErrTotalOverflow, "fees total more than the money supply")
			}
			s.jobs = appendSignatureJobs(s.jobs, t, ids[i], prevOuts)
			keys := make([][32]byte, len(prevOuts))
			for j, in := range t.Inputs {
				if _, created := src.v.added[in.Prev]; !created {
					s.undo = append(s.undo, spentOutput{OutPoint: in.Prev, UTXO: *stored[i][j].utxo})
				}
				src.v.spend(in.Prev)
				keys[j] = prevOuts[j].PubKey
			}
			s.spentKeys[i] = keys
		}
		src.v.add(t, ids[i], height)
	}
	return s, nil
}

// errSerialCheck stops the parallel check of a block's inputs at anything it
// does not settle alone; serialSpends then decides, and explains.
var errSerialCheck = errors.New("inputs need the serial check")

// aheadInputs is the InputSource of transaction current of a block when its
// transactions are checked in parallel: each input resolves to what the
// store held (read ahead) or to an output of an earlier transaction of the
// block, and anything else (a missing or ambiguous input) is errSerialCheck.
// Spending one output twice is found afterwards (parallelSpends).
type aheadInputs struct {
	txs       []*tx.Tx
	stored    []storedUTXO // per input of the current transaction
	positions map[chainhash.Hash]int
	current   int
	height    uint64
	next      int // the input CheckTxInputs looks up next
}

func (s *aheadInputs) LookupUTXO(op tx.OutPoint) (*UTXO, error) {
	j := s.next
	if ins := s.txs[s.current].Inputs; j >= len(ins) || ins[j].Prev != op {
		return nil, errSerialCheck // not looked up in input order
	}
	s.next++
	st := s.stored[j]
	p, inBlock := s.positions[op.TxID]
	switch {
	case st.err != nil:
		return nil, errSerialCheck
	case !inBlock:
		if st.utxo == nil {
			return nil, errSerialCheck
		}
		return st.utxo, nil
	case st.utxo != nil || p >= s.current || int(op.Index) >= len(s.txs[p].Outputs):
		return nil, errSerialCheck
	}
	return &UTXO{Output: s.txs[p].Outputs[op.Index], Height: s.height, Coinbase: s.txs[p].IsCoinbase()}, nil
}

func (s *aheadInputs) MissingInput(tx.OutPoint) error { return errSerialCheck }

// txSpends is the parallel check's result for one transaction.
type txSpends struct {
	fee      int64
	prevOuts []tx.TxOut
	keys     [][32]byte // the keys of prevOuts
	err      error
}

// checkAhead checks transaction i's inputs on their own (see aheadInputs).
func (c *Chain) checkAhead(b *block.Block, height uint64, i int, stored []storedUTXO, positions map[chainhash.Hash]int) txSpends {
	src := &aheadInputs{txs: b.Txs, stored: stored, positions: positions, current: i, height: height}
	fee, prevOuts, err := CheckTxInputs(c.params, b.Txs[i], src, height)
	if err != nil {
		return txSpends{err: err}
	}
	keys := make([][32]byte, len(prevOuts))
	for j, po := range prevOuts {
		keys[j] = po.PubKey
	}
	return txSpends{fee: fee, prevOuts: prevOuts, keys: keys}
}

// parallelSpends completes the parallel check of the block's inputs, whose
// transactions checkAhead has checked one by one (ahead), with what needs
// block order: no output spent twice, and fees within the money supply. It
// returns false when a transaction failed or the block breaks one of those:
// the serial check then finds the same verdict with its error.
//
// On success the result is serialSpends': each input spends what the
// serial walk would find (an output of an earlier transaction of the block
// only when the store holds none with that id, and none twice), and the
// rest of the walk only adds up, in block order.
func parallelSpends(b *block.Block, ids []chainhash.Hash, stored [][]storedUTXO, ahead []txSpends, inputs int) (*blockSpends, bool) {
	s := &blockSpends{spent: make(map[tx.OutPoint]bool, inputs), undo: make(undoData, 0, inputs), jobs: make([]sigJob, 0, inputs), spentKeys: make([][][32]byte, len(b.Txs))}
	for i, t := range b.Txs[1:] {
		i++
		a := ahead[i]
		if a.err != nil {
			return nil, false
		}
		if s.fees += a.fee; s.fees > tx.MaxMoney {
			return nil, false
		}
		for j, in := range t.Inputs {
			if s.spent[in.Prev] {
				return nil, false
			}
			s.spent[in.Prev] = true
			if u := stored[i][j].utxo; u != nil {
				s.undo = append(s.undo, spentOutput{OutPoint: in.Prev, UTXO: *u})
			}
		}
		s.spentKeys[i] = a.keys
		s.jobs = appendSignatureJobs(s.jobs, t, ids[i], a.prevOuts)
	}
	return s, true
}
