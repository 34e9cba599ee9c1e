package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/tx"
)

// walletCLI runs the wallet binary on regtest against node n with file path.
type walletCLI struct {
	t    *testing.T
	path string
	node *proc
	pass string
}

func newWallet(t *testing.T, n *proc, name string) *walletCLI {
	w := &walletCLI{t: t, path: filepath.Join(t.TempDir(), name+".dat"), node: n, pass: "pass-" + name}
	return w
}

func (w *walletCLI) run(args ...string) (map[string]any, string, int) {
	w.t.Helper()
	full := append([]string{"--network", "regtest", "--wallet", w.path, "--node", w.node.dir}, args...)
	out, errOut, code := runCLI(w.t, []string{"WALLET_PASSPHRASE=" + w.pass}, "wallet", full...)
	var m map[string]any
	if out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			w.t.Fatalf("wallet %v printed non-JSON %q", args, out)
		}
	}
	return m, errOut, code
}

func (w *walletCLI) must(args ...string) map[string]any {
	w.t.Helper()
	m, errOut, code := w.run(args...)
	if code != 0 {
		w.t.Fatalf("wallet %v: exit %d: %s", args, code, errOut)
	}
	return m
}

func num(m map[string]any, k string) int64 { v, _ := m[k].(float64); return int64(v) }

func TestWalletEndToEnd(t *testing.T) {
	n := startNode(t, "n1")
	a, b := newWallet(t, n, "a"), newWallet(t, n, "b")
	created := a.must("create")
	mnemonic, _ := created["mnemonic"].(string)
	if len(strings.Fields(mnemonic)) != 24 {
		t.Fatalf("mnemonic %q", mnemonic)
	}
	b.must("create")
	addrA := a.must("address")["address"].(string)
	addrB := b.must("address")["address"].(string)

	n.generate(101, addrA)
	bal := a.must("balance")
	if num(bal, "confirmed") != 50*tx.UnitsPerCoin || num(bal, "immature") != 5000*tx.UnitsPerCoin || num(bal, "unconfirmed") != 0 {
		t.Fatalf("after generate 101: balance %v, want confirmed 50 coins and immature 5000", bal)
	}

	sent := a.must("send", "--to", addrB, "--amount", "12.5", "--fee-rate", "2")
	fee := num(sent, "fee")
	if fee <= 0 {
		t.Fatalf("send reported fee %d", fee)
	}
	if got := num(b.must("balance"), "unconfirmed"); got != 1250000000 {
		t.Fatalf("payee's unconfirmed balance %d before mining", got)
	}
	n.generate(1, addrB) // confirms the payment; the block reward (with the fee) to B is immature
	balA, balB := a.must("balance"), b.must("balance")
	// A: one mature coinbase (50) spent: 50 - 12.5 - fee back as change; one more coinbase matured.
	if want := 50*tx.UnitsPerCoin - 1250000000 - fee + 50*tx.UnitsPerCoin; num(balA, "confirmed") != want {
		t.Fatalf("sender's confirmed balance %d, want %d (fee %d)", num(balA, "confirmed"), want, fee)
	}
	if num(balB, "confirmed") != 1250000000 || num(balB, "immature") != 50*tx.UnitsPerCoin+fee {
		t.Fatalf("payee's balance %v", balB)
	}
	histB := b.must("history")["txs"].([]any)
	if len(histB) != 2 {
		t.Fatalf("payee history has %d entries, want payment and coinbase", len(histB))
	}
	var pay map[string]any
	for _, h := range histB {
		if m := h.(map[string]any); m["txid"] == sent["txid"] {
			pay = m
		}
	}
	if pay == nil || num(pay, "amount") != 1250000000 || num(pay, "fee") != 0 || num(pay, "confirmations") != 1 {
		t.Fatalf("payee history entry %v", pay)
	}
	var outgoing map[string]any
	for _, h := range a.must("history")["txs"].([]any) {
		if m := h.(map[string]any); m["txid"] == sent["txid"] {
			outgoing = m
		}
	}
	if outgoing == nil || num(outgoing, "amount") != -1250000000 || num(outgoing, "fee") != fee {
		t.Fatalf("sender history entry %v, want amount -12.5 coins and fee %d", outgoing, fee)
	}

	// Restoring from the mnemonic into a fresh file finds the same balance.
	r := newWallet(t, n, "restored")
	out, errOut, code := runCLI(t, []string{"WALLET_PASSPHRASE=x", "WALLET_MNEMONIC=" + mnemonic}, "wallet",
		"--network", "regtest", "--wallet", r.path, "--node", n.dir, "restore")
	if code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	r.pass = "x"
	if got := r.must("balance"); num(got, "confirmed") != num(balA, "confirmed") || num(got, "immature") != num(balA, "immature") {
		t.Fatalf("restored balance %v, original %v", got, balA)
	}
}

func TestWalletRefusesBadInput(t *testing.T) {
	n := startNode(t, "n1")
	a := newWallet(t, n, "a")
	a.must("create")
	addr := a.must("address")["address"].(string)
	n.generate(101, addr)
	other := newWallet(t, n, "b")
	other.must("create")
	good := other.must("address")["address"].(string)
	testnetAddr := tx.EncodeAddress("ltn", [32]byte{1})
	typo := good[:len(good)-1] + string("qpzry9x8"[strings.IndexByte("qpzry9x8", good[len(good)-1])%7+1])
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"insufficient funds", []string{"send", "--to", good, "--amount", "51"}, "insufficient funds"},
		{"address of another network", []string{"send", "--to", testnetAddr, "--amount", "1"}, "another network"},
		{"mistyped address", []string{"send", "--to", typo, "--amount", "1"}, "invalid address"},
		{"zero amount", []string{"send", "--to", good, "--amount", "0"}, "greater than zero"},
		{"negative amount", []string{"send", "--to", good, "--amount", "-1"}, "positive"},
		{"over-precise amount", []string{"send", "--to", good, "--amount", "0.000000001"}, "8 decimal places"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := a.run(tc.args...)
			if code != 1 || !strings.HasPrefix(errOut, "error: ") || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 mentioning %q", code, errOut, tc.want)
			}
		})
	}
	if st := n.status(); st.MempoolTxs != 0 {
		t.Fatalf("a refused send reached the mempool")
	}
	// Wrong passphrase, corrupt file, unreachable node.
	a.pass = "wrong"
	if _, errOut, code := a.run("balance"); code != 1 || !strings.Contains(errOut, "wrong passphrase") {
		t.Fatalf("wrong passphrase: %d %q", code, errOut)
	}
	a.pass = "pass-a"
	corrupt := newWallet(t, n, "corrupt")
	corrupt.pass = a.pass
	if err := os.WriteFile(corrupt.path, []byte("LGRWALLET\x01 garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := corrupt.run("balance"); code != 1 || !strings.Contains(errOut, "corrupt") {
		t.Fatalf("corrupt wallet file: %d %q", code, errOut)
	}
	out, errOut, code := runCLI(t, []string{"WALLET_PASSPHRASE=pass-a"}, "wallet", "--network", "regtest", "--wallet", a.path,
		"--rpc", "http://127.0.0.1:1", "--rpc-cookie", filepath.Join(n.dir, "rpc.cookie"), "balance")
	if code != 1 || !strings.Contains(errOut, "not reachable") || out != "" {
		t.Fatalf("unreachable node: %d %q %q", code, out, errOut)
	}
}
