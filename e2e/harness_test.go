// Package e2e starts real node processes on loopback and drives them through
// their command lines, RPC and p2p, as users and peers would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/node"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/rpc"
)

// binDir holds the node and wallet binaries built once for the whole package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ledger-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, cmd := range []string{"node", "wallet", "miner"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "../cmd/"+cmd)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", cmd, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running node process.
type proc struct {
	t      testing.TB
	name   string
	dir    string
	cmd    *exec.Cmd
	log    *os.File
	info   node.Info
	client *rpc.Client
	args   []string
}

// startNode runs `node run` on regtest in a new data directory with the given extra flags.
func startNode(t testing.TB, name string, extra ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, dir: filepath.Join(t.TempDir(), name)}
	p.args = append([]string{"run", "--network", "regtest", "--datadir", p.dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0"}, extra...)
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proc) start() {
	p.t.Helper()
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		p.t.Fatal(err)
	}
	os.Remove(filepath.Join(p.dir, node.InfoFile))
	log, err := os.OpenFile(filepath.Join(p.dir, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	p.log = log
	p.cmd = exec.Command(filepath.Join(binDir, "node"), p.args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	started := wait.Until(30*time.Second, func() bool {
		data, err := os.ReadFile(filepath.Join(p.dir, node.InfoFile))
		return err == nil && json.Unmarshal(data, &p.info) == nil && p.info.RPCURL != ""
	})
	if !started {
		p.t.Fatalf("%s did not write node.json within 30 s; log:\n%s", p.name, p.logText())
	}
	c, err := rpc.ClientFromDatadir(p.dir)
	if err != nil {
		p.t.Fatalf("%s rpc client: %v", p.name, err)
	}
	p.client = c
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	if p.cmd == nil || p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Errorf("%s exited uncleanly after SIGTERM: %v\n%s", p.name, err, p.logTail())
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
		p.t.Errorf("%s did not stop within 20 s of SIGTERM", p.name)
	}
	p.log.Close()
}

// kill stops the process with SIGKILL, as a crash would.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.log.Close()
}

// restart starts the process again on the same data directory.
func (p *proc) restart() {
	p.t.Helper()
	p.start()
}

func (p *proc) logText() string {
	data, _ := os.ReadFile(filepath.Join(p.dir, "node.log"))
	return string(data)
}

func (p *proc) logTail() string {
	s := p.logText()
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}

// addr returns the node's first p2p multiaddr.
func (p *proc) addr() string { return p.info.P2PAddrs[0] }

func (p *proc) status() *rpc.StatusResult {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := p.client.Status(ctx)
	if err != nil {
		p.t.Fatalf("%s status: %v", p.name, err)
	}
	return st
}

func (p *proc) generate(n int, to string) []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := p.client.Generate(ctx, rpc.GenerateRequest{N: n, To: to})
	if err != nil {
		p.t.Fatalf("%s generate %d: %v", p.name, n, err)
	}
	return res.Blocks
}

// eventually fails the test unless cond holds within timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, timeout, what, cond)
}

// sameTip waits until every node reports the same tip at least at height.
func sameTip(t *testing.T, timeout time.Duration, height uint64, nodes ...*proc) string {
	t.Helper()
	var tip string
	eventually(t, timeout, fmt.Sprintf("all nodes at one tip of height >= %d", height), func() bool {
		first := nodes[0].status()
		if first.Height < height {
			return false
		}
		for _, n := range nodes[1:] {
			if st := n.status(); st.Tip != first.Tip {
				return false
			}
		}
		tip = first.Tip
		return true
	})
	return tip
}

// runCLI runs a binary from binDir and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, env []string, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, bin), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %s: %v", bin, strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// connectedTo reports whether the node lists id among its peers.
func (p *proc) connectedTo(id peer.ID) bool {
	res, err := p.client.Peers(context.Background())
	if err != nil {
		p.t.Fatalf("%s peers: %v", p.name, err)
	}
	for _, q := range res.Peers {
		if q.ID == id.String() {
			return true
		}
	}
	return false
}

func peerIDOf(t *testing.T, addr string) peer.ID {
	info, err := peer.AddrInfoFromString(addr)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

// headerOf fetches a block's header through the RPC.
func headerOf(t *testing.T, p *proc, hash string) block.Header {
	t.Helper()
	b, err := p.client.Block(context.Background(), hash)
	if err != nil {
		t.Fatal(err)
	}
	h := block.Header{Version: 1, Time: b.Time, Difficulty: pow.Difficulty(b.Bits), Nonce: b.Nonce}
	h.Prev, _ = chainhash.Parse(b.Prev)
	h.MerkleRoot, _ = chainhash.Parse(b.MerkleRoot)
	if h.Hash().String() != hash {
		t.Fatalf("rebuilt header of %s hashes to %s", hash, h.Hash())
	}
	return h
}
