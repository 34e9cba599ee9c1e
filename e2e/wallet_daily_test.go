package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/rpc"
)

// txState is where a node has a transaction: "mempool", "mined" or "unknown".
func txState(t *testing.T, p *proc, txid string) string {
	t.Helper()
	res, err := p.client.Tx(context.Background(), txid)
	var re *rpc.Error
	switch {
	case errors.As(err, &re) && re.Status == 404:
		return "unknown"
	case err != nil:
		t.Fatalf("%s tx %s: %v", p.name, txid, err)
	case res.Block == nil:
		return "mempool"
	}
	return "mined"
}

// TestWalletDailyUse drives the wallet as a user would across two nodes:
// chained sends, coin control, fee bumping seen by every node, a watch-only
// wallet with offline signing, and a node of another network.
func TestWalletDailyUse(t *testing.T) {
	n1 := startNode(t, "n1")
	n2 := startNode(t, "n2", "--peer", n1.addr())
	eventually(t, 30*time.Second, "n2 connected to n1", func() bool { return n2.connectedTo(peerIDOf(t, n1.addr())) })
	a, b := newWallet(t, n1, "a"), newWallet(t, n2, "b")
	a.must("create")
	b.must("create")
	addrA := a.must("address")["address"].(string)
	addrB := b.must("address")["address"].(string)
	n1.generate(102, addrA) // two mature coinbases
	sameTip(t, 30*time.Second, 102, n1, n2)

	// Chained sends: the second spends the first one's change, one block confirms both.
	first := a.must("send", "--to", addrB, "--amount", "60")["txid"].(string) // needs both coinbases
	second := a.must("send", "--to", addrB, "--amount", "20")["txid"].(string)
	if txState(t, n1, first) != "mempool" || txState(t, n1, second) != "mempool" {
		t.Fatal("the two sends are not both in the mempool")
	}
	n1.generate(1, addrB)
	for _, id := range []string{first, second} {
		if s := txState(t, n1, id); s != "mined" {
			t.Fatalf("send %s is %s after one block", id, s)
		}
	}

	// Coin control: spend exactly the chosen output.
	utxos := a.must("utxos")["utxos"].([]any)
	if len(utxos) == 0 {
		t.Fatal("no utxos listed")
	}
	u := utxos[0].(map[string]any)
	pick := fmt.Sprintf("%s:%d", u["txid"], num(u, "index"))
	chosen := a.must("send", "--to", addrB, "--amount", "1", "--utxo", pick)["txid"].(string)
	tx, err := n1.client.Tx(context.Background(), chosen)
	if err != nil || len(tx.Inputs) != 1 || tx.Inputs[0].TxID != u["txid"] {
		t.Fatalf("send --utxo %s spent %+v (%v)", pick, tx, err)
	}
	sameTip(t, 30*time.Second, 103, n1, n2)

	// Fee bumping: the replacement reaches both nodes and only it confirms.
	orig := a.must("send", "--to", addrB, "--amount", "2", "--fee-rate", "1")
	origID := orig["txid"].(string)
	eventually(t, 30*time.Second, "n2 has the original", func() bool { return txState(t, n2, origID) == "mempool" })
	bump := a.must("bumpfee", origID)
	bumpID := bump["txid"].(string)
	if bump["replaces"] != origID || num(bump, "fee") <= num(orig, "fee") {
		t.Fatalf("bumpfee %v of %v", bump, orig)
	}
	for _, p := range []*proc{n1, n2} {
		eventually(t, 30*time.Second, p.name+" replaced the original", func() bool {
			return txState(t, p, bumpID) == "mempool" && txState(t, p, origID) == "unknown"
		})
	}
	n2.generate(1, addrB)
	sameTip(t, 30*time.Second, 104, n1, n2)
	if txState(t, n1, bumpID) != "mined" || txState(t, n1, origID) != "unknown" {
		t.Fatal("the replacement did not confirm, or the original did")
	}

	// Watch-only wallet: same balance, send refused, offline signing broadcasts.
	xpub := a.must("export-xpub")["xpub"].(string)
	w := newWallet(t, n1, "watch")
	w.must("create", "--watch-only", xpub)
	if wb, ab := w.must("balance"), a.must("balance"); wb["confirmed"] != ab["confirmed"] || wb["unconfirmed"] != ab["unconfirmed"] || wb["immature"] != ab["immature"] {
		t.Fatalf("watch-only balance %v, full wallet %v", wb, ab)
	}
	if _, errOut, code := w.run("send", "--to", addrB, "--amount", "1"); code != 1 || !strings.Contains(errOut, "watch-only") {
		t.Fatalf("watch-only send: exit %d %q", code, errOut)
	}
	dir := t.TempDir()
	unsigned, signed := filepath.Join(dir, "pay.unsigned"), filepath.Join(dir, "pay.signed")
	prepared := w.must("send", "--to", addrB, "--amount", "3", "--unsigned", unsigned)
	if st := n1.status(); st.MempoolTxs != 0 {
		t.Fatal("an unsigned send reached the mempool")
	}
	signedRes := a.must("sign", unsigned, signed)
	if signedRes["txid"] != prepared["txid"] {
		t.Fatalf("signed %v, prepared %v", signedRes, prepared)
	}
	hexTx, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "node", "send-raw", "--datadir", n1.dir, strings.TrimSpace(string(hexTx)))
	if code != 0 || !strings.Contains(out, prepared["txid"].(string)) {
		t.Fatalf("send-raw: %d %s %s", code, out, errOut)
	}
	n1.generate(1, addrB)
	if txState(t, n1, prepared["txid"].(string)) != "mined" {
		t.Fatal("the offline-signed transaction did not confirm")
	}

	// History paging: the two most recent, oldest first.
	all := a.must("history")["txs"].([]any)
	page := a.must("history", "--count", "2", "--skip", "1")["txs"].([]any)
	if len(page) != 2 || page[0].(map[string]any)["txid"] != all[len(all)-3].(map[string]any)["txid"] {
		t.Fatalf("history --count 2 --skip 1 of %d: %v", len(all), page)
	}

	// A testnet wallet against this regtest node.
	tn := &walletCLI{t: t, path: filepath.Join(t.TempDir(), "tn.dat"), node: n1, pass: "x"}
	if _, errOut, code := runCLI(t, []string{"WALLET_PASSPHRASE=x"}, "wallet", "--network", "testnet", "--wallet", tn.path, "create"); code != 0 {
		t.Fatalf("testnet create: %s", errOut)
	}
	_, errOut, code = runCLI(t, []string{"WALLET_PASSPHRASE=x"}, "wallet", "--network", "testnet", "--wallet", tn.path, "--node", n1.dir, "balance")
	if code != 1 || !strings.HasPrefix(errOut, "error: ") || !strings.Contains(errOut, "runs regtest") {
		t.Fatalf("testnet wallet on a regtest node: exit %d %q", code, errOut)
	}
}
