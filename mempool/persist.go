package mempool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	"github.com/ledgerd/ledger/internal/atomicfile"
	"github.com/ledgerd/ledger/internal/wire"
	"github.com/ledgerd/ledger/tx"
)

// FileName is the name of the saved pool inside a node's data directory.
const FileName = "mempool.dat"

// File layout (integers little-endian):
//
//	magic [8] "ledgermp" | version u32
//	count varint | count x transaction (tx encoding), in arrival order
//	checksum [32]: SHA-256 of everything before it
const (
	fileVersion = 1
	// minEncodedTx is the fewest bytes a transaction's encoding takes.
	minEncodedTx = 4 + 1 + 1 + 1
	// maxFileTxs bounds the count a file may claim.
	maxFileTxs = 1 << 22
)

var fileMagic = [8]byte{'l', 'e', 'd', 'g', 'e', 'r', 'm', 'p'}

// ErrDamagedFile reports a saved pool that cannot be read back.
var ErrDamagedFile = errors.New("saved mempool is damaged")

// encodeFile returns the saved form of txs.
func encodeFile(txs []*tx.Tx) []byte {
	b := append([]byte(nil), fileMagic[:]...)
	b = wire.AppendUint32(b, fileVersion)
	b = wire.AppendVarint(b, uint32(len(txs)))
	for _, t := range txs {
		b = t.AppendEncode(b)
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// decodeFile parses a saved pool. Any damage (wrong magic, unknown version,
// bad checksum, malformed transaction, trailing bytes) is an error wrapping
// ErrDamagedFile.
func decodeFile(b []byte) ([]*tx.Tx, error) {
	if len(b) < len(fileMagic)+4+1+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrDamagedFile, len(b))
	}
	if !bytes.Equal(b[:len(fileMagic)], fileMagic[:]) {
		return nil, fmt.Errorf("%w: not a mempool file", ErrDamagedFile)
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrDamagedFile)
	}
	r := wire.NewReader(body[len(fileMagic):])
	if v := r.Uint32(); r.Err() == nil && v != fileVersion {
		return nil, fmt.Errorf("%w: version %d, this node reads %d", ErrDamagedFile, v, fileVersion)
	}
	n := r.Count(maxFileTxs, minEncodedTx)
	txs := make([]*tx.Tx, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		if t := tx.ReadFrom(r); t != nil {
			txs = append(txs, t)
		}
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDamagedFile, err)
	}
	return txs, nil
}

// Save writes the pool's transactions to path (atomically and durably), in
// arrival order so that every parent precedes its children, and returns how
// many it wrote. Orphans are not saved.
func (p *Pool) Save(path string) (int, error) {
	p.mu.Lock()
	es := p.sortedBySeq()
	txs := make([]*tx.Tx, len(es))
	for i, e := range es {
		txs[i] = e.Tx
	}
	p.mu.Unlock()
	if err := atomicfile.WriteFile(path, encodeFile(txs), 0o600); err != nil {
		return 0, fmt.Errorf("save mempool: %w", err)
	}
	return len(txs), nil
}

// LoadResult tells what loading a saved pool did.
type LoadResult struct {
	// Accepted transactions are back in the pool; Dropped ones are no longer
	// valid on the current chain (mined, conflicting, or below policy).
	Accepted, Dropped int
}

// Load reads a pool saved by Save and re-validates each transaction against
// the current chain, in the saved order. A missing file is an empty pool. A
// damaged file is renamed aside (to path + ".damaged") and the error,
// wrapping ErrDamagedFile, says so; the pool is left as it was.
func (p *Pool) Load(path string) (LoadResult, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return LoadResult{}, nil
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("load mempool: %w", err)
	}
	var txs []*tx.Tx
	// A file far larger than the pool can hold is not one this node wrote.
	if limit := 2*int64(p.cfg.MaxBytes) + 1<<20; st.Size() > limit {
		err = fmt.Errorf("%w: %d bytes, more than this pool can hold", ErrDamagedFile, st.Size())
	} else {
		var data []byte
		if data, err = os.ReadFile(path); err != nil {
			return LoadResult{}, fmt.Errorf("load mempool: %w", err)
		}
		txs, err = decodeFile(data)
	}
	if err != nil {
		aside := path + ".damaged"
		if rerr := os.Rename(path, aside); rerr != nil {
			return LoadResult{}, fmt.Errorf("load mempool %s: %w (and moving it aside failed: %v; delete it)", path, err, rerr)
		}
		return LoadResult{}, fmt.Errorf("load mempool %s: %w; moved it to %s and started with an empty pool", path, err, aside)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var res LoadResult
	for _, t := range txs {
		if p.acceptNoOrphan(t) == nil {
			res.Accepted++
		} else {
			res.Dropped++
		}
	}
	return res, nil
}
