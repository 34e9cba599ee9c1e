// Package wire holds the primitives of the project's canonical binary
// encoding: little-endian fixed-size integers, minimal (canonical) varints and
// a bounded reader that refuses to allocate more than the input can hold.
//
// Every consensus object (transactions, headers, blocks) and every p2p message
// is encoded with these primitives, so one set of strictness rules applies to
// all of them: a decoder built on Reader never panics, never allocates from an
// unchecked length prefix, and reports trailing bytes.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShortRead reports input that ends before the value being read.
var ErrShortRead = errors.New("unexpected end of input")

// ErrNonCanonical reports a value encoded in a form other than the one canonical form.
var ErrNonCanonical = errors.New("non-canonical encoding")

// ErrTrailingBytes reports bytes left over after a complete value was decoded.
var ErrTrailingBytes = errors.New("trailing bytes after value")

// ErrTooLarge reports a count or length above the limit the caller allows.
var ErrTooLarge = errors.New("count or length above limit")

// MaxVarint is the largest value a varint may carry.
const MaxVarint = 1<<32 - 1

// AppendUint16 appends v as two little-endian bytes.
func AppendUint16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }

// AppendUint32 appends v as four little-endian bytes.
func AppendUint32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

// AppendUint64 appends v as eight little-endian bytes.
func AppendUint64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// AppendVarint appends v in the canonical varint form: one byte below 0xfd,
// else a marker byte (0xfd, 0xfe) followed by 2 or 4 little-endian bytes.
func AppendVarint(b []byte, v uint32) []byte {
	switch {
	case v < 0xfd:
		return append(b, byte(v))
	case v <= 0xffff:
		return binary.LittleEndian.AppendUint16(append(b, 0xfd), uint16(v))
	default:
		return binary.LittleEndian.AppendUint32(append(b, 0xfe), v)
	}
}

// VarintSize returns the number of bytes AppendVarint uses for v.
func VarintSize(v uint32) int {
	switch {
	case v < 0xfd:
		return 1
	case v <= 0xffff:
		return 3
	default:
		return 5
	}
}

// AppendBytes appends a varint length followed by p.
func AppendBytes(b, p []byte) []byte {
	return append(AppendVarint(b, uint32(len(p))), p...)
}

// Reader decodes canonical values from a byte slice. The first error sticks:
// once a read fails every later read returns zero values, and Err reports the
// failure, so decoders can read a whole structure and check once.
type Reader struct {
	buf []byte
	off int
	err error
}

// NewReader returns a Reader over b. It does not copy b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Remaining returns how many unread bytes are left.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

// Offset returns how many bytes have been consumed.
func (r *Reader) Offset() int { return r.off }

// Fail records err as the reader's error unless one is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Next consumes and returns the next n bytes (aliasing the input), or nil
// with ErrShortRead recorded when fewer remain.
func (r *Reader) Next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.Remaining() {
		r.err = fmt.Errorf("%w: need %d bytes at offset %d, have %d", ErrShortRead, n, r.off, r.Remaining())
		return nil
	}
	p := r.buf[r.off : r.off+n]
	r.off += n
	return p
}

// Uint8 reads one byte.
func (r *Reader) Uint8() uint8 {
	p := r.Next(1)
	if p == nil {
		return 0
	}
	return p[0]
}

// Uint16 reads a little-endian uint16.
func (r *Reader) Uint16() uint16 {
	p := r.Next(2)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(p)
}

// Uint32 reads a little-endian uint32.
func (r *Reader) Uint32() uint32 {
	p := r.Next(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

// Uint64 reads a little-endian uint64.
func (r *Reader) Uint64() uint64 {
	p := r.Next(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

// Array32 reads 32 bytes into a fixed-size array.
func (r *Reader) Array32() (a [32]byte) {
	if p := r.Next(32); p != nil {
		copy(a[:], p)
	}
	return a
}

// Array64 reads 64 bytes into a fixed-size array.
func (r *Reader) Array64() (a [64]byte) {
	if p := r.Next(64); p != nil {
		copy(a[:], p)
	}
	return a
}

// Varint reads a canonical varint; a value that has a shorter encoding is rejected.
func (r *Reader) Varint() uint32 {
	first := r.Uint8()
	if r.err != nil {
		return 0
	}
	var v uint32
	var min uint32
	switch first {
	case 0xfd:
		v, min = uint32(r.Uint16()), 0xfd
	case 0xfe:
		v, min = r.Uint32(), 0x10000
	case 0xff:
		r.Fail(fmt.Errorf("%w: varint marker 0xff at offset %d", ErrNonCanonical, r.off-1))
		return 0
	default:
		return uint32(first)
	}
	if r.err == nil && v < min {
		r.Fail(fmt.Errorf("%w: varint %d not minimally encoded", ErrNonCanonical, v))
		return 0
	}
	return v
}

// Count reads a varint element count and checks it against max and against
// the bytes left, given that each element takes at least minSize bytes. It is
// the guard every decoder uses before allocating a slice for the elements.
func (r *Reader) Count(max, minSize int) int {
	n := r.Varint()
	if r.err != nil {
		return 0
	}
	if uint64(n) > uint64(max) {
		r.Fail(fmt.Errorf("%w: count %d exceeds %d", ErrTooLarge, n, max))
		return 0
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(r.Remaining()) {
		r.Fail(fmt.Errorf("%w: count %d needs at least %d bytes, have %d", ErrShortRead, n, uint64(n)*uint64(minSize), r.Remaining()))
		return 0
	}
	return int(n)
}

// Bytes reads a varint length of at most max followed by that many bytes (aliasing the input).
func (r *Reader) Bytes(max int) []byte {
	n := r.Count(max, 1)
	return r.Next(n)
}

// Done records ErrTrailingBytes if unread bytes remain, and returns Err.
func (r *Reader) Done() error {
	if r.err == nil && r.Remaining() != 0 {
		r.err = fmt.Errorf("%w: %d bytes", ErrTrailingBytes, r.Remaining())
	}
	return r.err
}
