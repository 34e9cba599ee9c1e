package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// getNoAuth fetches url with no credentials and returns the status, a header and the body.
func getNoAuth(t *testing.T, url, header string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get(header), string(body)
}

// TestExplorerFromLedgerConf: `explorer = true` in ledger.conf serves the
// explorer on the RPC address without the cookie, named in node.json,
// while the RPC itself still needs the cookie.
func TestExplorerFromLedgerConf(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".ledger", "regtest")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := "p2p = [\"/ip4/127.0.0.1/tcp/0\"]\nrpc = \"127.0.0.1:0\"\nexplorer = true\n"
	if err := os.WriteFile(filepath.Join(dir, "ledger.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, info, logf := startInHome(t, home)
	if info.ExplorerURL != info.RPCURL+"/explorer/" {
		t.Fatalf("node.json explorer_url %q, rpc_url %q", info.ExplorerURL, info.RPCURL)
	}
	status, csp, body := getNoAuth(t, info.ExplorerURL, "Content-Security-Policy")
	if status != http.StatusOK || !strings.HasPrefix(csp, "default-src 'self'") || !strings.Contains(body, `id="tip-height">0<`) {
		t.Fatalf("explorer home: status %d, CSP %q, body:\n%s", status, csp, body)
	}
	if status, ct, _ := getNoAuth(t, info.RPCURL+"/explorer/static/explorer.js", "Content-Type"); status != http.StatusOK || !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("explorer script: status %d, content type %q", status, ct)
	}
	if status, _, _ := getNoAuth(t, info.RPCURL+"/v1/status", ""); status != http.StatusUnauthorized {
		t.Fatalf("RPC without the cookie beside the explorer: status %d, want 401", status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		log, _ := os.ReadFile(logf.Name())
		t.Fatalf("node exit: %v\n%s", err, log)
	}
}

// TestExplorerOffByDefault: without --explorer, /explorer/ is an RPC path
// like any other, behind the cookie.
func TestExplorerOffByDefault(t *testing.T) {
	n := startNode(t, "n1")
	if n.info.ExplorerURL != "" {
		t.Fatalf("explorer_url %q without --explorer", n.info.ExplorerURL)
	}
	if status, _, _ := getNoAuth(t, n.info.RPCURL+"/explorer/", ""); status != http.StatusUnauthorized {
		t.Fatalf("/explorer/ without --explorer: status %d, want 401", status)
	}
}
