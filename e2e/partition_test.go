package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/tx"
)

// network4 is four nodes split into halves {n1, n2} and {n3, n4} that share
// the first 101 blocks, mined to miner.
type network4 struct {
	t      *testing.T
	nodes  [4]*proc
	miner  chaintest.Key
	shared uint64
}

// newPartitionedNetwork starts four connected nodes, mines a shared prefix,
// then partitions them by restarting the second half on new ports knowing
// only each other (peer exchange cannot find the first half's new addresses).
func newPartitionedNetwork(t *testing.T) *network4 {
	w := &network4{t: t, miner: chaintest.NewKey(1), shared: 101}
	w.nodes[0] = startNode(t, "n1", "--max-peers", "8")
	w.nodes[1] = startNode(t, "n2", "--peer", w.nodes[0].addr())
	w.nodes[2] = startNode(t, "n3", "--peer", w.nodes[0].addr())
	w.nodes[3] = startNode(t, "n4", "--peer", w.nodes[2].addr())
	w.nodes[0].generate(int(w.shared), addressOf(w.miner))
	sameTip(t, 60*time.Second, w.shared, w.nodes[:]...)
	// Partition: stop the second half, restart it on fresh ports with only each other.
	w.nodes[2].stop()
	w.nodes[3].stop()
	w.nodes[0].stop()
	w.nodes[1].stop()
	w.nodes[0].restartWith()
	w.nodes[1].restartWith("--peer", w.nodes[0].addr())
	w.nodes[2].restartWith()
	w.nodes[3].restartWith("--peer", w.nodes[2].addr())
	eventually(t, 20*time.Second, "halves connected inside", func() bool {
		return w.nodes[1].status().Peers >= 1 && w.nodes[3].status().Peers >= 1
	})
	return w
}

// restartWith restarts the node on its data directory with a fresh port and the given peers.
func (p *proc) restartWith(peers ...string) {
	p.t.Helper()
	p.stop()
	p.cmd = nil
	base := []string{"run", "--network", "regtest", "--datadir", p.dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0"}
	p.args = append(base, peers...)
	p.start()
}

// heal connects the halves by restarting n2 with a peer in the other half.
func (w *network4) heal() {
	w.nodes[1].restartWith("--peer", w.nodes[0].addr(), "--peer", w.nodes[2].addr())
}

func (w *network4) half(i int) []*proc { return w.nodes[2*i : 2*i+2] }

func TestPartitionHealsOntoMostWorkAndLosingTransactionsReturn(t *testing.T) {
	w := newPartitionedNetwork(t)
	a, b := w.half(0), w.half(1)
	// Half A confirms a payment from coinbase 1 in 2 blocks; half B mines 4 blocks without it.
	onlyInA := chaintest.SignedTx(regtest.Name, []chaintest.Spend{coinbaseSpend(t, a[0], 1, w.miner)},
		[]tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: chaintest.NewKey(20).Pub}})
	id := sendRaw(t, a[0], onlyInA)
	a[0].generate(2, addressOf(chaintest.NewKey(21)))
	b[0].generate(4, addressOf(chaintest.NewKey(22)))
	tipA := sameTip(t, 30*time.Second, w.shared+2, a...)
	tipB := sameTip(t, 30*time.Second, w.shared+4, b...)
	if res, err := a[1].client.Tx(context.Background(), id); err != nil || res.Block == nil {
		t.Fatalf("payment not confirmed in half A: %v", err)
	}
	w.heal()
	tip := sameTip(t, 60*time.Second, w.shared+4, w.nodes[:]...)
	if tip != tipB || tip == tipA {
		t.Fatalf("network settled on %s, want half B's heavier tip %s", tip, tipB)
	}
	for _, n := range w.nodes {
		n := n
		eventually(t, 30*time.Second, "losing-branch payment back in "+n.name+"'s mempool", func() bool { return inMempool(n, id) })
	}
}

func TestDoubleSpendAcrossPartitionResolvesToOne(t *testing.T) {
	w := newPartitionedNetwork(t)
	a, b := w.half(0), w.half(1)
	sender := newWallet(t, a[0], "sender")
	x, y := newWallet(t, a[0], "x"), newWallet(t, b[0], "y")
	for _, wl := range []*walletCLI{sender, x, y} {
		wl.must("create")
	}
	// Fund the sender in the shared prefix: move coinbase 1 to its address in both halves alike.
	addrS := sender.must("address")["address"].(string)
	fund := chaintest.SignedTx(regtest.Name, []chaintest.Spend{coinbaseSpend(t, a[0], 1, w.miner)},
		[]tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: decodeAddr(t, addrS)}})
	sendRaw(t, a[0], fund)
	sendRaw(t, b[0], fund)
	a[0].generate(1, addressOf(w.miner))
	b[0].generate(1, addressOf(w.miner))
	// The same coin, to X in half A and to Y in half B.
	sender.node = a[0]
	toX := sender.must("send", "--to", x.must("address")["address"].(string), "--amount", "10")
	sender.node = b[0]
	toY := sender.must("send", "--to", y.must("address")["address"].(string), "--amount", "20")
	a[0].generate(1, addressOf(w.miner))
	b[0].generate(3, addressOf(w.miner))
	sameTip(t, 30*time.Second, w.shared+2, a...)
	sameTip(t, 30*time.Second, w.shared+4, b...)
	w.heal()
	sameTip(t, 60*time.Second, w.shared+4, w.nodes[:]...)
	// The winning spend is confirmed everywhere and the losing one forgotten:
	// its input is spent in the chain, so no late relay can bring it back.
	for _, n := range w.nodes {
		eventually(t, 30*time.Second, n.name+" to confirm the winning spend and forget the losing one", func() bool {
			res, err := n.client.Tx(context.Background(), toY["txid"].(string))
			if err != nil || res.Block == nil {
				return false
			}
			_, err = n.client.Tx(context.Background(), toX["txid"].(string))
			return err != nil
		})
	}
	x.node, y.node = w.nodes[3], w.nodes[0]
	if bal := x.must("balance"); num(bal, "confirmed")+num(bal, "unconfirmed") != 0 {
		t.Fatalf("X holds %v after losing the double spend", bal)
	}
	if bal := y.must("balance"); num(bal, "confirmed") != 20*tx.UnitsPerCoin {
		t.Fatalf("Y's balance %v, want the 20 coins", bal)
	}
}

func TestSPVPaymentVerifiedInLosingBranchIsUnverifiedAfterHeal(t *testing.T) {
	w := newPartitionedNetwork(t)
	a, b := w.half(0), w.half(1)
	payee := newWallet(t, a[0], "payee")
	payee.must("create")
	addr := payee.must("address")["address"].(string)
	pay := chaintest.SignedTx(regtest.Name, []chaintest.Spend{coinbaseSpend(t, a[0], 1, w.miner)},
		[]tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: decodeAddr(t, addr)}})
	id := sendRaw(t, a[0], pay)
	a[0].generate(1, addressOf(w.miner))
	b[0].generate(3, addressOf(w.miner))
	sameTip(t, 30*time.Second, w.shared+1, a...)
	v, errOut, code := payee.run("spv", "verify", "--txid", id, "--peer", a[0].addr(), "--peer", a[1].addr())
	if code != 0 || v["verified"] != true || num(v, "confirmations") != 1 || num(v, "received") != 49*tx.UnitsPerCoin {
		t.Fatalf("verify in the partition: exit %d %v %s", code, v, errOut)
	}
	w.heal()
	sameTip(t, 60*time.Second, w.shared+3, w.nodes[:]...)
	v, errOut, code = payee.run("spv", "verify", "--txid", id, "--peer", w.nodes[0].addr(), "--peer", w.nodes[2].addr())
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 1 || v["verified"] != false || !strings.HasPrefix(lines[len(lines)-1], "error: ") {
		t.Fatalf("verify after the branch lost: exit %d %v %s", code, v, errOut)
	}
}

func decodeAddr(t *testing.T, addr string) [32]byte {
	pub, err := tx.DecodeAddress(regtest.AddressHRP, addr)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
