package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/node"
)

// homeEnv is the environment of a command run as a user whose home is home.
func homeEnv(home string) []string { return []string{"HOME=" + home, "LEDGER_HOME="} }

// startInHome runs `node run --network regtest` with no --datadir as a user
// whose home is home, and waits for its node.json in the default data directory.
func startInHome(t *testing.T, home string, extra ...string) (*exec.Cmd, node.Info, *os.File) {
	t.Helper()
	dir := filepath.Join(home, ".ledger", "regtest")
	os.Remove(filepath.Join(dir, node.InfoFile))
	logf, err := os.CreateTemp(t.TempDir(), "node-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "node"), append([]string{"run", "--network", "regtest"}, extra...)...)
	cmd.Env = append(os.Environ(), homeEnv(home)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	var info node.Info
	eventually(t, 30*time.Second, "node.json in the default data directory", func() bool {
		data, err := os.ReadFile(filepath.Join(dir, node.InfoFile))
		return err == nil && json.Unmarshal(data, &info) == nil && info.RPCURL != ""
	})
	return cmd, info, logf
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// scrape fetches a metrics page without any credentials and returns the value of series.
func scrape(t *testing.T, url, series string) (string, bool) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s without a cookie: status %d: %s", url, resp.StatusCode, body)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v, true
		}
	}
	return "", false
}

// TestOperatorDefaults runs a node the way an operator would: no --datadir,
// settings in ledger.conf, clients that find it by network alone, metrics
// without the cookie, events as they happen, and `node stop`.
func TestOperatorDefaults(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".ledger", "regtest")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p2pPort := freePort(t)
	notified := filepath.Join(t.TempDir(), "blocks.txt")
	conf := fmt.Sprintf(`# read by node run from the data directory
p2p = ["/ip4/127.0.0.1/tcp/%d"]
rpc = "127.0.0.1:0"
metrics = "127.0.0.1:0"
blocknotify = "echo %%s >> %s"
`, p2pPort, notified)
	if err := os.WriteFile(filepath.Join(dir, "ledger.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, info, logf := startInHome(t, home)
	env := homeEnv(home)

	// The config file was read: its metrics address and p2p port are in use.
	if info.MetricsURL == "" || !strings.Contains(info.P2PAddrs[0], fmt.Sprintf("/tcp/%d/", p2pPort)) {
		t.Fatalf("ledger.conf not applied: node.json %+v", info)
	}
	out, errOut, code := runCLI(t, env, "node", "status", "--network", "regtest")
	if code != 0 || !strings.Contains(out, `"network": "regtest"`) || !strings.Contains(out, `"verification_progress"`) {
		t.Fatalf("node status without --datadir: exit %d\n%s%s", code, out, errOut)
	}

	// A second node on the same data directory is refused with one line.
	_, errOut, code = runCLI(t, env, "node", "run", "--network", "regtest", "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0", "--metrics", "")
	if code != 1 || !strings.Contains(errOut, "in use") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("second node on the same datadir: exit %d, stderr %q", code, errOut)
	}
	// So is one on another data directory but the same p2p port.
	_, errOut, code = runCLI(t, env, "node", "run", "--network", "regtest", "--datadir", filepath.Join(t.TempDir(), "other"),
		"--p2p", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", p2pPort), "--rpc", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "already in use") || !strings.Contains(errOut, "p2p") {
		t.Fatalf("second node on the same p2p port: exit %d, stderr %q", code, errOut)
	}
	// And one on the same RPC port.
	rpcAddr := strings.TrimPrefix(info.RPCURL, "http://")
	_, errOut, code = runCLI(t, env, "node", "run", "--network", "regtest", "--datadir", filepath.Join(t.TempDir(), "other2"),
		"--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", rpcAddr)
	if code != 1 || !strings.Contains(errOut, "already in use") || !strings.Contains(errOut, "rpc") {
		t.Fatalf("second node on the same rpc port: exit %d, stderr %q", code, errOut)
	}

	// Metrics need no cookie.
	if v, ok := scrape(t, info.MetricsURL, "ledger_chain_height"); !ok || v != "0" {
		t.Fatalf("ledger_chain_height = %q (present %v), want 0", v, ok)
	}

	// A block event arrives within a second of generate.
	evCmd := exec.Command(filepath.Join(binDir, "node"), "events", "--network", "regtest")
	evCmd.Env = append(os.Environ(), env...)
	evOut, err := evCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := evCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { evCmd.Process.Kill(); evCmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(evOut)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	eventually(t, 10*time.Second, "the event stream to subscribe", func() bool {
		v, _ := scrape(t, info.MetricsURL, "ledger_event_subscribers")
		return v == "1"
	})
	out, errOut, code = runCLI(t, env, "node", "generate", "1", "--network", "regtest", "--to", addressOf(chaintest.NewKey(1)))
	generated := time.Now()
	if code != 0 {
		t.Fatalf("generate: exit %d %s", code, errOut)
	}
	var gen struct{ Blocks []string }
	if err := json.Unmarshal([]byte(out), &gen); err != nil || len(gen.Blocks) != 1 {
		t.Fatalf("generate output %q: %v", out, err)
	}
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("event stream ended")
		}
		var ev events.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type != "block" || ev.Hash != gen.Blocks[0] || ev.Height != 1 {
			t.Fatalf("event %q (%v), want the block %s at height 1", line, err, gen.Blocks[0])
		}
	case <-time.After(time.Second - time.Since(generated)):
		t.Fatal("no block event within 1 s of generate")
	}
	// --blocknotify (from ledger.conf) ran with the block's hash.
	eventually(t, 10*time.Second, "blocknotify to run", func() bool {
		data, _ := os.ReadFile(notified)
		return strings.TrimSpace(string(data)) == gen.Blocks[0]
	})

	// node stop shuts it down cleanly; the event stream ends with it.
	out, errOut, code = runCLI(t, env, "node", "stop", "--network", "regtest")
	if code != 0 || !strings.Contains(out, `"stopping": true`) {
		t.Fatalf("node stop: exit %d %s%s", code, out, errOut)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("node exited uncleanly after node stop: %v\n%s", err, log)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("node did not stop within 20 s of node stop")
	}
	if _, err := os.Stat(filepath.Join(dir, node.InfoFile)); !os.IsNotExist(err) {
		t.Fatalf("node.json left behind after stop: %v", err)
	}
}

// TestConfigAndNetworkErrors checks the one-line errors for a bad config key
// and for a data directory made by another network.
func TestConfigAndNetworkErrors(t *testing.T) {
	home := t.TempDir()
	env := homeEnv(home)
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ledger.conf"), []byte("mine-too = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI(t, env, "node", "run", "--network", "regtest", "--datadir", dir)
	if code != 2 || !strings.Contains(errOut, `unknown key "mine-too"`) {
		t.Fatalf("unknown config key: exit %d, stderr %q", code, errOut)
	}
	os.Remove(filepath.Join(dir, "ledger.conf"))
	// A regtest data directory opened as testnet is another network, not corruption.
	p := startNode(t, "regtest-node")
	p.stop()
	_, errOut, code = runCLI(t, env, "node", "run", "--network", "testnet", "--datadir", p.dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "regtest network's chain") || strings.Contains(errOut, "corrupt") {
		t.Fatalf("datadir of another network: exit %d, stderr %q", code, errOut)
	}
	out, _, code := runCLI(t, env, "node", "--version")
	if code != 0 || !strings.HasPrefix(out, "node ") || !strings.Contains(out, "commit") || strings.Count(out, "\n") != 1 {
		t.Fatalf("node --version: exit %d %q", code, out)
	}
}

// TestPeersAddRemoveAtRunTime adds a peer to a running node, which finds it
// again after a restart, then removes it.
func TestPeersAddRemoveAtRunTime(t *testing.T) {
	n1 := startNode(t, "n1")
	n2 := startNode(t, "n2")
	out, errOut, code := runCLI(t, nil, "node", "peers", "add", n2.addr(), "--datadir", n1.dir)
	if code != 0 || !strings.Contains(out, `"connected": true`) || !strings.Contains(out, `"saved": true`) {
		t.Fatalf("peers add: exit %d %s%s", code, out, errOut)
	}
	id := peerIDOf(t, n2.addr())
	eventually(t, 10*time.Second, "n1 connected to n2", func() bool { return n1.connectedTo(id) })
	n1.stop()
	n1.restart()
	eventually(t, 30*time.Second, "restarted n1 to reconnect to n2 from its address book", func() bool { return n1.connectedTo(id) })
	out, errOut, code = runCLI(t, nil, "node", "peers", "remove", id.String(), "--datadir", n1.dir)
	if code != 0 || !strings.Contains(out, `"saved": false`) {
		t.Fatalf("peers remove: exit %d %s%s", code, out, errOut)
	}
	eventually(t, 10*time.Second, "n1 to drop n2", func() bool { return !n1.connectedTo(id) && !n2.connectedTo(peerIDOf(t, n1.addr())) })
	if _, errOut, code := runCLI(t, nil, "node", "peers", "add", "/ip4/127.0.0.1/tcp/1", "--datadir", n1.dir); code != 1 || !strings.Contains(errOut, "/p2p/") {
		t.Fatalf("adding an address without a peer ID: exit %d %q", code, errOut)
	}
}
