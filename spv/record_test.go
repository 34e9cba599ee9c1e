package spv

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
)

func sampleRecord(path string) *record {
	cb := chaintest.Coinbase(1, chaintest.NewKey(1).Pub, 5)
	return &record{path: path,
		chain: []scanned{{Hash: chainhash.Hash{1}, FilterHeader: chainhash.Hash{2}}, {Hash: chainhash.Hash{3}, FilterHeader: chainhash.Hash{4}}},
		txs:   []walletTx{{Height: 1, Block: chainhash.Hash{3}, Position: 0, Tx: cb}}}
}

func TestRecordRoundTripAndDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet-regtest.dat")
	if r, err := loadRecord(path); err != nil || len(r.chain) != 0 {
		t.Fatalf("missing record: %+v %v", r, err)
	}
	want := sampleRecord(path)
	if err := want.save(); err != nil {
		t.Fatal(err)
	}
	got, err := loadRecord(path)
	if err != nil || len(got.chain) != 2 || got.chain[1] != want.chain[1] || len(got.txs) != 1 || got.txs[0].Tx.ID() != want.txs[0].Tx.ID() {
		t.Fatalf("reloaded %+v %v", got, err)
	}
	raw, _ := os.ReadFile(path)
	raw[10] ^= 1
	os.WriteFile(path, raw, 0o600)
	if _, err := loadRecord(path); err == nil || !strings.Contains(err.Error(), "delete it to rescan") {
		t.Fatalf("damaged record: %v", err)
	}
	got.rollback(0)
	if len(got.chain) != 1 || len(got.txs) != 0 {
		t.Fatalf("after rollback to 0: %+v", got)
	}
}

func FuzzRecordDecode(f *testing.F) {
	enc := sampleRecord("").encode()
	f.Add(enc[:len(enc)-4])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		// The checksum is appended so that the fuzzer explores the body.
		data := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli))
		r := &record{}
		if r.decode(data) != nil {
			return
		}
		for _, x := range r.txs {
			if x.Height >= uint64(len(r.chain)) {
				t.Fatalf("accepted a transaction above the record's chain")
			}
		}
	})
}
