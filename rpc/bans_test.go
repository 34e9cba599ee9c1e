package rpc

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The test backend's ban list: it knows target "203.0.113.7" only and
// refuses targets that do not look like addresses, as the node would.
func (backend) Ban(_ context.Context, r BanRequest) (*BanResult, error) {
	d, err := r.Duration()
	if err != nil {
		return nil, err
	}
	if !strings.ContainsAny(r.Target, ".:") {
		return nil, BadRequest("ban target %q is not an address", r.Target)
	}
	return &BanResult{Banned: r.Target, Until: 1_800_000_000 + int64(d/time.Second)}, nil
}

func (backend) Unban(_ context.Context, r UnbanRequest) (*UnbanResult, error) {
	if r.Target != "203.0.113.7" {
		return nil, NotFound("%s is not banned", r.Target)
	}
	return &UnbanResult{Unbanned: r.Target}, nil
}

func (backend) Banned(context.Context) (*BannedResult, error) {
	return &BannedResult{Banned: []BannedEntry{{Target: "203.0.113.7", Until: 1_800_086_400, Reason: "operator"}}}, nil
}

func TestBanEndpoints(t *testing.T) {
	srv, c := server(t)
	ctx := context.Background()
	b, err := c.Ban(ctx, BanRequest{Target: "203.0.113.7"})
	if err != nil || b.Banned != "203.0.113.7" || b.Until != 1_800_000_000+int64(DefaultBanDuration/time.Second) {
		t.Fatalf("ban with the default duration: %+v %v", b, err)
	}
	if b, err := c.Ban(ctx, BanRequest{Target: "203.0.113.7", DurationSeconds: 60}); err != nil || b.Until != 1_800_000_060 {
		t.Fatalf("ban for a minute: %+v %v", b, err)
	}
	if u, err := c.Unban(ctx, UnbanRequest{Target: "203.0.113.7"}); err != nil || u.Unbanned != "203.0.113.7" {
		t.Fatalf("unban: %+v %v", u, err)
	}
	if l, err := c.Banned(ctx); err != nil || len(l.Banned) != 1 || l.Banned[0].Reason != "operator" {
		t.Fatalf("banned: %+v %v", l, err)
	}
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
	}{
		{"bad target", func() error { _, err := c.Ban(ctx, BanRequest{Target: "nonsense"}); return err }, 400},
		{"negative duration", func() error { _, err := c.Ban(ctx, BanRequest{Target: "1.2.3.4", DurationSeconds: -1}); return err }, 400},
		{"endless duration", func() error {
			_, err := c.Ban(ctx, BanRequest{Target: "1.2.3.4", DurationSeconds: 1 << 62})
			return err
		}, 400},
		{"unban what is not banned", func() error { _, err := c.Unban(ctx, UnbanRequest{Target: "1.2.3.4"}); return err }, 404},
	} {
		var re *Error
		if err := tc.call(); !errors.As(err, &re) || re.Status != tc.status {
			t.Errorf("%s: %v, want status %d", tc.name, err, tc.status)
		}
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", PathBan, "", http.StatusMethodNotAllowed},
		{"POST", PathBanned, "", http.StatusMethodNotAllowed},
		{"POST", PathBan, `{"target":"1.2.3.4","forever":true}`, http.StatusBadRequest},
		{"POST", PathUnban, `{"target":`, http.StatusBadRequest},
		{"GET", PathBanned, "", http.StatusUnauthorized},
	} {
		password := "secret"
		if tc.status == http.StatusUnauthorized {
			password = ""
		}
		if status, body := do(t, tc.method, srv.URL+tc.path, tc.body, password); status != tc.status {
			t.Errorf("%s %s %s: status %d, want %d: %s", tc.method, tc.path, tc.body, status, tc.status, body)
		}
	}
}
