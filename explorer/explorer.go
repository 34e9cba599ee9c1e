package explorer

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Prefix is the path the explorer is served under.
const Prefix = "/explorer/"

// Default request limits: pages need no cookie, so clients are held to a
// shared rate and a bounded number of event streams.
const (
	DefaultRateLimit  = 100 // requests per second
	DefaultRateBurst  = 200
	DefaultMaxStreams = 32
)

// contentSecurityPolicy allows only the node itself: no inline script or
// style, no outside requests; images may also be data: URLs.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// Config is what New needs.
type Config struct {
	Source
	// Logger receives request errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock for ages and durations (default time.Now).
	Now func() time.Time
	// RateLimit and RateBurst bound requests per second across all clients
	// (0: DefaultRateLimit, DefaultRateBurst).
	RateLimit rate.Limit
	RateBurst int
	// MaxStreams bounds the event streams open at once (0: DefaultMaxStreams).
	MaxStreams int
}

// Explorer serves the explorer's pages; it is an http.Handler for Prefix.
type Explorer struct {
	src     Source
	log     *slog.Logger
	now     func() time.Time
	pages   *pages
	mux     *http.ServeMux
	limiter *rate.Limiter
	streams chan struct{}
}

// New returns an explorer reading cfg's source.
func New(cfg Config) (*Explorer, error) {
	if cfg.Chain == nil || cfg.Mempool == nil || cfg.Node == nil || cfg.Events == nil {
		return nil, errors.New("explorer: the chain, mempool, node and event bus are all required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	p, err := loadPages()
	if err != nil {
		return nil, fmt.Errorf("explorer: %w", err)
	}
	e := &Explorer{src: cfg.Source, log: cfg.Logger, now: cfg.Now, pages: p, mux: http.NewServeMux(),
		limiter: rate.NewLimiter(cfg.RateLimit, cfg.RateBurst), streams: make(chan struct{}, cfg.MaxStreams)}
	e.routes()
	return e, nil
}

func (e *Explorer) routes() {
	e.mux.HandleFunc("GET "+Prefix+"{$}", e.home)
	e.mux.HandleFunc("GET "+Prefix+"block/{id}", e.block)
	e.mux.HandleFunc("GET "+Prefix+"tx/{id}", e.tx)
	e.mux.HandleFunc("GET "+Prefix+"address/{addr}", e.address)
	e.mux.HandleFunc("GET "+Prefix+"mempool", e.mempool)
	e.mux.HandleFunc("GET "+Prefix+"peers", e.peers)
	e.mux.HandleFunc("GET "+Prefix+"search", e.search)
	e.mux.HandleFunc("GET "+Prefix+"events", e.events)
	e.mux.HandleFunc("GET "+Prefix+"static/{name}", e.static)
	e.mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		e.fail(w, r, notFound("There is no page at %s.", r.URL.Path))
	})
}

// ServeHTTP sets the security headers every response carries, applies the
// rate limit, refuses methods other than GET and HEAD, and turns a panic
// into a plain 500 page.
func (e *Explorer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			e.log.Error("explorer handler panicked", "path", r.URL.Path, "panic", v)
			e.fail(w, r, internalError())
		}
	}()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		e.fail(w, r, &pageError{Status: http.StatusMethodNotAllowed, Title: "Method not allowed",
			Message: "The explorer is read-only: it answers GET requests only."})
		return
	}
	if !e.limiter.Allow() {
		h.Set("Retry-After", "1")
		e.fail(w, r, &pageError{Status: http.StatusTooManyRequests, Title: "Too many requests",
			Message: "The explorer is answering too many requests; try again in a moment."})
		return
	}
	e.mux.ServeHTTP(w, r)
}
