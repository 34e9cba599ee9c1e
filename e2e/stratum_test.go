package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
)

// minerProc is a running `miner` process.
type minerProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	log    string
	user   string
}

func startMiner(t *testing.T, pool, user string) *minerProc {
	t.Helper()
	m := &minerProc{user: user, log: filepath.Join(t.TempDir(), "miner.log")}
	logf, err := os.Create(m.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	m.cmd = exec.Command(filepath.Join(binDir, "miner"), "--pool", "stratum+tcp://"+pool, "--user", user, "--threads", "1", "--report-interval", "1s")
	m.cmd.Stdout, m.cmd.Stderr = &m.stdout, logf
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if m.cmd.ProcessState == nil {
			m.cmd.Process.Kill()
			m.cmd.Wait()
		}
	})
	return m
}

func (m *minerProc) logText() string {
	b, _ := os.ReadFile(m.log)
	return string(b)
}

// stop interrupts the miner and returns its JSON summary.
func (m *minerProc) stop(t *testing.T) map[string]any {
	t.Helper()
	m.cmd.Process.Signal(syscall.SIGINT)
	if err := m.cmd.Wait(); err != nil {
		t.Fatalf("miner %s exited with %v; log:\n%s", m.user, err, m.logText())
	}
	var sum map[string]any
	if err := json.Unmarshal(m.stdout.Bytes(), &sum); err != nil {
		t.Fatalf("miner summary %q: %v", m.stdout.String(), err)
	}
	return sum
}

var (
	blockFoundRe = regexp.MustCompile(`msg="block found" hash=([0-9a-f]{64})`)
	cleanJobRe   = regexp.MustCompile(`msg="new job" job=\S+ prev=([0-9a-f]{64}) height=\d+ clean=true`)
)

func matches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestStratumPoolTwoMiners runs a regtest node with --stratum and two miner
// processes paying to different addresses: both find blocks, each block
// pays the worker that found it, the workers search different extra nonce
// spaces, and new tips reach both as clean jobs.
func TestStratumPoolTwoMiners(t *testing.T) {
	n := startNode(t, "pool", "--stratum", "127.0.0.1:0")
	if n.info.StratumAddr == "" {
		t.Fatal("node.json has no stratum_addr")
	}
	// A bad payout address is refused with one clear line and exit 1.
	bad := exec.Command(filepath.Join(binDir, "miner"), "--pool", "stratum+tcp://"+n.info.StratumAddr, "--user", "not-an-address")
	var stderr bytes.Buffer
	bad.Stderr = &stderr
	err := bad.Run()
	if code := bad.ProcessState.ExitCode(); err == nil || code != 1 || !strings.HasPrefix(stderr.String(), "error: pool refused the worker: user name must be a payout address") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("bad address: exit %d, stderr %q", code, stderr.String())
	}

	addrA, addrB := addressOf(chaintest.NewKey(71)), addressOf(chaintest.NewKey(72))
	a := startMiner(t, n.info.StratumAddr, addrA)
	b := startMiner(t, n.info.StratumAddr, addrB)
	// Each finds a block on the main chain, and some block reaches both as a clean job.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	onChain := map[string]string{} // block hash -> address its coinbase pays
	payee := func(hash string) string {
		if p, ok := onChain[hash]; ok {
			return p
		}
		blk, err := n.client.Block(ctx, hash)
		if err != nil || !blk.MainChain || blk.Height == 0 || len(blk.TxIDs) == 0 {
			return ""
		}
		cb, err := n.client.Tx(ctx, blk.TxIDs[0])
		if err != nil || len(cb.Outputs) != 1 {
			t.Fatalf("coinbase of %s: %v %+v\n%s", hash, err, cb, n.logTail())
		}
		onChain[hash] = cb.Outputs[0].Address
		return onChain[hash]
	}
	var sharedClean string
	eventually(t, 90*time.Second, "both miners to find a block on the main chain and share a clean job", func() bool {
		logA, logB := a.logText(), b.logText()
		found := map[*minerProc]bool{}
		for m, lg := range map[*minerProc]string{a: logA, b: logB} {
			for _, h := range matches(blockFoundRe, lg) {
				if p := payee(h); p != "" {
					if p != m.user {
						t.Fatalf("block %s found by %s pays %s", h, m.user, p)
					}
					found[m] = true
				}
			}
		}
		cleanB := map[string]bool{}
		for _, h := range matches(cleanJobRe, logB) {
			cleanB[h] = true
		}
		for _, h := range matches(cleanJobRe, logA) {
			if cleanB[h] && payee(h) != "" {
				sharedClean = h
			}
		}
		return found[a] && found[b] && sharedClean != ""
	})
	sumA, sumB := a.stop(t), b.stop(t)
	enA, enB := sumA["extranonce1"], sumB["extranonce1"]
	if enA == "" || enA == enB {
		t.Fatalf("extra nonce 1 of the two workers: %v and %v, want distinct", enA, enB)
	}
	for _, s := range []map[string]any{sumA, sumB} {
		if s["blocks_found"].(float64) < 1 || s["shares_accepted"].(float64) < 1 || s["hashes"].(float64) <= 0 {
			t.Fatalf("miner summary %v", s)
		}
	}
	t.Logf("blocks on chain %d; clean job on %s reached both; summaries %v %v", len(onChain), sharedClean, sumA, sumB)
}
