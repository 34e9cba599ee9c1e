package blockfilter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil/gcs"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

func pub(i int) (k [32]byte) {
	binary.BigEndian.PutUint32(k[:], uint32(i)+1)
	k[31] = 0xaa
	return k
}

// testBlock has a coinbase paying outputs keys and one spending tx per input.
func testBlock(outputs, inputs int) *block.Block {
	cb := &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: 7}}
	for i := 0; i < outputs; i++ {
		cb.Outputs = append(cb.Outputs, tx.TxOut{Amount: int64(i + 1), PubKey: pub(i)})
	}
	b := &block.Block{Txs: []*tx.Tx{cb}}
	for i := 0; i < inputs; i++ {
		b.Txs = append(b.Txs, &tx.Tx{Version: 1,
			Inputs:  []tx.TxIn{{Prev: tx.OutPoint{TxID: chainhash.Hash{byte(i), 1}, Index: uint32(i)}}},
			Outputs: []tx.TxOut{{Amount: 5, PubKey: pub(0)}}}) // pub(0) repeats: counted once
	}
	b.Header = block.Header{Version: 1, Prev: chainhash.Hash{9}, MerkleRoot: block.ComputeMerkleRoot(b.Txs), Time: 1}
	return b
}

// reference builds the filter straight from the definition with gcs.
func reference(t *testing.T, b *block.Block) []byte {
	t.Helper()
	set := map[string]bool{}
	for _, x := range b.Txs {
		for _, o := range x.Outputs {
			set[string(o.PubKey[:])] = true
		}
		for _, in := range x.Inputs {
			var e [36]byte
			copy(e[:], in.Prev.TxID[:])
			binary.LittleEndian.PutUint32(e[32:], in.Prev.Index)
			set[string(e[:])] = true
		}
	}
	var data [][]byte
	for e := range set {
		data = append(data, []byte(e))
	}
	h := b.Hash()
	var key [16]byte
	copy(key[:], h[16:])
	f, err := gcs.BuildGCSFilter(19, 784931, key, data)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := f.NBytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestFilterMatchesReferenceDefinition(t *testing.T) {
	for _, tc := range []struct {
		name            string
		outputs, inputs int
		wantN           uint32
	}{
		{"no outputs", 0, 0, 0},
		{"one output", 1, 0, 1},
		{"many outputs and inputs", 300, 40, 340},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testBlock(tc.outputs, tc.inputs)
			got, err := Build(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(t, b); !bytes.Equal(got, want) {
				t.Fatalf("filter %x, reference %x", got, want)
			}
			f, err := Decode(b.Hash(), got)
			if err != nil {
				t.Fatal(err)
			}
			if f.N() != tc.wantN {
				t.Fatalf("N = %d, want %d", f.N(), tc.wantN)
			}
			for _, x := range b.Txs {
				for _, o := range x.Outputs {
					if ok, err := f.MatchAny([][]byte{KeyElement(o.PubKey)}); !ok || err != nil {
						t.Fatalf("output key %x not matched: %v", o.PubKey, err)
					}
				}
				for _, in := range x.Inputs {
					if ok, err := f.MatchAny([][]byte{OutPointElement(in.Prev)}); !ok || err != nil {
						t.Fatalf("outpoint %v not matched: %v", in.Prev, err)
					}
				}
			}
			if ok, _ := f.MatchAny([][]byte{KeyElement(pub(100000))}); ok {
				t.Fatal("a key the block does not pay matched (a 1-in-784931 chance)")
			}
		})
	}
}

func TestEmptyFilterIsOneZeroByte(t *testing.T) {
	got, err := Build(testBlock(0, 0))
	if err != nil || !bytes.Equal(got, []byte{0}) {
		t.Fatalf("empty filter %x %v", got, err)
	}
}

func TestHeaderChainsFilterHashes(t *testing.T) {
	f := []byte{1, 2, 3}
	h1 := Header(Hash(f), chainhash.Hash{})
	var buf []byte
	fh := Hash(f)
	buf = append(append(buf, fh[:]...), make([]byte, 32)...)
	if h1 != chainhash.DoubleSHA256(buf) {
		t.Fatal("header is not dhash(filter hash || prev)")
	}
	if Header(Hash(f), h1) == h1 || Header(Hash([]byte{1, 2, 4}), chainhash.Hash{}) == h1 {
		t.Fatal("header does not depend on its inputs")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, _ := Build(testBlock(3, 0))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"count too large for bits", append([]byte{200}, good[1:]...)},
		{"non-canonical count", append([]byte{0xfd, 3, 0}, good[1:]...)},
		{"truncated count", []byte{0xfe, 1}},
		{"count above 2^32", []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"empty filter with trailing bytes", []byte{0, 1}},
		{"oversized", make([]byte, MaxSize+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(chainhash.Hash{}, tc.data); !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode %x: err %v, want ErrMalformed", tc.data, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Build(testBlock(5, 2))
	f.Add(good)
	f.Add([]byte{0})
	f.Add([]byte{0xfd, 0xff, 0xff, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := Decode(chainhash.Hash{1}, data)
		if err != nil {
			return
		}
		if uint64(flt.N())*(P+1) > uint64(len(data))*8 {
			t.Fatalf("accepted %d elements in %d bytes", flt.N(), len(data))
		}
		flt.MatchAny([][]byte{KeyElement(pub(1)), OutPointElement(tx.OutPoint{Index: 1})})
	})
}
