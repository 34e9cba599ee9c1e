package rpc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// backend is a test implementation of Backend with fixed answers.
type backend struct{}

func (backend) Status(context.Context) (*StatusResult, error) {
	return &StatusResult{Network: "regtest", Height: 7}, nil
}
func (backend) Generate(_ context.Context, r GenerateRequest) (*GenerateResult, error) {
	if r.N <= 0 {
		return nil, BadRequest("n must be positive")
	}
	return &GenerateResult{Blocks: make([]string, r.N)}, nil
}
func (backend) Block(_ context.Context, id string) (*BlockResult, error) {
	if id != "1" {
		return nil, NotFound("block %s not found", id)
	}
	return &BlockResult{Height: 1}, nil
}
func (backend) Tx(context.Context, string) (*TxResult, error) { return nil, NotFound("no such tx") }
func (backend) Peers(context.Context) (*PeersResult, error) {
	return &PeersResult{Peers: []PeerResult{}}, nil
}
func (backend) SendRaw(_ context.Context, r SendRawRequest) (*SendRawResult, error) {
	return &SendRawResult{TxID: r.Hex}, nil
}
func (backend) Scan(context.Context, ScanRequest) (*ScanResult, error) { return &ScanResult{}, nil }
func (backend) FeeRate(context.Context) (*FeeRateResult, error) {
	return &FeeRateResult{FeeRate: 1, MinFeeRate: 1}, nil
}
func (backend) Metrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ledger_chain_height 7\n") })
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func server(t *testing.T) (*httptest.Server, *Client) {
	srv := httptest.NewServer(NewHandler(backend{}, "secret", quiet))
	t.Cleanup(srv.Close)
	return srv, NewClient(srv.URL, "secret")
}

func do(t *testing.T, method, url, body, password string) (int, string) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if password != "" {
		req.SetBasicAuth(CookieUser, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuthenticationAndErrors(t *testing.T) {
	srv, _ := server(t)
	for _, tc := range []struct {
		name, method, path, body, password string
		status                             int
	}{
		{"no cookie", "GET", PathStatus, "", "", 401},
		{"wrong cookie", "GET", PathStatus, "", "nope", 401},
		{"metrics need the cookie too", "GET", PathMetrics, "", "", 401},
		{"malformed JSON", "POST", PathSendRaw, "{not json", "secret", 400},
		{"unknown field", "POST", PathGenerate, `{"n":1,"to":"x","extra":1}`, "secret", 400},
		{"trailing data", "POST", PathGenerate, `{"n":1,"to":"x"} {}`, "secret", 400},
		{"body over 1 MiB", "POST", PathSendRaw, `{"hex":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, "secret", 413},
		{"unknown path", "GET", "/v1/nothing", "", "secret", 404},
		{"wrong method", "POST", PathStatus, "", "secret", 405},
		{"backend not found", "GET", PathBlock + "2", "", "secret", 404},
		{"backend bad request", "POST", PathGenerate, `{"n":0,"to":"x"}`, "secret", 400},
		{"ok", "GET", PathStatus, "", "secret", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, tc.method, srv.URL+tc.path, tc.body, tc.password)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if status >= 400 && !strings.Contains(body, `"error"`) {
				t.Fatalf("error without a JSON error body: %s", body)
			}
		})
	}
}

func TestClientRoundTrips(t *testing.T) {
	_, c := server(t)
	ctx := context.Background()
	if st, err := c.Status(ctx); err != nil || st.Height != 7 {
		t.Fatalf("status: %+v %v", st, err)
	}
	if g, err := c.Generate(ctx, GenerateRequest{N: 3, To: "x"}); err != nil || len(g.Blocks) != 3 {
		t.Fatalf("generate: %v", err)
	}
	_, err := c.Block(ctx, "9")
	var re *Error
	if !errors.As(err, &re) || re.Status != 404 || re.Code != "not_found" {
		t.Fatalf("not found: %v", err)
	}
	if r, err := c.SendRaw(ctx, SendRawRequest{Hex: "ab"}); err != nil || r.TxID != "ab" {
		t.Fatalf("send raw: %v", err)
	}
	unreachable := NewClient("http://127.0.0.1:1", "x")
	if _, err := unreachable.Status(ctx); err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("unreachable node: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	// The limiter's clock is pinned, so no tokens refill however slowly the
	// requests run: exactly the burst passes, then every request is refused
	// until the clock moves.
	h := NewHandler(backend{}, "secret", quiet).(*handler)
	now := time.Unix(1_700_000_000, 0)
	h.now = func() time.Time { return now }
	h.limiter.AllowN(now, 0) // start the bucket full at the pinned time
	status := func() int {
		req := httptest.NewRequest("GET", PathStatus, nil)
		req.SetBasicAuth(CookieUser, "secret")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	passed := 0
	for i := 0; i < RateBurst+100; i++ {
		if status() == http.StatusOK {
			passed++
		}
	}
	if passed != RateBurst {
		t.Fatalf("%d requests passed a frozen clock, want the burst %d", passed, RateBurst)
	}
	now = now.Add(time.Second)
	if code := status(); code != http.StatusOK {
		t.Fatalf("after a second of refill: status %d", code)
	}
}

func TestServeListensOnLoopbackOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, _, err := Serve(ctx, "0.0.0.0:0", false, NewHandler(backend{}, "s", quiet)); err == nil {
		t.Fatal("served on all interfaces without --rpc-allow-remote")
	}
	ln, done, err := Serve(ctx, "127.0.0.1:0", false, NewHandler(backend{}, "s", quiet))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := NewClient("http://"+ln.Addr().String(), "s").Status(ctx); err != nil || st.Network != "regtest" {
		t.Fatalf("status over Serve: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestCookieFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rpc.cookie")
	pw, err := WriteCookie(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("cookie mode %v, want 0600", st.Mode().Perm())
	}
	if got, err := ReadCookie(path); err != nil || got != pw {
		t.Fatalf("read cookie: %q %v", got, err)
	}
	os.WriteFile(path, []byte(pw+"\n"), 0o600)
	if got, _ := ReadCookie(path); got != pw {
		t.Fatal("bare cookie not accepted")
	}
	os.WriteFile(path, []byte("a b:c"), 0o600)
	if _, err := ReadCookie(path); err == nil {
		t.Fatal("malformed cookie accepted")
	}
}

func FuzzHandlerBodies(f *testing.F) {
	h := NewHandler(backend{}, "secret", quiet)
	f.Add(PathSendRaw, []byte(`{"hex":"00"}`))
	f.Add(PathGenerate, []byte(`{"n":1,"to":"x"}`))
	f.Add(PathScan, []byte(`{"keys":["00"]}`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest("POST", "http://x"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth(CookieUser, "secret")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 || (w.Code >= 400 && !strings.Contains(w.Body.String(), `"error"`)) {
			t.Fatalf("%s %q: status %d body %q", path, body, w.Code, w.Body.String())
		}
	})
}
