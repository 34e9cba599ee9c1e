package e2e

import (
	"sort"
	"testing"
	"time"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/tx"
)

// BenchmarkInitialSync measures a node syncing a 2,000-block chain in which
// every block after maturity carries a transaction, from one local peer.
func BenchmarkInitialSync(b *testing.B) {
	n1 := startNode(b, "n1")
	miner := chaintest.NewKey(1)
	const blocks = 2000
	n1.generate(101, addressOf(miner))
	txCount := 0
	for h := uint64(1); h <= blocks-101; h++ {
		s := coinbaseSpend(b, n1, h, miner)
		pay := chaintest.SignedTx(regtest.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
		sendRaw(b, n1, pay)
		txCount++
		n1.generate(1, addressOf(miner))
	}
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		n2 := startNode(b, "n2", "--peer", n1.addr())
		wait.For(b, 30*time.Minute, "n2 to sync", func() bool { return n2.status().Height >= blocks })
		elapsed += time.Since(start)
		n2.stop()
	}
	secs := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(blocks/secs, "blocks/s")
	b.ReportMetric(float64(txCount+blocks)/secs, "tx/s")
}

// BenchmarkGossip measures how long a transaction and a block take to reach
// every node of a 10-node local network (p50 and p99).
func BenchmarkGossip(b *testing.B) {
	nodes := []*proc{startNode(b, "g0")}
	for i := 1; i < 10; i++ {
		nodes = append(nodes, startNode(b, "g"+itoa(uint64(i)), "--peer", nodes[(i-1)/2].addr()))
	}
	miner := chaintest.NewKey(1)
	rounds := 20
	nodes[0].generate(100+rounds, addressOf(miner))
	for _, n := range nodes {
		wait.For(b, 5*time.Minute, n.name+" to sync", func() bool { return n.status().Height >= uint64(100+rounds) })
	}
	waitMeshed(b, time.Minute, []string{netproto.TopicBlocks, netproto.TopicTxs}, nodes...)
	var txLat, blockLat []time.Duration
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		s := coinbaseSpend(b, nodes[0], uint64(r+1), miner)
		pay := chaintest.SignedTx(regtest.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
		start := time.Now()
		id := sendRaw(b, nodes[r%10], pay)
		txLat = append(txLat, waitAll(b, nodes, "the transaction", func(n *proc) bool { return inMempool(n, id) }, start))
		start = time.Now()
		mined := nodes[(r+5)%10].generate(1, addressOf(miner))
		blockLat = append(blockLat, waitAll(b, nodes, "the block", func(n *proc) bool { return n.status().Tip == mined[0] }, start))
	}
	b.StopTimer()
	p := func(ds []time.Duration, q float64) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(txLat, 0.5), "tx-p50-ms")
	b.ReportMetric(p(txLat, 0.99), "tx-p99-ms")
	b.ReportMetric(p(blockLat, 0.5), "block-p50-ms")
	b.ReportMetric(p(blockLat, 0.99), "block-p99-ms")
}

// waitAll waits until cond holds on every node and returns the time since start.
func waitAll(b *testing.B, nodes []*proc, what string, cond func(*proc) bool, start time.Time) time.Duration {
	for _, n := range nodes {
		wait.For(b, time.Minute, what+" at "+n.name, func() bool { return cond(n) })
	}
	return time.Since(start)
}
