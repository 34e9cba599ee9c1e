package chain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/tx"
)

// Key prefixes of the store. Every block connect or disconnect writes the
// UTXO changes, undo data, indexes and the new tip in one atomic batch, so the
// store is consistent after a crash at any moment.
const (
	prefixIndex   = 'i' // block hash -> index entry (header, height, status, work, arrival seq)
	prefixBlock   = 'b' // block hash -> encoded block
	prefixUndo    = 'r' // block hash -> undo data (outputs the block spent)
	prefixUTXO    = 'u' // txid | index (BE) -> UTXO entry
	prefixTx      = 't' // txid -> block hash | position
	prefixHeight  = 'n' // height (BE) -> main-chain block hash
	prefixAddrUTX = 'A' // pubkey | txid | index -> nothing: unspent outputs by key
	prefixAddrTx  = 'a' // pubkey | height (BE) | txid -> nothing: main-chain history by key
	keyTip        = "Tip"
	keyVersion    = "Version"
)

// storeVersion is the layout this code writes. Version 1 stored index
// entries without their arrival sequence; opening such a store upgrades it.
const storeVersion = 2

// ErrCorruptStore reports a damaged store: leveldb found corruption, or
// stored data does not decode or contradicts itself. Errors from the store
// that match it carry a hint for the user.
var ErrCorruptStore = errors.New("corrupt chain store")

func key(prefix byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 1, n)
	k[0] = prefix
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func outpointKey(prefix byte, op tx.OutPoint) []byte {
	return appendOutpointKey(make([]byte, 0, 1+chainhash.Size+4), prefix, op)
}

// appendOutpointKey appends the key of op under prefix to dst.
func appendOutpointKey(dst []byte, prefix byte, op tx.OutPoint) []byte {
	dst = append(append(dst, prefix), op.TxID[:]...)
	return binary.BigEndian.AppendUint32(dst, op.Index)
}

func (s *store) get(k []byte) ([]byte, bool, error) {
	v, ok, err := s.cache.get(k)
	return v, ok, s.classify(err)
}

// indexEntry is the stored form of a block index node.
type indexEntry struct {
	header block.Header
	height uint64
	status status
	work   *big.Int
	// seq is the order in which the block arrived: on equal work the earlier
	// tip wins, before and after a restart (absent in version 1 stores).
	seq uint64
}

func (e *indexEntry) encode() []byte {
	b := e.header.AppendEncode(nil)
	b = wire.AppendUint64(b, e.height)
	b = append(b, byte(e.status))
	b = wire.AppendBytes(b, e.work.Bytes())
	return wire.AppendUint64(b, e.seq)
}

// decodeIndexEntry decodes an index entry written by a store of the given version.
func decodeIndexEntry(v []byte, version byte) (indexEntry, error) {
	r := wire.NewReader(v)
	e := indexEntry{header: block.ReadHeader(r), height: r.Uint64(), status: status(r.Uint8())}
	e.work = new(big.Int).SetBytes(r.Bytes(64))
	if version >= 2 {
		e.seq = r.Uint64()
	}
	if err := r.Done(); err != nil {
		return e, fmt.Errorf("%w: index entry: %w", ErrCorruptStore, err)
	}
	return e, nil
}

// txLocation says where a main-chain transaction is.
type txLocation struct {
	Block      chainhash.Hash
	Position   uint32
	NumOutputs uint32
}

func (l txLocation) appendEncode(b []byte) []byte {
	b = wire.AppendUint32(append(b, l.Block[:]...), l.Position)
	return wire.AppendUint32(b, l.NumOutputs)
}

func decodeTxLocation(v []byte) (txLocation, error) {
	r := wire.NewReader(v)
	l := txLocation{Block: r.Array32(), Position: r.Uint32(), NumOutputs: r.Uint32()}
	if err := r.Done(); err != nil {
		return l, fmt.Errorf("%w: tx location: %w", ErrCorruptStore, err)
	}
	return l, nil
}

func (s *store) tip() (chainhash.Hash, bool, error) {
	v, ok, err := s.get([]byte(keyTip))
	if err != nil || !ok {
		return chainhash.Hash{}, ok, err
	}
	if len(v) != chainhash.Size {
		return chainhash.Hash{}, false, fmt.Errorf("%w: tip record of %d bytes", ErrCorruptStore, len(v))
	}
	return chainhash.Hash(v), true, nil
}

func (s *store) block(hash chainhash.Hash) (*block.Block, error) {
	v, ok, err := s.get(key(prefixBlock, hash[:]))
	if err != nil {
		return nil, fmt.Errorf("read block %s: %w", hash, err)
	}
	if !ok {
		return nil, fmt.Errorf("block %s: %w", hash, ErrNotFound)
	}
	b, err := block.Decode(v)
	if err != nil {
		return nil, fmt.Errorf("%w: block %s: %w", ErrCorruptStore, hash, err)
	}
	return b, nil
}

func (s *store) utxo(op tx.OutPoint) (*UTXO, error) {
	v, ok, err := s.get(outpointKey(prefixUTXO, op))
	if err != nil || !ok {
		return nil, err
	}
	u, err := decodeUTXO(v)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// iterate calls fn for every key with the given prefix, in key order.
func (s *store) iterate(prefix []byte, fn func(k, v []byte) error) error {
	return s.classify(s.cache.iterate(prefix, fn))
}

// iterateUnordered is iterate in no particular order (see writeCache.iterateUnordered).
func (s *store) iterateUnordered(prefix []byte, fn func(k, v []byte) error) error {
	return s.classify(s.cache.iterateUnordered(prefix, fn))
}
