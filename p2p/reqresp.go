package p2p

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	msmux "github.com/multiformats/go-multistream"
)

// Request/response framing: the requester writes a uvarint length and the
// request; the responder answers with a status byte (0 ok, 1 error), a
// uvarint length and the payload (or error text). One request per stream.
const (
	statusOK  = 0
	statusErr = 1

	// DefaultTimeout bounds a request whose context has no deadline.
	DefaultTimeout = 10 * time.Second
	// MaxInflightPerPeer bounds concurrent inbound requests from one peer.
	MaxInflightPerPeer = 8
	// maxErrorText bounds an error response.
	maxErrorText = 1024
	// oversizePenalty is what a malformed or oversize request costs a peer.
	oversizePenalty = 20
)

// ErrRemote wraps an error message returned by the remote handler.
var ErrRemote = errors.New("remote error")

// ErrUnsupported reports a peer that does not speak the protocol: another
// network, or software that is not a node of this ledger.
var ErrUnsupported = errors.New("protocol not supported by peer")

// ErrTooLarge reports a message longer than the limit for its protocol.
var ErrTooLarge = errors.New("message above size limit")

// Handler answers one request.
type Handler func(ctx context.Context, from peer.ID, req []byte) ([]byte, error)

// Handle serves the protocol name (e.g. "headers/1") with fn; requests over
// maxRequest bytes are refused and their sender penalised.
func (h *Host) Handle(name string, maxRequest int, fn Handler) {
	h.h.SetStreamHandler(h.protocolID(name), func(s network.Stream) {
		defer s.Close()
		from := s.Conn().RemotePeer()
		if h.gater.isBanned(from) {
			s.Reset() // banned since the stream was opened: not served
			return
		}
		if !h.enter(from) {
			s.SetWriteDeadline(time.Now().Add(5 * time.Second))
			writeResponse(s, statusErr, []byte("too many requests in flight"))
			return
		}
		defer h.leave(from)
		s.SetReadDeadline(time.Now().Add(DefaultTimeout))
		req, err := readFrame(bufio.NewReader(s), maxRequest)
		if err != nil {
			h.Penalize(from, oversizePenalty, fmt.Sprintf("bad request on %s: %v", name, err))
			s.Reset()
			return
		}
		ctx, cancel := context.WithTimeout(h.ctx, DefaultTimeout)
		resp, herr := fn(ctx, from, req)
		cancel()
		s.SetWriteDeadline(time.Now().Add(DefaultTimeout))
		if herr != nil {
			msg := herr.Error()
			if len(msg) > maxErrorText {
				msg = msg[:maxErrorText]
			}
			writeResponse(s, statusErr, []byte(msg))
			return
		}
		if err := writeResponse(s, statusOK, resp); err != nil {
			h.log.Debug("write response", "protocol", name, "peer", from, "err", err)
		}
	})
}

func (h *Host) enter(id peer.ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inflight[id] >= MaxInflightPerPeer {
		return false
	}
	h.inflight[id]++
	return true
}

func (h *Host) leave(id peer.ID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.inflight[id]--; h.inflight[id] <= 0 {
		delete(h.inflight, id)
	}
}

// Request sends req to a connected peer on protocol name and returns the
// response, refusing one over maxResponse bytes. It does not dial: a peer
// that is not connected gets an error. Dialling is left to Connect, the
// address book and peer exchange, which honour removals; a request made
// late, after RemovePeer closed the connection, would otherwise open a new
// one that nothing closes.
func (h *Host) Request(ctx context.Context, id peer.ID, name string, req []byte, maxResponse int) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	s, err := h.h.NewStream(network.WithNoDial(ctx, "requests go to connected peers"), id, h.protocolID(name))
	if err != nil {
		var unsupported msmux.ErrNotSupported[protocol.ID]
		if errors.As(err, &unsupported) {
			return nil, fmt.Errorf("%s to %s: %w", name, id, ErrUnsupported)
		}
		return nil, fmt.Errorf("%s to %s: open stream: %w", name, id, err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	frame := binary.AppendUvarint(nil, uint64(len(req)))
	if _, err := s.Write(append(frame, req...)); err != nil {
		s.Reset()
		return nil, fmt.Errorf("%s to %s: write: %w", name, id, err)
	}
	s.CloseWrite()
	r := bufio.NewReader(s)
	status, err := r.ReadByte()
	if err != nil {
		s.Reset()
		return nil, fmt.Errorf("%s to %s: read: %w", name, id, err)
	}
	limit := maxResponse
	if status != statusOK {
		limit = maxErrorText
	}
	payload, err := readFrame(r, limit)
	if err != nil {
		s.Reset()
		if errors.Is(err, ErrTooLarge) {
			h.Penalize(id, oversizePenalty, fmt.Sprintf("oversize response on %s", name))
		}
		return nil, fmt.Errorf("%s to %s: %w", name, id, err)
	}
	if status != statusOK {
		return nil, fmt.Errorf("%s to %s: %w: %s", name, id, ErrRemote, payload)
	}
	return payload, nil
}

// readFrame reads a uvarint length (at most max) and that many bytes.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("read length: %w", err)
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read %d bytes: %w", n, err)
	}
	return buf, nil
}

func writeResponse(w io.Writer, status byte, payload []byte) error {
	b := append([]byte{status}, binary.AppendUvarint(nil, uint64(len(payload)))...)
	_, err := w.Write(append(b, payload...))
	return err
}
