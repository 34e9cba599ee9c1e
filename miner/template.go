// Package miner builds block templates from the mempool and searches nonces
// for them on several cores, Hashcash-style, restarting on every new tip.
package miner

import (
	"math/big"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// TxSource supplies transactions for a template (the mempool).
type TxSource interface {
	Select(maxBytes int) ([]*tx.Tx, int64)
}

// TipSource tells the template builder where the chain is (the chain).
type TipSource interface {
	Tip() chain.TipInfo
}

// coinbaseReserve is the room kept in a block for its header and coinbase.
const coinbaseReserve = 1000

// Template is a block ready for a nonce search.
type Template struct {
	Block  *block.Block
	Height uint64
	Fees   int64
}

// NewTemplate builds a block on the tip: a coinbase paying subsidy plus fees
// to payTo with the given extra nonce, then the mempool's best transactions.
// Its time is now, or one second past the median time past if that is later.
func NewTemplate(p *chaincfg.Params, tips TipSource, txs TxSource, payTo [32]byte, extraNonce uint64, now int64) *Template {
	tip := tips.Tip()
	height := tip.Height + 1
	var selected []*tx.Tx
	var fees int64
	if txs != nil {
		selected, fees = txs.Select(p.MaxBlockSize - coinbaseReserve)
	}
	cb := &tx.Tx{
		Version:  1,
		Coinbase: &tx.Coinbase{Height: height, ExtraNonce: extraNonce},
		Outputs:  []tx.TxOut{{Amount: p.Subsidy(height) + fees, PubKey: payTo}},
	}
	t := now
	if t <= tip.MedianTime {
		t = tip.MedianTime + 1
	}
	b := &block.Block{
		Header: block.Header{Version: 1, Prev: tip.Hash, Time: t, Difficulty: tip.NextDifficulty},
		Txs:    append([]*tx.Tx{cb}, selected...),
	}
	b.Header.MerkleRoot = block.ComputeMerkleRoot(b.Txs)
	return &Template{Block: b, Height: height, Fees: fees}
}

// SetExtraNonce changes the coinbase's extra nonce and recomputes the Merkle root,
// giving the search a fresh nonce space.
func (t *Template) SetExtraNonce(n uint64) {
	t.Block.Txs[0].Coinbase.ExtraNonce = n
	t.Block.Header.MerkleRoot = block.ComputeMerkleRoot(t.Block.Txs)
}

// TargetBytes returns the target for difficulty d as 32 big-endian bytes
// (all ones when the target is 2^256 or more, which every hash meets).
func TargetBytes(d pow.Difficulty) [32]byte {
	var out [32]byte
	t := pow.Target(d)
	if t.Cmp(new(big.Int).Lsh(big.NewInt(1), 256)) >= 0 {
		for i := range out {
			out[i] = 0xff
		}
		return out
	}
	t.FillBytes(out[:])
	return out
}
