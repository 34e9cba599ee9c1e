package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ledgerd/ledger/events"
)

// Operator paths.
const (
	PathStop       = "/v1/stop"
	PathMempool    = "/v1/mempool"
	PathPeerAdd    = "/v1/peers/add"
	PathPeerRemove = "/v1/peers/remove"
	PathEvents     = "/v1/events"
)

var opsPaths = []string{PathStop, PathMempool, PathPeerAdd, PathPeerRemove, PathEvents}

// StopResult answers `node stop`.
type StopResult struct {
	Stopping bool `json:"stopping"`
}

// MempoolEntry is one transaction of `node mempool`.
type MempoolEntry struct {
	TxID string `json:"txid"`
	// FeeRate is in units per byte.
	FeeRate float64 `json:"fee_rate"`
	Fee     int64   `json:"fee"`
	Size    int     `json:"size"`
}

// MempoolResult answers `node mempool`, highest fee rate first.
type MempoolResult struct {
	Count int            `json:"count"`
	Bytes int            `json:"bytes"`
	Txs   []MempoolEntry `json:"txs"`
}

// PeerRequest names a peer to add (a full multiaddr ending in /p2p/ID) or
// remove (that, or the bare peer ID).
type PeerRequest struct {
	Addr string `json:"addr"`
}

// PeerChangeResult answers `node peers add|remove`.
type PeerChangeResult struct {
	ID        string `json:"id"`
	Connected bool   `json:"connected"`
	// Saved tells whether the peer is in the address book afterwards.
	Saved bool `json:"saved"`
}

// OpsBackend is the operator part of a Backend: stopping the node, listing
// the mempool, adding and removing peers and streaming events. A Backend
// that implements it gets the operator endpoints.
type OpsBackend interface {
	Stop(ctx context.Context) (*StopResult, error)
	Mempool(ctx context.Context) (*MempoolResult, error)
	AddPeer(ctx context.Context, req PeerRequest) (*PeerChangeResult, error)
	RemovePeer(ctx context.Context, req PeerRequest) (*PeerChangeResult, error)
	// Subscribe opens a subscription to the node's events; it is closed
	// when the node stops.
	Subscribe(ctx context.Context) (*events.Sub, error)
}

func (h *handler) registerOps() {
	ops, ok := h.b.(OpsBackend)
	if !ok {
		return
	}
	h.mux.HandleFunc("POST "+PathStop, func(w http.ResponseWriter, r *http.Request) {
		res, err := ops.Stop(r.Context())
		reply(w, res, err)
	})
	h.mux.HandleFunc("GET "+PathMempool, func(w http.ResponseWriter, r *http.Request) {
		res, err := ops.Mempool(r.Context())
		reply(w, res, err)
	})
	h.mux.HandleFunc("POST "+PathPeerAdd, func(w http.ResponseWriter, r *http.Request) {
		var req PeerRequest
		if decode(w, r, &req) {
			res, err := ops.AddPeer(r.Context(), req)
			reply(w, res, err)
		}
	})
	h.mux.HandleFunc("POST "+PathPeerRemove, func(w http.ResponseWriter, r *http.Request) {
		var req PeerRequest
		if decode(w, r, &req) {
			res, err := ops.RemovePeer(r.Context(), req)
			reply(w, res, err)
		}
	})
	h.mux.HandleFunc("GET "+PathEvents, func(w http.ResponseWriter, r *http.Request) { serveEvents(w, r, ops) })
}

// serveEvents streams events as server-sent events: one `data: {json}`
// record per event, until the client goes or the node stops.
func serveEvents(w http.ResponseWriter, r *http.Request, ops OpsBackend) {
	if _, ok := w.(http.Flusher); !ok {
		writeError(w, Errorf(http.StatusInternalServerError, "internal", "streaming unsupported"))
		return
	}
	sub, err := ops.Subscribe(r.Context())
	if err != nil {
		reply(w, nil, err)
		return
	}
	defer sub.Close()
	events.ServeStream(w, r, sub, nil)
}

// Stop asks the node to shut down cleanly.
func (c *Client) Stop(ctx context.Context) (*StopResult, error) {
	var out StopResult
	return &out, c.do(ctx, http.MethodPost, PathStop, struct{}{}, &out, DefaultTimeout)
}

// Mempool lists the node's mempool.
func (c *Client) Mempool(ctx context.Context) (*MempoolResult, error) {
	var out MempoolResult
	return &out, c.do(ctx, http.MethodGet, PathMempool, nil, &out, DefaultTimeout)
}

// AddPeer connects to a peer and keeps it in the address book.
func (c *Client) AddPeer(ctx context.Context, addr string) (*PeerChangeResult, error) {
	var out PeerChangeResult
	return &out, c.do(ctx, http.MethodPost, PathPeerAdd, PeerRequest{Addr: addr}, &out, DefaultTimeout)
}

// RemovePeer disconnects a peer and drops it from the address book.
func (c *Client) RemovePeer(ctx context.Context, addr string) (*PeerChangeResult, error) {
	var out PeerChangeResult
	return &out, c.do(ctx, http.MethodPost, PathPeerRemove, PeerRequest{Addr: addr}, &out, DefaultTimeout)
}

// Events streams the node's events to fn, one at a time, until ctx ends,
// the node stops (nil error) or fn returns an error.
func (c *Client) Events(ctx context.Context, fn func(json.RawMessage) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+PathEvents, nil)
	if err != nil {
		return fmt.Errorf("rpc request: %w", err)
	}
	req.SetBasicAuth(CookieUser, c.Password)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("node not reachable at %s (is it running?): %w", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var eb ErrorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			eb.Error.Status = resp.StatusCode
			return &eb.Error
		}
		return &Error{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode), Message: strings.TrimSpace(string(data))}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if err := fn(json.RawMessage(data)); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}
