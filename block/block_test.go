package block_test

import (
	"bytes"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
)

func sampleBlock() *block.Block {
	p := chaincfg.Regtest
	return chaintest.Builder{Params: p, Miner: chaintest.NewKey(1)}.Next(p.Genesis().Header, 1, 0)
}

func TestHeaderLayoutPutsTheNonceLast(t *testing.T) {
	h := sampleBlock().Header
	enc := h.Encode()
	h.Nonce++
	enc2 := h.Encode()
	if !bytes.Equal(enc[:block.NonceOffset], enc2[:block.NonceOffset]) || bytes.Equal(enc[block.NonceOffset:], enc2[block.NonceOffset:]) {
		t.Fatal("changing the nonce must change only the last four bytes")
	}
}

func TestBlockRoundTrip(t *testing.T) {
	b := sampleBlock()
	enc := b.Encode()
	if len(enc) != b.Size() {
		t.Fatalf("Size %d, encoding %d", b.Size(), len(enc))
	}
	got, err := block.Decode(enc)
	if err != nil || got.Hash() != b.Hash() || !bytes.Equal(got.Encode(), enc) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := block.DecodeHeader(enc[:block.HeaderSize-1]); err == nil {
		t.Fatal("short header accepted")
	}
}

func FuzzDecodeBlock(f *testing.F) {
	f.Add(sampleBlock().Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := block.Decode(data)
		if err != nil {
			return
		}
		if !bytes.Equal(b.Encode(), data) {
			t.Fatal("decoded block does not re-encode to its input")
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	enc := sampleBlock().Header.Encode()
	f.Add(enc[:])
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := block.DecodeHeader(data)
		if err != nil {
			return
		}
		if again := h.Encode(); !bytes.Equal(again[:], data) {
			t.Fatal("decoded header does not re-encode to its input")
		}
	})
}
