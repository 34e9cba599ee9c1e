package chain

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
)

// The tip marker is a small file beside the leveldb files recording a block
// the store has durably connected: the tip, or an ancestor of it. If at open
// the store's tip does not descend from the marked block, the store lost
// writes it had acknowledged (its journal was truncated or deleted) and the
// node refuses to start on it rather than silently serving an older chain.
//
// The marker may lag behind the store but never lead it. Connect and
// disconnect batches reach leveldb in flushes of the write-back cache
// (cache.go): after a flush is written (synced, on a synced store) the marker
// is raised in place to the flushed tip without an fsync of its own; before
// a flush that disconnects blocks is written, the marker is lowered, with an
// fsync, to the lowest block the flush passes through, an ancestor of the
// tips before and after it. A crash therefore leaves a marker on the
// store's chain, never above it.
const tipMarkName = "LEDGER-TIP"

// tipMarkMagic starts the marker file, followed by height, hash and a CRC.
var tipMarkMagic = [4]byte{'L', 'T', 'M', '1'}

const tipMarkSize = 4 + 8 + chainhash.Size + 4

// ErrStoreRewound reports a store whose tip no longer descends from a block it
// had connected before: writes it acknowledged are gone. It matches ErrCorruptStore.
var ErrStoreRewound = errors.New("chain store lost blocks it had connected")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tipMark is the open marker file, rewritten in place.
type tipMark struct {
	f *os.File
}

func openTipMark(dir string) (*tipMark, error) {
	f, err := os.OpenFile(filepath.Join(dir, tipMarkName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open chain tip marker: %w", err)
	}
	return &tipMark{f: f}, nil
}

func (m *tipMark) close() error { return m.f.Close() }

// read returns the marked block; ok is false when the marker is empty (a new
// file) and err non-nil when it does not decode.
func (m *tipMark) read() (hash chainhash.Hash, height uint64, ok bool, err error) {
	var b [tipMarkSize + 1]byte
	n, err := m.f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return hash, 0, false, fmt.Errorf("read chain tip marker: %w", err)
	}
	if n == 0 {
		return hash, 0, false, nil
	}
	v := b[:n]
	if n != tipMarkSize || [4]byte(v[:4]) != tipMarkMagic ||
		binary.BigEndian.Uint32(v[tipMarkSize-4:]) != crc32.Checksum(v[:tipMarkSize-4], castagnoli) {
		return hash, 0, false, fmt.Errorf("chain tip marker %s is damaged (%d bytes)", m.f.Name(), n)
	}
	return chainhash.Hash(v[12 : 12+chainhash.Size]), binary.BigEndian.Uint64(v[4:12]), true, nil
}

// set marks n, fsyncing the file when sync is set.
func (m *tipMark) set(n *headerchain.Node, sync bool) error {
	b := append(make([]byte, 0, tipMarkSize), tipMarkMagic[:]...)
	b = binary.BigEndian.AppendUint64(b, n.Height)
	b = append(b, n.Hash[:]...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	if _, err := m.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write chain tip marker: %w", err)
	}
	if sync {
		if err := m.f.Sync(); err != nil {
			return fmt.Errorf("sync chain tip marker: %w", err)
		}
	}
	return nil
}

// follow records that a step moved the tip to tip (a disconnect when disconnect is set).
func (l *cacheLayer) follow(tip *headerchain.Node, disconnect bool) {
	if tip == nil {
		return
	}
	l.tip = tip
	if disconnect && (l.floor == nil || tip.Height < l.floor.Height) {
		l.floor = tip
	}
}

// lowerMark, before layer is stored, lowers the marker durably to the
// lowest tip the layer passes through, when it disconnects blocks.
func (w *writeCache) lowerMark(layer *cacheLayer) error {
	if layer.floor == nil || w.mark == nil {
		return nil
	}
	return w.mark.set(layer.floor, w.wo.Sync)
}

// raiseMark, after layer is stored, raises the marker to the layer's tip.
// No fsync: a marker a crash leaves lower is still on the stored chain, and
// a failure only weakens the detection of a later loss.
func (w *writeCache) raiseMark(layer *cacheLayer) {
	if layer.tip != nil && w.mark != nil {
		_ = w.mark.set(layer.tip, false)
	}
}

// checkTipMark compares the loaded tip (nil when the store holds no chain)
// with the marker. A tip that does not descend from the marked block means
// lost writes: an ErrStoreRewound error, unless accept is set, when it is
// logged and the marker follows the store. A missing or damaged marker is
// started again from the tip.
func (c *Chain) checkTipMark(tip *headerchain.Node, accept bool) error {
	hash, height, ok, err := c.store.mark.read()
	switch {
	case err != nil:
		c.log.Warn("chain tip marker unreadable; starting it again from the store's tip", "err", err)
	case !ok || (tip == nil && height == 0):
	default:
		if m := c.index.Lookup(hash); m != nil && tip != nil && m.IsAncestorOf(tip) {
			return nil
		}
		holds := "no chain at all"
		if tip != nil {
			holds = fmt.Sprintf("a chain only up to height %d without it", tip.Height)
		}
		lost := fmt.Errorf("%w: it had connected block %s at height %d, but now holds %s "+
			"(its leveldb journal, the *.log file in %s, was probably truncated or deleted)", ErrStoreRewound, hash, height, holds, c.store.dir)
		if !accept {
			return &corruptError{dir: c.store.dir, err: fmt.Errorf("%w: %w", ErrCorruptStore, lost)}
		}
		c.log.Warn("accepting a chain store that lost blocks; peers will send them again", "err", lost)
	}
	if tip == nil {
		return nil // initGenesis marks the genesis
	}
	return c.store.mark.set(tip, c.writeOpts.Sync)
}
