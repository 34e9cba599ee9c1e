package mempool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeFile(nil))
	f.Add(encodeFile([]*tx.Tx{syntheticEntry(1).Tx, syntheticEntry(2).Tx}))
	f.Add(encodeFile([]*tx.Tx{{Version: 1, Inputs: []tx.TxIn{{Prev: tx.OutPoint{TxID: chainhash.Hash{1}}}}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		// Also with a valid checksum appended, so that the fuzzer reaches
		// the parser behind the checksum.
		sum := sha256.Sum256(data)
		checkDecode(t, append(append([]byte(nil), data...), sum[:]...))
	})
}

func checkDecode(t *testing.T, data []byte) {
	txs, err := decodeFile(data)
	if err != nil {
		if !errors.Is(err, ErrDamagedFile) {
			t.Fatalf("error %v does not wrap ErrDamagedFile", err)
		}
		return
	}
	// What decodes is canonical: it encodes back to the same bytes.
	if again := encodeFile(txs); !bytes.Equal(again, data) {
		t.Fatalf("decoded %d transactions re-encode differently", len(txs))
	}
}

// withChecksum returns body followed by its valid checksum.
func withChecksum(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append(append([]byte(nil), body...), sum[:]...)
}

func TestDecodeFileBehindValidChecksum(t *testing.T) {
	good := encodeFile([]*tx.Tx{syntheticEntry(1).Tx})
	body := good[:len(good)-sha256.Size]
	edit := func(f func(b []byte) []byte) []byte {
		return withChecksum(f(append([]byte(nil), body...)))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"version", edit(func(b []byte) []byte { b[8] = 2; return b }), "version 2"},
		{"count beyond data", edit(func(b []byte) []byte { b[12] = 100; return b }), "count 100"},
		{"truncated transaction", edit(func(b []byte) []byte { return b[:len(b)-3] }), "end of input"},
		{"trailing bytes", edit(func(b []byte) []byte { return append(b, 0) }), "trailing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeFile(tc.data)
			if !errors.Is(err, ErrDamagedFile) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decodeFile: %v, want ErrDamagedFile mentioning %q", err, tc.want)
			}
		})
	}
	if txs, err := decodeFile(good); err != nil || len(txs) != 1 {
		t.Fatalf("intact file: %d txs, %v", len(txs), err)
	}
}
