package chain

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// explainMissing classifies an outpoint absent from the UTXO set using the tx index.
func (c *Chain) explainMissing(op tx.OutPoint) error {
	v, ok, err := c.store.get(key(prefixTx, op.TxID[:]))
	if err != nil {
		return fmt.Errorf("look up tx %s: %w", op.TxID, err)
	}
	if !ok {
		return rule.Errorf(rule.ErrMissingInput, "spends %s:%d, which does not exist", op.TxID, op.Index)
	}
	loc, err := decodeTxLocation(v)
	if err != nil {
		return err
	}
	if op.Index >= loc.NumOutputs {
		return rule.Errorf(rule.ErrOutputIndexRange, "spends %s:%d; that transaction has %d outputs", op.TxID, op.Index, loc.NumOutputs)
	}
	return rule.Errorf(rule.ErrSpentInput, "spends %s:%d, which is already spent", op.TxID, op.Index)
}

// checkConnect validates b, whose header is node, against the UTXO set at its
// parent (the current tip) and leaves the records of the batch that connects
// it in c.records, grouped by the cache's shards. ids are b's transaction
// ids and positions each id's index in b, or nil to compute them.
//
// The work is split so that little of it runs on one goroutine: hashing the
// transactions, reading the outputs they spend and checking each
// transaction's inputs run on the workers; one goroutine then walks the
// block for what needs its order (no output spent twice, the fees' total),
// then signature hashing and checking run on the workers while one more
// goroutine builds the batch. The verdict and the error are those of a
// serial check (serialSpends, which decides whenever the parallel check
// does not settle a block): input rules in block order first, then the
// coinbase value, then the lowest-numbered failing signature.
//
// prep is b's preparation (see Prepare), or nil: the signatures it found
// valid for the outputs the connect finds spent are not checked again.
func (c *Chain) checkConnect(b *block.Block, node *headerchain.Node, ids []chainhash.Hash, positions map[chainhash.Hash]int, prep *preparedBlock) error {
	if cb := b.Txs[0].Coinbase; cb.Height != node.Height {
		return rule.Errorf(rule.ErrBadCoinbaseHeight, "coinbase height %d in block at height %d", cb.Height, node.Height)
	}
	workers := workerCount(c.sigWorkers)
	if ids == nil {
		ids = make([]chainhash.Hash, len(b.Txs))
		timeParallel(func() { forEach(len(b.Txs), workers, func(i int) { ids[i] = b.Txs[i].ID() }) })
	}
	if positions == nil {
		positions = make(map[chainhash.Hash]int, len(b.Txs))
		for i, id := range ids {
			positions[id] = i
		}
	}
	inputs, outputs := 0, 0
	for _, t := range b.Txs {
		inputs, outputs = inputs+len(t.Inputs), outputs+len(t.Outputs)
	}
	stored := make([][]storedUTXO, len(b.Txs))
	ahead := make([]txSpends, len(b.Txs))
	timeParallel(func() {
		forEach(len(b.Txs), workers, func(i int) {
			t := b.Txs[i]
			stored[i] = make([]storedUTXO, len(t.Inputs))
			for j, in := range t.Inputs {
				u, err := c.store.utxo(in.Prev)
				stored[i][j] = storedUTXO{utxo: u, err: err}
			}
			if i > 0 && parallelInputs {
				ahead[i] = c.checkAhead(b, node.Height, i, stored[i], positions)
			}
		})
	})
	spends, ok := parallelSpends(b, ids, stored, ahead, inputs)
	if !ok || !parallelInputs {
		var err error
		if spends, err = c.serialSpends(b, node.Height, ids, stored, positions, inputs, outputs); err != nil {
			return err
		}
	}
	coinbaseOut, _ := b.Txs[0].OutputTotal()
	if limit := c.params.Subsidy(node.Height) + spends.fees; coinbaseOut > limit {
		return rule.Errorf(rule.ErrBadCoinbaseValue, "coinbase pays %d, subsidy plus fees is %d", coinbaseOut, limit)
	}
	// The batch is built, and its records grouped by the cache's shards
	// (into c.records, for connectTip), while the signatures are checked.
	var groupErr error
	build := func() {
		c.records.reset()
		groupErr = c.records.add(c.connectBatch(b, node, ids, spends))
	}
	jobs := prep.unchecked(b, spends.jobs)
	var err error
	timeParallel(func() {
		if workers <= 1 || len(jobs) == 0 {
			if err = verifySignatures(c.params.Name, jobs, 1); err == nil {
				build()
			}
			return
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			build()
		}()
		err = verifySignatures(c.params.Name, jobs, workers)
		wg.Wait()
	})
	if err != nil {
		return err
	}
	if groupErr != nil {
		return fmt.Errorf("group connect batch: %w", groupErr)
	}
	return nil
}

// parallelInputs turns the parallel check of a block's inputs on; tests
// turn it off to compare with the serial check alone.
var parallelInputs = true

func (c *Chain) connectBatch(b *block.Block, node *headerchain.Node, ids []chainhash.Hash, s *blockSpends) *leveldb.Batch {
	// About 200 bytes of keys and values per output created or spent; sized up
	// front because leveldb grows a large batch by ever smaller steps.
	outputs := 0
	for _, t := range b.Txs {
		outputs += len(t.Outputs)
	}
	batch := leveldb.MakeBatch(200 * (outputs + len(s.undo)))
	// Keys and values are built in scratch space, which the batch copies.
	var kb, vb []byte
	for i, t := range b.Txs {
		for k, o := range t.Outputs {
			op := tx.OutPoint{TxID: ids[i], Index: uint32(k)}
			if s.spent[op] {
				continue // created and spent in the block
			}
			u := UTXO{Output: o, Height: node.Height, Coinbase: t.IsCoinbase()}
			kb, vb = appendOutpointKey(kb[:0], prefixUTXO, op), u.appendEncode(vb[:0])
			batch.Put(kb, vb)
			kb = appendAddrUTXOKey(kb[:0], u.Output.PubKey, op)
			batch.Put(kb, nil)
		}
	}
	for _, sp := range s.undo {
		kb = appendOutpointKey(kb[:0], prefixUTXO, sp.OutPoint)
		batch.Delete(kb)
		kb = appendAddrUTXOKey(kb[:0], sp.UTXO.Output.PubKey, sp.OutPoint)
		batch.Delete(kb)
	}
	var touched [][32]byte
	for i, t := range b.Txs {
		loc := txLocation{Block: node.Hash, Position: uint32(i), NumOutputs: uint32(len(t.Outputs))}
		kb, vb = append(append(kb[:0], prefixTx), ids[i][:]...), loc.appendEncode(vb[:0])
		batch.Put(kb, vb)
		touched = appendTouchedKeys(touched[:0], t, s.spentKeys[i])
		for _, pub := range touched {
			kb = appendAddrHistoryKey(kb[:0], pub, node.Height, ids[i])
			batch.Put(kb, nil)
		}
	}
	batch.Put(key(prefixUndo, node.Hash[:]), s.undo.encode())
	batch.Put(key(prefixHeight, be64(node.Height)), node.Hash[:])
	batch.Put([]byte(keyTip), node.Hash[:])
	c.putIndex(batch, node, node.Flags|flagValid)
	return batch
}

// touchedKeys lists, without repeats, the keys a transaction pays or spends from.
func touchedKeys(t *tx.Tx, spent [][32]byte) [][32]byte { return appendTouchedKeys(nil, t, spent) }

// smallTouched is how many keys appendTouchedKeys compares one by one
// before it uses a map.
const smallTouched = 16

// appendTouchedKeys appends touchedKeys(t, spent) to dst.
func appendTouchedKeys(dst [][32]byte, t *tx.Tx, spent [][32]byte) [][32]byte {
	start := len(dst)
	var seen map[[32]byte]bool
	add := func(k [32]byte) {
		if seen == nil && len(dst)-start < smallTouched {
			for _, d := range dst[start:] {
				if d == k {
					return
				}
			}
			dst = append(dst, k)
			return
		}
		if seen == nil {
			seen = make(map[[32]byte]bool, len(spent)+len(t.Outputs))
			for _, d := range dst[start:] {
				seen[d] = true
			}
		}
		if !seen[k] {
			seen[k] = true
			dst = append(dst, k)
		}
	}
	for _, k := range spent {
		add(k)
	}
	for _, o := range t.Outputs {
		add(o.PubKey)
	}
	return dst
}

func addrUTXOKey(pub [32]byte, op tx.OutPoint) []byte {
	return appendAddrUTXOKey(make([]byte, 0, 1+32+chainhash.Size+4), pub, op)
}

func appendAddrUTXOKey(dst []byte, pub [32]byte, op tx.OutPoint) []byte {
	dst = append(append(append(dst, prefixAddrUTX), pub[:]...), op.TxID[:]...)
	return binary.BigEndian.AppendUint32(dst, op.Index)
}

func addrHistoryKey(pub [32]byte, height uint64, id chainhash.Hash) []byte {
	return appendAddrHistoryKey(make([]byte, 0, 1+32+8+chainhash.Size), pub, height, id)
}

func appendAddrHistoryKey(dst []byte, pub [32]byte, height uint64, id chainhash.Hash) []byte {
	dst = binary.BigEndian.AppendUint64(append(append(dst, prefixAddrTx), pub[:]...), height)
	return append(dst, id[:]...)
}

// disconnectBatch returns the batch that undoes the tip block b (node) using its undo data.
func (c *Chain) disconnectBatch(b *block.Block, node *headerchain.Node) (*leveldb.Batch, error) {
	v, ok, err := c.store.get(key(prefixUndo, node.Hash[:]))
	if err != nil {
		return nil, fmt.Errorf("read undo data of %s: %w", node.Hash, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no undo data for main-chain block %s", ErrCorruptStore, node.Hash)
	}
	undo, err := decodeUndo(v)
	if err != nil {
		return nil, err
	}
	// Keys of every output the block's inputs may spend: from the undo data, or created in the block itself.
	spentBy := make(map[tx.OutPoint][32]byte, len(undo))
	for _, s := range undo {
		spentBy[s.OutPoint] = s.UTXO.Output.PubKey
	}
	for _, t := range b.Txs {
		id := t.ID()
		for i, o := range t.Outputs {
			spentBy[tx.OutPoint{TxID: id, Index: uint32(i)}] = o.PubKey
		}
	}
	batch := new(leveldb.Batch)
	for _, t := range b.Txs {
		id := t.ID()
		for i, o := range t.Outputs {
			op := tx.OutPoint{TxID: id, Index: uint32(i)}
			batch.Delete(outpointKey(prefixUTXO, op))
			batch.Delete(addrUTXOKey(o.PubKey, op))
		}
		batch.Delete(key(prefixTx, id[:]))
		var spent [][32]byte
		for _, in := range t.Inputs {
			if k, ok := spentBy[in.Prev]; ok {
				spent = append(spent, k)
			}
		}
		for _, pub := range touchedKeys(t, spent) {
			batch.Delete(addrHistoryKey(pub, node.Height, id))
		}
	}
	for _, s := range undo {
		batch.Put(outpointKey(prefixUTXO, s.OutPoint), s.UTXO.encode())
		batch.Put(addrUTXOKey(s.UTXO.Output.PubKey, s.OutPoint), nil)
	}
	batch.Delete(key(prefixUndo, node.Hash[:]))
	batch.Delete(key(prefixHeight, be64(node.Height)))
	batch.Put([]byte(keyTip), node.Parent.Hash[:])
	return batch, nil
}
