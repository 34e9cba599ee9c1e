// Package tx defines transactions: the UTXO model of the Bitcoin whitepaper
// with BIP340 Schnorr signatures over secp256k1.
//
// Each output pays an amount to a 32-byte x-only public key (shown to users as
// a bech32m address). An input names the output it spends by outpoint and
// carries a 64-byte signature by that key over the transaction's signature
// hash. The txid covers everything but the signatures, so a third party cannot
// change it; a coinbase carries its block height, so txids never repeat.
package tx

import (
	"github.com/ledgerd/ledger/chainhash"
)

// UnitsPerCoin is the number of indivisible units in one coin.
const UnitsPerCoin = 100_000_000

// MaxMoney is the most units that can ever exist; no amount or sum of amounts may exceed it.
const MaxMoney = 21_000_000 * UnitsPerCoin

// OutPoint names one output of a transaction.
type OutPoint struct {
	TxID  chainhash.Hash
	Index uint32
}

// TxIn spends one output. Signature is the BIP340 signature by the output's
// key over the transaction's signature hash for this input.
type TxIn struct {
	Prev      OutPoint
	Signature [64]byte
}

// TxOut pays Amount units to the holder of the x-only public key PubKey.
type TxOut struct {
	Amount int64
	PubKey [32]byte
}

// Coinbase holds what only a block's first transaction carries: the height of
// its block (which makes its txid unique) and an extra nonce for miners.
type Coinbase struct {
	Height     uint64
	ExtraNonce uint64
}

// Tx is a transaction. A coinbase has Coinbase set and no inputs; every other
// transaction has Coinbase nil and at least one input.
type Tx struct {
	Version  uint32
	Coinbase *Coinbase
	Inputs   []TxIn
	Outputs  []TxOut
}

// IsCoinbase reports whether t is a coinbase transaction.
func (t *Tx) IsCoinbase() bool { return t.Coinbase != nil }

// ID returns the txid: the double SHA-256 of the encoding without signatures.
func (t *Tx) ID() chainhash.Hash {
	return chainhash.DoubleSHA256(t.appendBody(make([]byte, 0, t.bodySize())))
}

// FullHash returns the double SHA-256 of the complete encoding, signatures
// included. It is the transaction's leaf in its block's Merkle tree, so the
// header commits to the signatures as well as to the txid.
func (t *Tx) FullHash() chainhash.Hash {
	return chainhash.DoubleSHA256(t.Encode())
}

// OutputTotal returns the sum of the output amounts and false if it overflows
// or any amount is outside [0, MaxMoney].
func (t *Tx) OutputTotal() (int64, bool) {
	var total int64
	for _, o := range t.Outputs {
		if o.Amount < 0 || o.Amount > MaxMoney {
			return 0, false
		}
		total += o.Amount
		if total > MaxMoney {
			return 0, false
		}
	}
	return total, true
}
