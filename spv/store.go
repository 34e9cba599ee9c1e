package spv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/ledgerd/ledger/block"
)

// headerStore is an append-only file of headers, each record the 84-byte
// header followed by a CRC-32C of it. Appends are the only writes, so a
// crash can only tear the last record; on open, a torn or damaged tail is
// cut off and everything before it kept. A database would be more than this
// needs: headers are never updated or deleted, only added.
type headerStore struct {
	f *os.File
}

const recordSize = block.HeaderSize + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openHeaderStore opens (creating) the file at path and returns the headers in it.
func openHeaderStore(path string) (*headerStore, []block.Header, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open header store: %w", err)
	}
	var headers []block.Header
	r := bufio.NewReader(f)
	var rec [recordSize]byte
	good := int64(0)
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				f.Close()
				return nil, nil, fmt.Errorf("read header store: %w", err)
			}
			break
		}
		if crc32.Checksum(rec[:block.HeaderSize], castagnoli) != binary.LittleEndian.Uint32(rec[block.HeaderSize:]) {
			break
		}
		h, err := block.DecodeHeader(rec[:block.HeaderSize])
		if err != nil {
			break
		}
		headers = append(headers, h)
		good += recordSize
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("cut torn tail of header store: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &headerStore{f: f}, headers, nil
}

// append writes headers and syncs them to disk.
func (s *headerStore) append(hs []block.Header) error {
	if len(hs) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(hs)*recordSize)
	for i := range hs {
		enc := hs[i].Encode()
		buf = append(buf, enc[:]...)
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(enc[:], castagnoli))
	}
	if _, err := s.f.Write(buf); err != nil {
		return fmt.Errorf("append headers: %w", err)
	}
	return s.f.Sync()
}

func (s *headerStore) close() error { return s.f.Close() }
