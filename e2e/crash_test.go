package e2e

import (
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
)

func TestKillDuringSyncThenRestartCatchesUp(t *testing.T) {
	n1 := startNode(t, "n1")
	n1.generate(2000, addressOf(chaintest.NewKey(1)))
	n2 := startNode(t, "n2", "--peer", n1.addr())
	eventually(t, 60*time.Second, "n2 part-way through its sync", func() bool { return n2.status().Height > 0 })
	if h := n2.status().Height; h >= 2000 {
		t.Logf("n2 finished syncing (%d) before the kill; the kill lands on a synced store", h)
	}
	n2.kill()
	n2.restart()
	sameTip(t, 90*time.Second, 2000, n1, n2)
}

func TestKillWhileMiningThenRestartReopensAndConverges(t *testing.T) {
	n1 := startNode(t, "n1", "--mine", "--mine-to", addressOf(chaintest.NewKey(1)), "--threads", "1")
	n2 := startNode(t, "n2", "--peer", n1.addr())
	eventually(t, 60*time.Second, "some blocks mined", func() bool { return n1.status().Height >= 50 })
	n1.kill()
	// Restart without mining; it must open its store as it is and agree with its peer.
	n1.args = []string{"run", "--network", "regtest", "--datadir", n1.dir, "--p2p", "/ip4/127.0.0.1/tcp/0", "--rpc", "127.0.0.1:0", "--peer", n2.addr()}
	n1.restart()
	height := n1.status().Height
	if height < 50 {
		t.Fatalf("restarted miner lost blocks: height %d", height)
	}
	sameTip(t, 60*time.Second, 50, n1, n2)
}
