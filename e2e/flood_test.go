package e2e

import (
	"context"
	"crypto/rand"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
)

func rawPeer(t *testing.T) *p2p.Host { return rawHostOn(t, ownLoopback()) }

// rssMB reads a process's resident memory.
func rssMB(t *testing.T, pid int) int { return procMB(t, pid, "VmRSS") }

// metric reads one value from the node's /metrics.
func metric(t *testing.T, p *proc, name string) float64 {
	for _, line := range strings.Split(metricsText(t, p), "\n") {
		if strings.HasPrefix(line, name+" ") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return v
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func TestFloodOfJunkKeepsMemoryBoundedAndHonestPeersServed(t *testing.T) {
	n1 := startNode(t, "n1")
	n2 := startNode(t, "n2", "--peer", n1.addr())
	n1.generate(5, addressOf(chaintest.NewKey(1)))
	sameTip(t, 30*time.Second, 5, n1, n2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n1ID := peerIDOf(t, n1.addr())

	// 1. Oversize requests: each costs the sender points until it is banned.
	oversize := rawPeer(t)
	if err := oversize.Connect(ctx, n1.addr()); err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 64<<10)
	for i := 0; i < 8; i++ {
		oversize.Request(ctx, n1ID, netproto.ProtoHeaders, junk, 1024)
	}
	eventually(t, 10*time.Second, "oversize sender disconnected", func() bool { return !n1.connectedTo(oversize.PeerID()) })

	// 2. Many unrequested orphan blocks (valid work, unknown parents) over gossip.
	orphaner := rawPeer(t)
	if err := orphaner.Connect(ctx, n1.addr()); err != nil {
		t.Fatal(err)
	}
	blocks, _ := orphaner.JoinTopic(netproto.TopicBlocks, func(context.Context, peer.ID, []byte) p2p.Verdict { return p2p.Accept })
	eventually(t, 30*time.Second, "n1 in the orphaner's mesh", func() bool { return slices.Contains(blocks.MeshPeers(), n1ID) })
	bl := chaintest.Builder{Params: regtest, Miner: chaintest.NewKey(2)}
	// In bursts of 50, each once n1 has judged the last (orphans are ignored
	// as unknown-parent rejects), so that none is lost to a full queue.
	judged := func() float64 { return metricSum(t, n1, `ledger_rejects_total{reason="unknown-parent"}`) }
	base := judged()
	for i := 0; i < 400; i++ {
		var fake block.Header
		rand.Read(fake.Prev[:])
		fake.Time = time.Now().Unix()
		b := bl.Next(fake, 1000+uint64(i), 0)
		blocks.Publish(ctx, b.Encode())
		if sent := i + 1; sent%50 == 0 {
			eventually(t, 30*time.Second, "n1 to judge the orphans", func() bool { return judged()-base >= float64(sent) })
		}
	}
	// Headers first: no orphan body is kept, whatever arrives.
	if got := metric(t, n1, "ledger_orphan_blocks"); got != 0 {
		t.Fatalf("node holds %v orphan blocks; it keeps none", got)
	}

	// 3. A peer claiming more work that answers with endless junk headers.
	liar := rawPeer(t)
	liar.Handle(netproto.ProtoStatus, 64, func(context.Context, peer.ID, []byte) ([]byte, error) {
		st := netproto.Status{Network: regtest.Name, Genesis: regtest.GenesisHash(), Height: 1 << 40, Tip: chainhash.Hash{9},
			Work: new(big.Int).Lsh(big.NewInt(1), 200)}
		return st.Encode(), nil
	})
	liar.Handle(netproto.ProtoHeaders, netproto.MaxRequestSize, func(context.Context, peer.ID, []byte) ([]byte, error) {
		hs := make([]block.Header, netproto.MaxHeaders)
		for i := range hs {
			rand.Read(hs[i].Prev[:])
		}
		return netproto.EncodeHeaders(hs), nil
	})
	if err := liar.Connect(ctx, n1.addr()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "junk-header peer disconnected", func() bool { return !n1.connectedTo(liar.PeerID()) })

	if mb := rssMB(t, n1.cmd.Process.Pid); mb > 400 {
		t.Fatalf("node uses %d MB after the flood", mb)
	}
	// Honest peers are still served.
	mined := n1.generate(1, addressOf(chaintest.NewKey(1)))
	if tip := sameTip(t, 30*time.Second, 6, n1, n2); tip != mined[0] {
		t.Fatalf("honest peer did not follow: tip %s", tip)
	}
	if !n2.connectedTo(n1ID) {
		t.Fatal("honest peer disconnected")
	}
}
