package rpc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Server limits.
const (
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes = 1 << 20
	// RateLimit and RateBurst bound requests per second across all clients.
	RateLimit = 200
	RateBurst = 400
)

// handler routes requests to a Backend behind cookie authentication.
type handler struct {
	b       Backend
	cookie  []byte
	log     *slog.Logger
	limiter *rate.Limiter
	// now is the limiter's clock (time.Now; tests pin it).
	now func() time.Time
	mux *http.ServeMux
}

// NewHandler returns the RPC's HTTP handler: every request must carry basic
// auth with CookieUser and the cookie password.
func NewHandler(b Backend, cookie string, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	h := &handler{b: b, cookie: []byte(cookie), log: logger, limiter: rate.NewLimiter(RateLimit, RateBurst), now: time.Now, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+PathStatus, h.status)
	h.mux.HandleFunc("POST "+PathGenerate, h.generate)
	h.mux.HandleFunc("GET "+PathBlock+"{id}", h.block)
	h.mux.HandleFunc("GET "+PathTx+"{id}", h.tx)
	h.mux.HandleFunc("GET "+PathPeers, h.peers)
	h.mux.HandleFunc("POST "+PathSendRaw, h.sendRaw)
	h.mux.HandleFunc("POST "+PathScan, h.scan)
	h.mux.HandleFunc("GET "+PathFeeRate, h.feeRate)
	h.registerBans()
	h.mux.Handle("GET "+PathMetrics, b.Metrics())
	h.registerOps()
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != CookieUser || subtle.ConstantTimeCompare([]byte(pass), h.cookie) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="ledger"`)
		writeError(w, Errorf(http.StatusUnauthorized, "unauthorized", "missing or wrong rpc cookie: pass --datadir of the node, or --rpc-cookie"))
		return
	}
	if !h.limiter.AllowN(h.now(), 1) {
		writeError(w, Errorf(http.StatusTooManyRequests, "rate_limited", "too many requests; slow down"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	h.log.Debug("rpc request", "method", r.Method, "path", r.URL.Path)
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		if h.pathExists(r.URL.Path) {
			writeError(w, Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
		} else {
			writeError(w, NotFound("no such endpoint %s", r.URL.Path))
		}
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) pathExists(path string) bool {
	paths := []string{PathStatus, PathGenerate, PathPeers, PathSendRaw, PathScan, PathFeeRate, PathMetrics}
	if _, ok := h.b.(OpsBackend); ok {
		paths = append(paths, opsPaths...)
	}
	for _, p := range paths {
		if path == p {
			return true
		}
	}
	return strings.HasPrefix(path, PathBlock) || strings.HasPrefix(path, PathTx) || isBanPath(path)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, ErrorBody{Error: *e})
}

// reply writes v, or the error as the right status.
func reply(w http.ResponseWriter, v any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, v)
		return
	}
	var re *Error
	if errors.As(err, &re) {
		writeError(w, re)
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeError(w, Errorf(http.StatusServiceUnavailable, "cancelled", "%v", err))
		return
	}
	writeError(w, Errorf(http.StatusInternalServerError, "internal", "%v", err))
}

// decode reads a JSON body strictly into v.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, Errorf(http.StatusRequestEntityTooLarge, "too_large", "request body over %d bytes", MaxBodyBytes))
			return false
		}
		writeError(w, BadRequest("malformed JSON body: %v", err))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, BadRequest("malformed JSON body: trailing data"))
		return false
	}
	return true
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	res, err := h.b.Status(r.Context())
	reply(w, res, err)
}

func (h *handler) generate(w http.ResponseWriter, r *http.Request) {
	var req GenerateRequest
	if decode(w, r, &req) {
		res, err := h.b.Generate(r.Context(), req)
		reply(w, res, err)
	}
}

func (h *handler) block(w http.ResponseWriter, r *http.Request) {
	res, err := h.b.Block(r.Context(), r.PathValue("id"))
	reply(w, res, err)
}

func (h *handler) tx(w http.ResponseWriter, r *http.Request) {
	res, err := h.b.Tx(r.Context(), r.PathValue("id"))
	reply(w, res, err)
}

func (h *handler) peers(w http.ResponseWriter, r *http.Request) {
	res, err := h.b.Peers(r.Context())
	reply(w, res, err)
}

func (h *handler) sendRaw(w http.ResponseWriter, r *http.Request) {
	var req SendRawRequest
	if decode(w, r, &req) {
		res, err := h.b.SendRaw(r.Context(), req)
		reply(w, res, err)
	}
}

func (h *handler) scan(w http.ResponseWriter, r *http.Request) {
	var req ScanRequest
	if decode(w, r, &req) {
		res, err := h.b.Scan(r.Context(), req)
		reply(w, res, err)
	}
}

func (h *handler) feeRate(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("target") {
		h.feeEstimate(w, r)
		return
	}
	res, err := h.b.FeeRate(r.Context())
	reply(w, res, err)
}

// Serve listens on addr and serves h until ctx ends, then shuts down
// gracefully. A host other than loopback is refused unless allowRemote. It
// returns the listener (whose address has the real port when addr asked for
// port 0) and a channel that yields once the server has stopped.
func Serve(ctx context.Context, addr string, allowRemote bool, h http.Handler) (net.Listener, <-chan error, error) {
	return ServeOn(ctx, Listen{Addr: addr, AllowRemote: allowRemote, What: "rpc", AllowFlag: "--rpc-allow-remote", AddrFlag: "--rpc HOST:PORT"}, h)
}

// Listen says where ServeOn listens and how its errors name the flags.
type Listen struct {
	Addr        string
	AllowRemote bool
	// What names the listener in errors ("rpc", "metrics").
	What string
	// AllowFlag and AddrFlag are the flags that allow a remote address and set the address.
	AllowFlag, AddrFlag string
}

// ServeOn is Serve for any HTTP listener of the node.
func ServeOn(ctx context.Context, l Listen, h http.Handler) (net.Listener, <-chan error, error) {
	host, _, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s address %q: want host:port: %w", l.What, l.Addr, err)
	}
	if !l.AllowRemote && !isLoopback(host) {
		return nil, nil, fmt.Errorf("%s address %q is not loopback; it listens on loopback only: pass %s to listen there", l.What, l.Addr, l.AllowFlag)
	}
	ln, err := net.Listen("tcp", l.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, nil, fmt.Errorf("%s address %s is already in use (another node running?); pass %s with a free port, or port 0 to pick one", l.What, l.Addr, l.AddrFlag)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s listen on %s: %w", l.What, l.Addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	return ln, done, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
