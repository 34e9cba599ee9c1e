package rpc

import (
	"context"
	"net/http"
	"time"
)

// Paths of the ban commands (`node peers ban|unban|banned`).
const (
	PathBan    = "/v1/peers/ban"
	PathUnban  = "/v1/peers/unban"
	PathBanned = "/v1/peers/banned"
)

// DefaultBanDuration is how long an operator's ban lasts unless told otherwise.
const DefaultBanDuration = 24 * time.Hour

// MaxBanDuration bounds an operator's ban.
const MaxBanDuration = 10 * 365 * 24 * time.Hour

// BanRequest asks the node to refuse a peer ID, an IP address, a CIDR subnet
// or the IP of a multiaddr. DurationSeconds 0 means DefaultBanDuration.
type BanRequest struct {
	Target          string `json:"target"`
	DurationSeconds int64  `json:"duration_seconds,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// BanResult answers `node peers ban`: the target in canonical form and when
// the ban ends (unix seconds).
type BanResult struct {
	Banned string `json:"banned"`
	Until  int64  `json:"until"`
}

// UnbanRequest asks the node to lift a ban.
type UnbanRequest struct {
	Target string `json:"target"`
}

// UnbanResult answers `node peers unban`.
type UnbanResult struct {
	Unbanned string `json:"unbanned"`
}

// BannedEntry is one ban in force.
type BannedEntry struct {
	Target string `json:"target"`
	Until  int64  `json:"until"`
	Reason string `json:"reason"`
}

// BannedResult answers `node peers banned`.
type BannedResult struct {
	Banned []BannedEntry `json:"banned"`
}

// BanBackend is the part of a Backend that manages the ban list.
type BanBackend interface {
	Ban(ctx context.Context, req BanRequest) (*BanResult, error)
	Unban(ctx context.Context, req UnbanRequest) (*UnbanResult, error)
	Banned(ctx context.Context) (*BannedResult, error)
}

// Duration returns the requested ban length, or a BadRequest error.
func (r BanRequest) Duration() (time.Duration, error) {
	switch {
	case r.DurationSeconds == 0:
		return DefaultBanDuration, nil
	case r.DurationSeconds < 0:
		return 0, BadRequest("ban duration must be positive, got %d s", r.DurationSeconds)
	case r.DurationSeconds > int64(MaxBanDuration/time.Second):
		return 0, BadRequest("ban duration %d s is over the limit of %d s", r.DurationSeconds, int64(MaxBanDuration/time.Second))
	}
	return time.Duration(r.DurationSeconds) * time.Second, nil
}

func (h *handler) registerBans() {
	h.mux.HandleFunc("POST "+PathBan, h.ban)
	h.mux.HandleFunc("POST "+PathUnban, h.unban)
	h.mux.HandleFunc("GET "+PathBanned, h.banned)
}

func isBanPath(path string) bool {
	return path == PathBan || path == PathUnban || path == PathBanned
}

func (h *handler) ban(w http.ResponseWriter, r *http.Request) {
	var req BanRequest
	if decode(w, r, &req) {
		res, err := h.b.Ban(r.Context(), req)
		reply(w, res, err)
	}
}

func (h *handler) unban(w http.ResponseWriter, r *http.Request) {
	var req UnbanRequest
	if decode(w, r, &req) {
		res, err := h.b.Unban(r.Context(), req)
		reply(w, res, err)
	}
}

func (h *handler) banned(w http.ResponseWriter, r *http.Request) {
	res, err := h.b.Banned(r.Context())
	reply(w, res, err)
}

// Ban asks the node to ban a target.
func (c *Client) Ban(ctx context.Context, req BanRequest) (*BanResult, error) {
	var out BanResult
	return &out, c.do(ctx, http.MethodPost, PathBan, req, &out, DefaultTimeout)
}

// Unban asks the node to lift a ban.
func (c *Client) Unban(ctx context.Context, req UnbanRequest) (*UnbanResult, error) {
	var out UnbanResult
	return &out, c.do(ctx, http.MethodPost, PathUnban, req, &out, DefaultTimeout)
}

// Banned lists the node's bans in force.
func (c *Client) Banned(ctx context.Context) (*BannedResult, error) {
	var out BannedResult
	return &out, c.do(ctx, http.MethodGet, PathBanned, nil, &out, DefaultTimeout)
}
