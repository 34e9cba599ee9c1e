package spv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/atomicfile"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/tx"
)

// scanned is one block the wallet record has been brought through: its hash
// and its filter header, checked as described in filtersync.go.
type scanned struct {
	Hash         chainhash.Hash
	FilterHeader chainhash.Hash
}

// walletTx is a transaction of the wallet found in a block of the record's chain.
type walletTx struct {
	Height   uint64
	Block    chainhash.Hash
	Position uint32
	Tx       *tx.Tx
}

// record is the light wallet's local state: the chain of blocks whose
// filters it has matched (by height, from the genesis) and the wallet's
// transactions in them. Coins, balance and history are derived from it, so
// rolling it back to a height and scanning forward again is exact.
type record struct {
	path  string
	chain []scanned
	txs   []walletTx // ordered by height, then position
}

const recordVersion = 1

// maxRecordTxs bounds what a damaged record file can make the loader allocate.
const maxRecordTxs = 1 << 22

func recordPath(dir, network string) string {
	return filepath.Join(dir, "wallet-"+network+".dat")
}

// loadRecord reads the record at path; a missing file is an empty record. A
// damaged one is reported, with the way out: it is derived data, and
// deleting it makes the next sync rebuild it from the filters.
func loadRecord(path string) (*record, error) {
	r := &record{path: path}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read wallet record: %w", err)
	}
	if err := r.decode(raw); err != nil {
		return nil, fmt.Errorf("wallet record %s is damaged (delete it to rescan from the filters): %w", path, err)
	}
	return r, nil
}

func (r *record) encode() []byte {
	b := wire.AppendUint32(nil, recordVersion)
	b = wire.AppendUint64(b, uint64(len(r.chain)))
	for _, s := range r.chain {
		b = append(append(b, s.Hash[:]...), s.FilterHeader[:]...)
	}
	b = wire.AppendUint64(b, uint64(len(r.txs)))
	for _, t := range r.txs {
		b = wire.AppendUint64(b, t.Height)
		b = append(b, t.Block[:]...)
		b = wire.AppendUint32(b, t.Position)
		b = wire.AppendBytes(b, t.Tx.Encode())
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func (r *record) decode(raw []byte) error {
	if len(raw) < 4 || crc32.Checksum(raw[:len(raw)-4], castagnoli) != binary.LittleEndian.Uint32(raw[len(raw)-4:]) {
		return errors.New("checksum mismatch")
	}
	rd := wire.NewReader(raw[:len(raw)-4])
	if v := rd.Uint32(); rd.Err() == nil && v != recordVersion {
		return fmt.Errorf("unknown version %d", v)
	}
	n := rd.Uint64()
	if n > uint64(rd.Remaining())/64 {
		return fmt.Errorf("%d blocks cannot fit in %d bytes", n, rd.Remaining())
	}
	r.chain = make([]scanned, 0, n)
	for i := uint64(0); i < n && rd.Err() == nil; i++ {
		r.chain = append(r.chain, scanned{Hash: rd.Array32(), FilterHeader: rd.Array32()})
	}
	m := rd.Uint64()
	if m > maxRecordTxs {
		return fmt.Errorf("%d transactions", m)
	}
	for i := uint64(0); i < m && rd.Err() == nil; i++ {
		t := walletTx{Height: rd.Uint64(), Block: rd.Array32(), Position: rd.Uint32()}
		raw := rd.Bytes(tx.MaxEncodedSize)
		if rd.Err() != nil {
			break
		}
		x, err := tx.Decode(raw)
		if err != nil {
			return err
		}
		t.Tx = x
		if t.Height >= uint64(len(r.chain)) || r.chain[t.Height].Hash != t.Block {
			return fmt.Errorf("transaction %s in block %s, which is not in the record's chain", x.ID(), t.Block)
		}
		r.txs = append(r.txs, t)
	}
	return rd.Done()
}

// save writes the record atomically and durably: a crash leaves the old or
// the new file.
func (r *record) save() error {
	if err := atomicfile.WriteFile(r.path, r.encode(), 0o600); err != nil {
		return fmt.Errorf("save wallet record: %w", err)
	}
	return nil
}

// height returns the height of the last scanned block, and false when none is.
func (r *record) height() (uint64, bool) {
	if len(r.chain) == 0 {
		return 0, false
	}
	return uint64(len(r.chain) - 1), true
}

// rollback forgets every block above height and the transactions in them.
func (r *record) rollback(height uint64) {
	if height+1 < uint64(len(r.chain)) {
		r.chain = r.chain[:height+1]
	}
	keep := r.txs[:0]
	for _, t := range r.txs {
		if t.Height <= height {
			keep = append(keep, t)
		}
	}
	r.txs = keep
}

// reset forgets everything.
func (r *record) reset() { r.chain, r.txs = nil, nil }
