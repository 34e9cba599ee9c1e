package netproto

import (
	"github.com/ledgerd/ledger/blockfilter"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wire"
)

// Protocols of compact block filters (package blockfilter).
const (
	// ProtoFilterHeaders answers a FilterRequest with FilterHeaders.
	ProtoFilterHeaders = "cfheaders/1"
	// ProtoFilters answers a FilterRequest with Filters.
	ProtoFilters = "cfilters/1"
)

// Limits on filter messages.
const (
	MaxFilterHeaders = 2000
	MaxFiltersPerReq = 1000
	// MaxFiltersBytes is the filter bytes a server puts in one answer before
	// it stops early; the client asks again for the rest.
	MaxFiltersBytes      = 2 << 20
	FilterRequestSize    = 8 + 32
	MaxFilterHeadersSize = 32 + 3 + MaxFilterHeaders*32
	MaxFiltersRespSize   = 3 + MaxFiltersPerReq*(32+5) + MaxFiltersBytes + blockfilter.MaxSize
)

// FilterRequest asks for the filters or filter headers of the blocks from
// height Start up to the block Stop, on Stop's branch.
type FilterRequest struct {
	Start uint64
	Stop  chainhash.Hash
}

// Encode returns the message bytes.
func (q *FilterRequest) Encode() []byte {
	return append(wire.AppendUint64(nil, q.Start), q.Stop[:]...)
}

// DecodeFilterRequest parses a FilterRequest.
func DecodeFilterRequest(data []byte) (*FilterRequest, error) {
	r := wire.NewReader(data)
	q := &FilterRequest{Start: r.Uint64(), Stop: r.Array32()}
	return q, done(r, "filter request")
}

// FilterHeaders answers a FilterRequest: the filter header of the block
// before Start (zeros for the genesis) and those of the blocks asked for.
type FilterHeaders struct {
	Prev    chainhash.Hash
	Headers []chainhash.Hash
}

// Encode returns the message bytes.
func (m *FilterHeaders) Encode() []byte {
	return appendHashes(append([]byte(nil), m.Prev[:]...), m.Headers)
}

// DecodeFilterHeaders parses a FilterHeaders.
func DecodeFilterHeaders(data []byte) (*FilterHeaders, error) {
	r := wire.NewReader(data)
	m := &FilterHeaders{Prev: r.Array32(), Headers: readHashes(r, MaxFilterHeaders)}
	return m, done(r, "filter headers")
}

// BlockFilter is one block's encoded filter.
type BlockFilter struct {
	Block  chainhash.Hash
	Filter []byte
}

// EncodeFilters encodes a filters answer: the filters of consecutive blocks
// from the request's Start, possibly fewer than asked for.
func EncodeFilters(fs []BlockFilter) []byte {
	b := wire.AppendVarint(nil, uint32(len(fs)))
	for _, f := range fs {
		b = wire.AppendBytes(append(b, f.Block[:]...), f.Filter)
	}
	return b
}

// DecodeFilters parses a filters answer.
func DecodeFilters(data []byte) ([]BlockFilter, error) {
	r := wire.NewReader(data)
	n := r.Count(MaxFiltersPerReq, 32+1+1)
	fs := make([]BlockFilter, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		fs = append(fs, BlockFilter{Block: r.Array32(), Filter: r.Bytes(blockfilter.MaxSize)})
	}
	return fs, done(r, "filters")
}
