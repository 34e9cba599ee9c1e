package e2e

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

var regtest = chaincfg.Regtest

func addressOf(k chaintest.Key) string { return tx.EncodeAddress(regtest.AddressHRP, k.Pub) }

// coinbaseSpend returns the spend of the coinbase output of the block at height, mined to k.
func coinbaseSpend(t testing.TB, p *proc, height uint64, k chaintest.Key) chaintest.Spend {
	t.Helper()
	ctx := context.Background()
	blk, err := p.client.Block(ctx, itoa(height))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.client.Tx(ctx, blk.TxIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	id, _ := chainhash.Parse(res.TxID)
	return chaintest.Spend{OutPoint: tx.OutPoint{TxID: id}, Output: tx.TxOut{Amount: res.Outputs[0].Amount, PubKey: k.Pub}, Key: k}
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func sendRaw(t testing.TB, p *proc, t2 *tx.Tx) string {
	t.Helper()
	res, err := p.client.SendRaw(context.Background(), rpc.SendRawRequest{Hex: hex.EncodeToString(t2.Encode())})
	if err != nil {
		t.Fatalf("send-raw to %s: %v", p.name, err)
	}
	return res.TxID
}

func inMempool(p *proc, txid string) bool {
	res, err := p.client.Tx(context.Background(), txid)
	return err == nil && res.Block == nil
}

func TestTransactionAndBlockReachAllThreeNodes(t *testing.T) {
	n1 := startNode(t, "n1")
	n2 := startNode(t, "n2", "--peer", n1.addr())
	n3 := startNode(t, "n3", "--peer", n2.addr())
	miner := chaintest.NewKey(1)
	n1.generate(101, addressOf(miner))
	sameTip(t, 60*time.Second, 101, n1, n2, n3)

	payment := chaintest.SignedTx(regtest.Name, []chaintest.Spend{coinbaseSpend(t, n1, 1, miner)},
		[]tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: chaintest.NewKey(2).Pub}})
	waitMeshed(t, 30*time.Second, []string{netproto.TopicTxs}, n1, n2, n3)
	txid := sendRaw(t, n1, payment)
	for _, n := range []*proc{n2, n3} {
		n := n
		eventually(t, 30*time.Second, "transaction in "+n.name+"'s mempool", func() bool { return inMempool(n, txid) })
	}

	mined := n3.generate(1, addressOf(chaintest.NewKey(3)))
	tip := sameTip(t, 30*time.Second, 102, n1, n2, n3)
	if tip != mined[0] {
		t.Fatalf("common tip %s is not the block mined on n3 (%s)", tip, mined[0])
	}
	for _, n := range []*proc{n1, n2, n3} {
		res, err := n.client.Tx(context.Background(), txid)
		if err != nil || res.Block == nil || *res.Block != mined[0] {
			t.Fatalf("%s: transaction not confirmed in the new block: %+v %v", n.name, res, err)
		}
		if st := n.status(); st.MempoolTxs != 0 {
			t.Fatalf("%s still has %d mempool transactions", n.name, st.MempoolTxs)
		}
	}
}

func TestLateNodeSyncsWithProgress(t *testing.T) {
	n1 := startNode(t, "n1")
	n1.generate(500, addressOf(chaintest.NewKey(1)))
	n2 := startNode(t, "n2", "--peer", n1.addr())
	tip := sameTip(t, 120*time.Second, 500, n1, n2)
	if tip == "" {
		t.Fatal("no common tip")
	}
	if log := n2.logText(); !strings.Contains(log, "sync progress") || !strings.Contains(log, "blocks_per_sec") {
		t.Fatalf("late node's log shows no sync progress:\n%s", n2.logTail())
	}
}

func TestRPCErrors(t *testing.T) {
	n1 := startNode(t, "n1")
	get := func(path string, auth bool) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, n1.info.RPCURL+path, nil)
		if auth {
			req.SetBasicAuth(rpc.CookieUser, n1.client.Password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(rpc.PathStatus, false); code != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
		t.Fatalf("no cookie: %d %s", code, body)
	}
	if code, body := get(rpc.PathBlock+strings.Repeat("ab", 32), true); code != http.StatusNotFound || !strings.Contains(body, `"message"`) {
		t.Fatalf("unknown block hash: %d %s", code, body)
	}
	if code, _ := get(rpc.PathTx+strings.Repeat("cd", 32), true); code != http.StatusNotFound {
		t.Fatalf("unknown txid: %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, n1.info.RPCURL+rpc.PathSendRaw, strings.NewReader("{not json"))
	req.SetBasicAuth(rpc.CookieUser, n1.client.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("malformed JSON: %d %s", resp.StatusCode, body)
	}
	_, err = n1.client.SendRaw(context.Background(), rpc.SendRawRequest{Hex: "00ff"})
	var rerr *rpc.Error
	if !errors.As(err, &rerr) || rerr.Status/100 != 4 {
		t.Fatalf("garbage transaction: %v", err)
	}
}

func TestTwoMiningNodesConvergeOnOneChain(t *testing.T) {
	a, b := chaintest.NewKey(31), chaintest.NewKey(32)
	n1 := startNode(t, "n1", "--mine", "--mine-to", addressOf(a), "--threads", "1")
	n2 := startNode(t, "n2", "--peer", n1.addr(), "--mine", "--mine-to", addressOf(b), "--threads", "1")
	eventually(t, 60*time.Second, "both nodes mining past height 40", func() bool {
		return n1.status().Height >= 40 && n2.status().Height >= 40
	})
	eventually(t, 10*time.Second, "a hash rate in the mining node's status", func() bool {
		st := n2.status()
		return st.Mining && st.Hashrate > 0
	})
	// Stop mining (restart both without --mine, connected) and let them settle.
	n1.restartWith()
	n2.restartWith("--peer", n1.addr())
	sameTip(t, 60*time.Second, 40, n1, n2)
}

func TestPeerOnAnotherNetworkIsDropped(t *testing.T) {
	n1 := startNode(t, "n1")
	other := &proc{t: t, name: "testnet", dir: filepath.Join(t.TempDir(), "testnet")}
	other.args = []string{"run", "--network", "testnet", "--datadir", other.dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0", "--peer", n1.addr()}
	other.start()
	t.Cleanup(other.stop)
	eventually(t, 30*time.Second, "the regtest node to drop the testnet peer", func() bool {
		return strings.Contains(n1.logText(), "does not speak this network's protocol") ||
			strings.Contains(other.logText(), "does not speak this network's protocol")
	})
	if st := n1.status(); st.Height != 0 {
		t.Fatalf("regtest node moved to height %d", st.Height)
	}
}
