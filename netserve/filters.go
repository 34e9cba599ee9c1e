package netserve

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
)

// registerFilters installs the compact-filter handlers on h.
func (s *Server) registerFilters(h *p2p.Host) {
	h.Handle(netproto.ProtoFilterHeaders, netproto.FilterRequestSize, s.filterHeaders)
	h.Handle(netproto.ProtoFilters, netproto.FilterRequestSize, s.filters)
}

// filterHeaders answers with the filter headers of a range of up to
// MaxFilterHeaders blocks ending at the request's stop block.
func (s *Server) filterHeaders(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	q, err := netproto.DecodeFilterRequest(req)
	if err != nil {
		return nil, err
	}
	prev, headers, err := s.Chain.FilterHeaders(q.Start, q.Stop, netproto.MaxFilterHeaders)
	if err != nil {
		return nil, err
	}
	return (&netproto.FilterHeaders{Prev: prev, Headers: headers}).Encode(), nil
}

// filters answers with the filters of the first blocks of a range of up to
// MaxFiltersPerReq blocks, as many as fit in MaxFiltersBytes.
func (s *Server) filters(ctx context.Context, from peer.ID, req []byte) ([]byte, error) {
	q, err := netproto.DecodeFilterRequest(req)
	if err != nil {
		return nil, err
	}
	hashes, filters, err := s.Chain.Filters(q.Start, q.Stop, netproto.MaxFiltersPerReq, netproto.MaxFiltersBytes)
	if err != nil {
		return nil, err
	}
	out := make([]netproto.BlockFilter, len(hashes))
	for i := range hashes {
		out[i] = netproto.BlockFilter{Block: hashes[i], Filter: filters[i]}
	}
	return netproto.EncodeFilters(out), nil
}
