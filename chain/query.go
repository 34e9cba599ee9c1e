package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"sort"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/merkle"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// TipInfo describes the main chain's tip.
type TipInfo struct {
	Hash       chainhash.Hash
	Height     uint64
	Work       *big.Int
	Header     block.Header
	MedianTime int64
	// NextDifficulty is the difficulty the next block must carry.
	NextDifficulty pow.Difficulty
}

// Tip returns the main chain's tip.
func (c *Chain) Tip() TipInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.tip
	return TipInfo{
		Hash: t.Hash, Height: t.Height, Work: new(big.Int).Set(t.Work), Header: t.Header,
		MedianTime:     c.tipDerived.medianTime,
		NextDifficulty: c.tipDerived.nextDifficulty,
	}
}

// tipDerived holds what TipInfo derives from the tip's ancestors, computed
// once when the tip moves instead of on every call.
type tipDerived struct {
	medianTime     int64
	nextDifficulty pow.Difficulty
}

func deriveTip(p *chaincfg.Params, t *headerchain.Node) tipDerived {
	return tipDerived{
		medianTime:     t.MedianTimePast(),
		nextDifficulty: p.RequiredDifficulty(t.Height, t.Header.Time, headerchain.AnchorTime(t)),
	}
}

// BlockInfo places a stored block: its height and how many main-chain blocks confirm it.
type BlockInfo struct {
	Hash          chainhash.Hash
	Height        uint64
	Header        block.Header
	MainChain     bool
	Confirmations uint64 // 0 when not on the main chain
}

func (c *Chain) infoOf(n *headerchain.Node) BlockInfo {
	bi := BlockInfo{Hash: n.Hash, Height: n.Height, Header: n.Header}
	if n.Height < uint64(len(c.main)) && c.main[n.Height] == n {
		bi.MainChain = true
		bi.Confirmations = c.tip.Height - n.Height + 1
	}
	return bi
}

// BlockByHash returns a stored block and where it is.
func (c *Chain) BlockByHash(h chainhash.Hash) (*block.Block, BlockInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index.Lookup(h)
	if n == nil {
		return nil, BlockInfo{}, fmt.Errorf("block %s: %w", h, ErrNotFound)
	}
	b, err := c.store.block(h)
	if err != nil {
		return nil, BlockInfo{}, err
	}
	return b, c.infoOf(n), nil
}

// HashAtHeight returns the hash of the main-chain block at height.
func (c *Chain) HashAtHeight(height uint64) (chainhash.Hash, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.main)) {
		return chainhash.Hash{}, fmt.Errorf("height %d above tip %d: %w", height, c.tip.Height, ErrNotFound)
	}
	return c.main[height].Hash, nil
}

// HasBlock reports whether the chain has the block in its index (valid or
// known to be invalid).
func (c *Chain) HasBlock(h chainhash.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.index.Lookup(h) != nil
}

// IsInvalid reports whether the chain knows h to be invalid or to descend from an invalid block.
func (c *Chain) IsInvalid(h chainhash.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index.Lookup(h)
	return n != nil && n.Flags&(flagInvalid|flagInvalidAncestor) != 0
}

// Locator returns a block locator for the main chain's tip.
func (c *Chain) Locator() []chainhash.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return headerchain.Locator(c.tip)
}

// HeadersAfter returns up to max headers of a branch, following the first
// locator hash that is on it (the genesis when none is). The branch is the
// main chain, cut after stop if stop is on it; when stop is a block of a
// side branch that the chain was once on (connected, so fully checked), it
// is the branch ending at stop. A node that relayed a block (on its main
// chain then) can so show how it links, however it has reorganised since.
func (c *Chain) HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) []block.Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	end := c.tip
	if n := c.index.Lookup(stop); n != nil && n.Flags&flagValid != 0 && !n.IsAncestorOf(c.tip) {
		end = n
	}
	start := uint64(0)
	for _, h := range locator {
		if n := c.index.Lookup(h); n != nil && n.IsAncestorOf(end) {
			start = n.Height
			break
		}
	}
	if start >= end.Height || max <= 0 {
		return nil
	}
	last := min(end.Height, start+uint64(max))
	if end != c.tip {
		out := make([]block.Header, last-start)
		for n := end.Ancestor(last); n.Height > start; n = n.Parent {
			out[n.Height-start-1] = n.Header
		}
		return out
	}
	var out []block.Header
	for h := start + 1; h <= last; h++ {
		n := c.main[h]
		out = append(out, n.Header)
		if n.Hash == stop {
			break
		}
	}
	return out
}

// TxInfo places a main-chain transaction.
type TxInfo struct {
	Block    BlockInfo
	Position int
}

// TxByID returns a transaction of the main chain and where it is.
func (c *Chain) TxByID(id chainhash.Hash) (*tx.Tx, TxInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, info, err := c.txLocked(id)
	if err != nil {
		return nil, TxInfo{}, err
	}
	return b.Txs[info.Position], info, nil
}

func (c *Chain) txLocked(id chainhash.Hash) (*block.Block, TxInfo, error) {
	v, ok, err := c.store.get(key(prefixTx, id[:]))
	if err != nil {
		return nil, TxInfo{}, fmt.Errorf("look up tx %s: %w", id, err)
	}
	if !ok {
		return nil, TxInfo{}, fmt.Errorf("tx %s: %w", id, ErrNotFound)
	}
	loc, err := decodeTxLocation(v)
	if err != nil {
		return nil, TxInfo{}, err
	}
	b, err := c.store.block(loc.Block)
	if err != nil {
		return nil, TxInfo{}, err
	}
	n := c.index.Lookup(loc.Block)
	if n == nil || int(loc.Position) >= len(b.Txs) {
		return nil, TxInfo{}, fmt.Errorf("%w: tx index entry for %s points nowhere", ErrCorruptStore, id)
	}
	return b, TxInfo{Block: c.infoOf(n), Position: int(loc.Position)}, nil
}

// TxProof is a main-chain transaction with the Merkle proof that its block's header commits to it.
type TxProof struct {
	Tx    *tx.Tx
	Block BlockInfo
	Proof merkle.Proof
}

// MerkleProof returns the transaction id, its block and the proof of inclusion.
func (c *Chain) MerkleProof(id chainhash.Hash) (*TxProof, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, info, err := c.txLocked(id)
	if err != nil {
		return nil, err
	}
	proof, err := merkle.BuildProof(block.MerkleLeaves(b.Txs), info.Position)
	if err != nil {
		return nil, fmt.Errorf("build proof for %s: %w", id, err)
	}
	return &TxProof{Tx: b.Txs[info.Position], Block: info.Block, Proof: proof}, nil
}

// LookupUTXO returns the unspent output op of the main chain, or nil. It
// makes the Chain an InputSource for transactions spending confirmed outputs.
func (c *Chain) LookupUTXO(op tx.OutPoint) (*UTXO, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.store.utxo(op)
}

// MissingInput explains, as a rule error, why op is not in the UTXO set.
func (c *Chain) MissingInput(op tx.OutPoint) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.explainMissing(op)
}

// KeyUTXO is an unspent output paying to a key, with its outpoint.
type KeyUTXO struct {
	OutPoint tx.OutPoint
	UTXO     UTXO
}

// UnspentByKey returns the main chain's unspent outputs paying to pub.
func (c *Chain) UnspentByKey(pub [32]byte) ([]KeyUTXO, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []KeyUTXO
	err := c.eachKeyUTXO(pub, true, func(op tx.OutPoint, u *UTXO) {
		out = append(out, KeyUTXO{OutPoint: op, UTXO: *u})
	})
	return out, err
}

// HistoryEntry is a main-chain transaction in an address's history.
type HistoryEntry struct {
	TxID     chainhash.Hash
	Height   uint64
	Position int // index of the transaction in its block
}

// Before reports whether e comes before o in chain order: by height, then by
// position in the block.
func (e HistoryEntry) Before(o HistoryEntry) bool {
	if e.Height != o.Height {
		return e.Height < o.Height
	}
	return e.Position < o.Position
}

// HistoryByKey returns the main-chain transactions that pay to or spend from
// pub in chain order: by height, then by position in the block.
func (c *Chain) HistoryByKey(pub [32]byte) ([]HistoryEntry, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []HistoryEntry
	err := c.store.iterate(key(prefixAddrTx, pub[:]), func(k, _ []byte) error {
		rest := k[1+32:]
		if len(rest) != 8+32 {
			return fmt.Errorf("%w: address history key of %d bytes", ErrCorruptStore, len(k))
		}
		e := HistoryEntry{Height: binary.BigEndian.Uint64(rest[:8]), TxID: chainhash.Hash(rest[8:])}
		v, ok, err := c.store.get(key(prefixTx, e.TxID[:]))
		if err != nil {
			return fmt.Errorf("look up tx %s: %w", e.TxID, err)
		}
		if !ok {
			return fmt.Errorf("%w: address history names unindexed tx %s", ErrCorruptStore, e.TxID)
		}
		loc, err := decodeTxLocation(v)
		if err != nil {
			return err
		}
		e.Position = int(loc.Position)
		out = append(out, e)
		return nil
	})
	// Keys order entries by height, then txid; within a block, chain order is by position.
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, err
}

// UTXOSetHash returns a digest of the whole UTXO set (outpoints and entries
// in key order). Two stores with the same hash hold the same coins.
func (c *Chain) UTXOSetHash() (chainhash.Hash, int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h := sha256.New()
	count := 0
	err := c.store.iterate([]byte{prefixUTXO}, func(k, v []byte) error {
		h.Write(k)
		h.Write(v)
		count++
		return nil
	})
	var out chainhash.Hash
	h.Sum(out[:0])
	return out, count, err
}

// HasTx reports whether a transaction with this id is on the main chain.
func (c *Chain) HasTx(id chainhash.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok, err := c.store.get(key(prefixTx, id[:]))
	return err == nil && ok
}

// CheckHeaders validates a peer's headers that extend a block the chain
// knows, with every header rule, and returns the cumulative work they reach.
//
// A header that is, or builds on, a block known to be invalid is refused at
// this stage with rule.ErrInvalidAncestor, so its block is never downloaded.
func (c *Chain) CheckHeaders(headers []block.Header, now int64) (*big.Int, error) {
	nodes, err := c.HeaderNodes(headers, now)
	if err != nil {
		return nil, err
	}
	return nodes[len(nodes)-1].Work, nil
}

// HeaderNodes is CheckHeaders returning a node per header: the chain's own
// node for a block it has, a detached node (in no index) otherwise. The
// nodes' fields other than Flags never change, so the caller may keep them.
func (c *Chain) HeaderNodes(headers []block.Header, now int64) ([]*headerchain.Node, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(headers) > 0 {
		if p := c.index.Lookup(headers[0].Prev); p != nil && p.Flags&(flagInvalid|flagInvalidAncestor) != 0 {
			return nil, rule.Errorf(rule.ErrInvalidAncestor, "headers build on invalid block %s", p.Hash)
		}
	}
	for i := range headers {
		if n := c.index.Lookup(headers[i].Hash()); n != nil && n.Flags&(flagInvalid|flagInvalidAncestor) != 0 {
			return nil, rule.Errorf(rule.ErrInvalidAncestor, "header %d is invalid block %s", i, n.Hash)
		}
	}
	return c.index.CheckDetached(headers, now)
}
