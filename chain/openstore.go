package chain

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb"
	ldberrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
)

// store wraps the leveldb database with typed accessors. Reads see the
// writes still held in its write-back cache (cache.go). The tip marker
// (tipmark.go) detects a store that lost writes it had acknowledged.
type store struct {
	dir   string
	db    *leveldb.DB
	cache *writeCache
	mark  *tipMark
	// pending is the outcome of a write started by writeBeside, until settle takes it.
	pending chan error
}

// strictOptions make leveldb refuse a damaged MANIFEST instead of
// "recovering" from it, which drops every table the MANIFEST no longer lists
// and deletes them together with the journal. The journal stays lenient: a
// torn last record is what a crash leaves, and leveldb drops it.
const strictOptions = opt.DefaultStrict | opt.StrictManifest

// openStore opens the chain store in dir, creating it when dir holds no
// store. An existing store is first opened read-only and strictly, so that
// damage is reported before leveldb writes anything; a damaged store is
// reported as ErrCorruptStore with what to do, and left byte for byte as it was.
// With noSync leveldb never calls fsync (see Options.NoSync).
func openStore(dir string, noSync bool) (*store, error) {
	exists, err := storeExists(dir)
	if err != nil {
		return nil, fmt.Errorf("open chain store %s: %w", dir, err)
	}
	if exists {
		if err := checkStrictly(dir); err != nil {
			return nil, err
		}
	}
	db, err := leveldb.OpenFile(dir, &opt.Options{
		BlockCacheCapacity: 32 << 20, Strict: strictOptions, ErrorIfMissing: exists,
		// Larger tables and levels than leveldb's defaults (4 MiB buffer,
		// 2 MiB tables, 10 MiB level 1) keep a long chain's store in fewer
		// levels, so compaction rewrites each key fewer times as it grows.
		WriteBuffer: 16 << 20, CompactionTableSize: 8 << 20, CompactionTotalSize: 64 << 20,
		// The store is mostly hashes and keys, which Snappy hardly shrinks
		// (18% at 30,000 blocks) for much of compaction's CPU time.
		Compression: opt.NoCompression,
		NoSync:      noSync,
	})
	if err != nil {
		return nil, openError(dir, err)
	}
	s := &store{dir: dir, db: db}
	if s.mark, err = openTipMark(dir); err != nil {
		db.Close()
		return nil, err
	}
	s.useCache(0, 0, &opt.WriteOptions{Sync: true})
	return s, nil
}

// storeExists reports whether dir holds any leveldb file (its info log aside).
func storeExists(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "CURRENT", strings.HasPrefix(name, "MANIFEST-"),
			strings.HasSuffix(name, ".log"), strings.HasSuffix(name, ".ldb"), strings.HasSuffix(name, ".sst"):
			return true, nil
		}
	}
	return false, nil
}

// checkStrictly opens the existing store in dir read-only, which writes
// nothing (not even leveldb's info log), and replays its journal, to find
// damage before a read-write open could act on it.
func checkStrictly(dir string) error {
	stor, err := storage.OpenFile(dir, true)
	if err != nil {
		return openError(dir, err)
	}
	defer stor.Close()
	db, err := leveldb.Open(stor, &opt.Options{ReadOnly: true, ErrorIfMissing: true, Strict: strictOptions})
	if err != nil {
		return openError(dir, err)
	}
	defer db.Close()
	// A read-write open rewrites the MANIFEST before it notices a missing
	// table, so check the tables the MANIFEST lists are all there, whole.
	tables, err := db.GetProperty("leveldb.sstables")
	if err != nil {
		return openError(dir, err)
	}
	for _, line := range strings.Split(tables, "\n") {
		var num, size int64
		if line == "" || strings.HasPrefix(line, "---") {
			continue
		}
		if _, err := fmt.Sscanf(line, "%d:%d[", &num, &size); err != nil {
			return fmt.Errorf("open chain store %s: unexpected leveldb table list line %q: %w", dir, line, err)
		}
		if err := checkTable(dir, num, size); err != nil {
			return &corruptError{dir: dir, err: fmt.Errorf("%w: %w", ErrCorruptStore, err)}
		}
	}
	return nil
}

// tableMagic ends every leveldb table file.
var tableMagic = []byte("\x57\xfb\x80\x8b\x24\x75\x47\xdb")

// checkTable checks that table num of the store in dir exists with the size
// its MANIFEST records and ends with a table footer. (Damage inside a table
// is found by checksums when it is read.)
func checkTable(dir string, num, size int64) error {
	for _, ext := range []string{"ldb", "sst"} {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("%06d.%s", num, ext)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.Size() != size {
			return fmt.Errorf("table %s has %d bytes, its MANIFEST says %d", fi.Name(), fi.Size(), size)
		}
		tail := make([]byte, len(tableMagic))
		if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil || !bytes.Equal(tail, tableMagic) {
			return fmt.Errorf("table %s has no valid footer", fi.Name())
		}
		return nil
	}
	return fmt.Errorf("table %06d.ldb, listed in the MANIFEST, is missing", num)
}

// openError classifies an error from opening an existing store: damage
// (corruption, or a file the store's own records name that is missing) is
// ErrCorruptStore; anything else (permissions, a lock held by another
// process) is reported as it is.
func openError(dir string, err error) error {
	if ldberrors.IsCorrupted(err) || errors.Is(err, os.ErrNotExist) {
		return &corruptError{dir: dir, err: fmt.Errorf("%w: %w", ErrCorruptStore, err)}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("open chain store %s: it is in use by another process (is a node already running on this data directory?)", dir)
	}
	return fmt.Errorf("open chain store %s: %w", dir, err)
}

// classify turns leveldb corruption found while the store is in use, and any
// ErrCorruptStore, into an error that tells the user what to do.
func (s *store) classify(err error) error {
	var ce *corruptError
	switch {
	case err == nil || errors.As(err, &ce):
		return err
	case ldberrors.IsCorrupted(err):
		return &corruptError{dir: s.dir, err: fmt.Errorf("%w: %w", ErrCorruptStore, err)}
	case errors.Is(err, ErrCorruptStore):
		return &corruptError{dir: s.dir, err: err}
	}
	return err
}

// close stores the cached writes and closes the database and the marker.
func (s *store) close() error {
	err := s.settle()
	if ferr := s.classify(s.cache.flush()); err == nil {
		err = ferr
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if merr := s.mark.close(); err == nil {
		err = merr
	}
	return err
}

// corruptError is a damaged store: what is wrong, and what the user can do.
// It matches ErrCorruptStore.
type corruptError struct {
	dir string
	err error
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("%v (stop the node, move %s aside and restart to download the chain again from peers; wallets are not stored there)", e.err, filepath.Clean(e.dir))
}

func (e *corruptError) Unwrap() error { return e.err }
