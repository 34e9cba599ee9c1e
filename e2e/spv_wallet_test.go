package e2e

import (
	"testing"
	"time"
)

// TestSPVWalletMatchesFullNodeWallet restores a wallet from its mnemonic
// with no node to scan, and finds its balance and history from two full
// nodes' compact filters: the same, to the unit, as the full-node wallet's.
func TestSPVWalletMatchesFullNodeWallet(t *testing.T) {
	n1 := startNode(t, "n1")
	n2 := startNode(t, "n2", "--peer", n1.addr())
	a, b := newWallet(t, n1, "a"), newWallet(t, n1, "b")
	mnemonic := a.must("create")["mnemonic"].(string)
	b.must("create")
	addrA, addrB := a.must("address")["address"].(string), b.must("address")["address"].(string)
	n1.generate(101, addrA)
	a.must("send", "--to", addrB, "--amount", "12.5") // a payment out, with change
	n1.generate(1, addrB)
	b.must("send", "--to", a.must("address")["address"].(string), "--amount", "3") // a payment in, to a second key
	n1.generate(2, addrB)
	sameTip(t, 30*time.Second, 104, n1, n2)

	// The restored copy scans against an empty node, so it knows nothing but its keys.
	blank := startNode(t, "blank")
	r := newWallet(t, blank, "restored")
	if out, errOut, code := runCLI(t, []string{"WALLET_PASSPHRASE=x", "WALLET_MNEMONIC=" + mnemonic}, "wallet",
		"--network", "regtest", "--wallet", r.path, "--node", blank.dir, "restore"); code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	r.pass = "x"
	peers := []string{"--peer", n1.addr(), "--peer", n2.addr()}
	full, light := a.must("balance"), r.must(append([]string{"spv", "balance"}, peers...)...)
	if num(light, "confirmed") != num(full, "confirmed") || num(light, "immature") != num(full, "immature") || num(light, "height") != 104 {
		t.Fatalf("spv balance %v, full-node wallet %v", light, full)
	}
	if num(light, "cross_checked_peers") != 2 || light["warning"] != nil {
		t.Fatalf("spv balance did not cross-check both peers: %v", light)
	}
	fullHist := a.must("history")["txs"].([]any)
	lightHist := r.must(append([]string{"spv", "history"}, peers...)...)["txs"].([]any)
	// 101 coinbases, the payment out and the payment in.
	if len(lightHist) != len(fullHist) || len(fullHist) != 103 {
		t.Fatalf("spv history has %d txs, full-node wallet %d, want 103", len(lightHist), len(fullHist))
	}
	want := map[string]map[string]any{}
	for _, h := range fullHist {
		m := h.(map[string]any)
		want[m["txid"].(string)] = m
	}
	for _, h := range lightHist {
		m := h.(map[string]any)
		w := want[m["txid"].(string)]
		if w == nil || num(m, "amount") != num(w, "amount") || num(m, "fee") != num(w, "fee") || num(m, "height") != num(w, "height") || num(m, "confirmations") != num(w, "confirmations") {
			t.Fatalf("spv history entry %v, full-node wallet %v", m, w)
		}
	}
}
