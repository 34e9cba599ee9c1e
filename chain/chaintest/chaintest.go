// Package chaintest builds keys, transactions and mined blocks for tests of
// the chain and of the packages above it. Blocks are mined for real (regtest
// difficulty is tiny), so everything it builds passes proof-of-work checks
// unless a test breaks it on purpose.
package chaintest

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// Key is a test key pair.
type Key struct {
	Priv *btcec.PrivateKey
	Pub  [32]byte
}

// NewKey derives a deterministic key from seed, so test runs are reproducible.
func NewKey(seed uint64) Key {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	sum := sha256.Sum256(append([]byte("chaintest key"), b[:]...))
	priv, _ := btcec.PrivKeyFromBytes(sum[:])
	return Key{Priv: priv, Pub: tx.PubKeyOf(priv)}
}

// Coinbase returns a coinbase for height paying amount to pub.
func Coinbase(height uint64, pub [32]byte, amount int64) *tx.Tx {
	return &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: height}, Outputs: []tx.TxOut{{Amount: amount, PubKey: pub}}}
}

// Spend is one output to spend: where it is, what it holds, and the key that owns it.
type Spend struct {
	OutPoint tx.OutPoint
	Output   tx.TxOut
	Key      Key
}

// SignedTx builds a transaction spending ins to outs, signed for network.
func SignedTx(network string, ins []Spend, outs []tx.TxOut) *tx.Tx {
	return SignedTxVersion(network, 1, ins, outs)
}

// SignedTxVersion is SignedTx with the given transaction version (whose
// tx.FlagReplaceable bit opts in to replacement).
func SignedTxVersion(network string, version uint32, ins []Spend, outs []tx.TxOut) *tx.Tx {
	t := &tx.Tx{Version: version, Outputs: outs}
	prev := make([]tx.TxOut, len(ins))
	for i, in := range ins {
		t.Inputs = append(t.Inputs, tx.TxIn{Prev: in.OutPoint})
		prev[i] = in.Output
	}
	for i, in := range ins {
		if err := tx.SignInput(network, t, prev, i, in.Key.Priv); err != nil {
			panic(err)
		}
	}
	return t
}

// OutPointOf returns the outpoint of output index of t.
func OutPointOf(t *tx.Tx, index uint32) tx.OutPoint {
	return tx.OutPoint{TxID: t.ID(), Index: index}
}

// SpendOf describes output index of t, owned by k, as a Spend.
func SpendOf(t *tx.Tx, index uint32, k Key) Spend {
	return Spend{OutPoint: OutPointOf(t, index), Output: t.Outputs[index], Key: k}
}

// NewBlock assembles a block on parent with the given time and difficulty,
// sets its Merkle root and mines it.
func NewBlock(parent block.Header, time int64, d pow.Difficulty, txs []*tx.Tx) *block.Block {
	b := &block.Block{
		Header: block.Header{Version: 1, Prev: parent.Hash(), Time: time, Difficulty: d},
		Txs:    txs,
	}
	Remine(b)
	return b
}

// Remine recomputes the Merkle root and searches a nonce meeting the header's difficulty.
func Remine(b *block.Block) {
	b.Header.MerkleRoot = block.ComputeMerkleRoot(b.Txs)
	Solve(&b.Header)
}

// Solve searches nonces (bumping the time when they run out) until the header meets its difficulty.
func Solve(h *block.Header) {
	for {
		for n := uint32(0); ; n++ {
			h.Nonce = n
			if pow.HashMeets(h.Hash(), h.Difficulty) {
				return
			}
			if n == ^uint32(0) {
				break
			}
		}
		h.Time++
	}
}

// Unsolve changes the nonce until the header does NOT meet its difficulty, for high-hash tests.
func Unsolve(h *block.Header) {
	for pow.HashMeets(h.Hash(), h.Difficulty) {
		h.Nonce++
	}
}

// Builder extends a chain of blocks in memory, tracking heights and times, so
// tests can describe branches concisely.
type Builder struct {
	Params *chaincfg.Params
	Miner  Key
}

// Next builds a mined block on parent at height (parent's height + 1), with a
// coinbase paying the subsidy plus fees to the builder's miner, then txs.
func (bl Builder) Next(parent block.Header, height uint64, fees int64, txs ...*tx.Tx) *block.Block {
	cb := Coinbase(height, bl.Miner.Pub, bl.Params.Subsidy(height)+fees)
	return NewBlock(parent, parent.Time+1, bl.Params.GenesisDifficulty, append([]*tx.Tx{cb}, txs...))
}
