package netproto

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/merkle"
)

func TestRoundTrips(t *testing.T) {
	st := &Status{Network: "regtest", Genesis: chainhash.Hash{1}, Height: 9, Tip: chainhash.Hash{2}, Work: big.NewInt(1234)}
	got, err := DecodeStatus(st.Encode())
	if err != nil || got.Network != st.Network || got.Height != 9 || got.Work.Cmp(st.Work) != 0 || got.Tip != st.Tip {
		t.Fatalf("status: %+v %v", got, err)
	}
	q := &HeadersRequest{Locator: []chainhash.Hash{{1}, {2}}, Stop: chainhash.Hash{3}, Max: 7}
	if gq, err := DecodeHeadersRequest(q.Encode()); err != nil || len(gq.Locator) != 2 || gq.Max != 7 || gq.Stop != q.Stop {
		t.Fatalf("headers request: %+v %v", gq, err)
	}
	p := chaincfg.Regtest
	hs := []block.Header{p.Genesis().Header, p.Genesis().Header}
	if got, err := DecodeHeaders(EncodeHeaders(hs)); err != nil || len(got) != 2 || got[1] != hs[1] {
		t.Fatalf("headers: %v", err)
	}
	blobs := [][]byte{{1, 2}, nil, {3}}
	if got, err := DecodeBlobs(EncodeBlobs(blobs), 3, 10); err != nil || len(got) != 3 || !bytes.Equal(got[0], blobs[0]) {
		t.Fatalf("blobs: %v", err)
	}
	if _, err := DecodeBlobs(EncodeBlobs(blobs), 2, 10); err == nil {
		t.Fatal("more blobs than allowed accepted")
	}
	cb := chaintest.Coinbase(1, chaintest.NewKey(1).Pub, 5)
	proof, _ := merkle.BuildProof([]chainhash.Hash{cb.FullHash()}, 0)
	enc, _ := (&TxProof{Tx: cb, Block: chainhash.Hash{4}, Proof: proof}).Encode()
	if got, err := DecodeTxProof(enc); err != nil || got.Tx.ID() != cb.ID() || got.Block != (chainhash.Hash{4}) {
		t.Fatalf("tx proof: %v", err)
	}
}

func fuzzNoPanic(f *testing.F, seed []byte, decode func([]byte) error) {
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) { decode(data) })
}

func FuzzDecodeStatus(f *testing.F) {
	st := &Status{Network: "regtest", Work: big.NewInt(5)}
	fuzzNoPanic(f, st.Encode(), func(b []byte) error { _, err := DecodeStatus(b); return err })
}

func FuzzDecodeHeadersRequest(f *testing.F) {
	q := &HeadersRequest{Locator: []chainhash.Hash{{1}}}
	fuzzNoPanic(f, q.Encode(), func(b []byte) error { _, err := DecodeHeadersRequest(b); return err })
}

func FuzzDecodeHeaders(f *testing.F) {
	fuzzNoPanic(f, EncodeHeaders([]block.Header{chaincfg.Regtest.Genesis().Header}), func(b []byte) error { _, err := DecodeHeaders(b); return err })
}

func FuzzDecodeBlobs(f *testing.F) {
	fuzzNoPanic(f, EncodeBlobs([][]byte{{1}}), func(b []byte) error { _, err := DecodeBlobs(b, MaxBlocksPerReq, MaxBlockSize); return err })
}

func FuzzDecodeTxProof(f *testing.F) {
	cb := chaintest.Coinbase(1, [32]byte{}, 5)
	proof, _ := merkle.BuildProof([]chainhash.Hash{cb.FullHash()}, 0)
	enc, _ := (&TxProof{Tx: cb, Proof: proof}).Encode()
	fuzzNoPanic(f, enc, func(b []byte) error { _, err := DecodeTxProof(b); return err })
}

func FuzzDecodeHashes(f *testing.F) {
	fuzzNoPanic(f, EncodeHashes([]chainhash.Hash{{1}, {2}}), func(b []byte) error { _, err := DecodeHashes(b, MaxBlocksPerReq); return err })
}

func TestFilterMessagesRoundTrip(t *testing.T) {
	q := &FilterRequest{Start: 7, Stop: chainhash.Hash{3}}
	if got, err := DecodeFilterRequest(q.Encode()); err != nil || *got != *q {
		t.Fatalf("filter request: %+v %v", got, err)
	}
	fh := &FilterHeaders{Prev: chainhash.Hash{1}, Headers: []chainhash.Hash{{2}, {3}}}
	if got, err := DecodeFilterHeaders(fh.Encode()); err != nil || got.Prev != fh.Prev || len(got.Headers) != 2 || got.Headers[1] != fh.Headers[1] {
		t.Fatalf("filter headers: %+v %v", got, err)
	}
	fs := []BlockFilter{{Block: chainhash.Hash{4}, Filter: []byte{0}}, {Block: chainhash.Hash{5}, Filter: []byte{1, 2, 3}}}
	if got, err := DecodeFilters(EncodeFilters(fs)); err != nil || len(got) != 2 || got[1].Block != fs[1].Block || !bytes.Equal(got[1].Filter, fs[1].Filter) {
		t.Fatalf("filters: %+v %v", got, err)
	}
	tooMany := &FilterHeaders{Headers: make([]chainhash.Hash, MaxFilterHeaders+1)}
	if _, err := DecodeFilterHeaders(tooMany.Encode()); err == nil {
		t.Fatal("more filter headers than allowed accepted")
	}
	if _, err := DecodeFilters(EncodeFilters(make([]BlockFilter, MaxFiltersPerReq+1))); err == nil {
		t.Fatal("more filters than allowed accepted")
	}
	if _, err := DecodeFilterRequest(append(q.Encode(), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzDecodeFilterRequest(f *testing.F) {
	fuzzNoPanic(f, (&FilterRequest{Start: 1}).Encode(), func(b []byte) error { _, err := DecodeFilterRequest(b); return err })
}

func FuzzDecodeFilterHeaders(f *testing.F) {
	fuzzNoPanic(f, (&FilterHeaders{Headers: []chainhash.Hash{{1}}}).Encode(), func(b []byte) error { _, err := DecodeFilterHeaders(b); return err })
}

func FuzzDecodeFilters(f *testing.F) {
	fuzzNoPanic(f, EncodeFilters([]BlockFilter{{Filter: []byte{0}}}), func(b []byte) error { _, err := DecodeFilters(b); return err })
}
