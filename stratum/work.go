package stratum

import (
	"fmt"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// work is one block template shared by every connection: the block minus
// its coinbase, which each worker's job fills in with its own payout and
// extra nonce.
type work struct {
	height     uint64
	prev       chainhash.Hash
	version    uint32
	time       int64
	difficulty pow.Difficulty
	reward     int64 // subsidy plus fees: what the coinbase pays out in total
	txs        []*tx.Tx
	branch     []chainhash.Hash
}

// newWork takes a miner template apart: its coinbase's total is the reward,
// its other transactions are the block's, and the Merkle branch of the
// coinbase position is computed once for every worker.
func newWork(t *miner.Template) *work {
	b := t.Block
	w := &work{
		height: t.Height, prev: b.Header.Prev, version: b.Header.Version, time: b.Header.Time,
		difficulty: b.Header.Difficulty, txs: b.Txs[1:],
	}
	w.reward, _ = b.Txs[0].OutputTotal()
	// The coinbase leaf does not affect its own branch; any placeholder will do.
	leaves := block.MerkleLeaves(b.Txs)
	proof, err := merkle.BuildProof(leaves, 0)
	if err != nil {
		panic(fmt.Sprintf("stratum: Merkle proof of a template's coinbase: %v", err))
	}
	w.branch = proof.Siblings
	return w
}

// coinbase returns the coinbase paying outputs with extra nonce zero.
func (w *work) coinbase(outputs []tx.TxOut) *tx.Tx {
	return &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: w.height}, Outputs: outputs}
}

// job returns the job for a worker whose coinbase pays outputs.
func (w *work) job(id string, outputs []tx.TxOut, clean bool) *Job {
	enc := w.coinbase(outputs).Encode()
	end := coinbaseExtraNonceOffset + ExtraNonce1Size + ExtraNonce2Size
	return &Job{
		ID:         id,
		Prev:       w.prev,
		Coinbase1:  enc[:coinbaseExtraNonceOffset],
		Coinbase2:  enc[end:],
		Branch:     w.branch,
		Version:    w.version,
		Difficulty: w.difficulty,
		Time:       w.time,
		Clean:      clean,
	}
}

// block assembles the block a solved header and coinbase make.
func (w *work) block(h block.Header, coinbase *tx.Tx) *block.Block {
	txs := make([]*tx.Tx, 0, 1+len(w.txs))
	txs = append(txs, coinbase)
	return &block.Block{Header: h, Txs: append(txs, w.txs...)}
}
