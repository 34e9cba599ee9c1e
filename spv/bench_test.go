package spv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/merkle"
)

// BenchmarkHeaderSync measures syncing 10,000 headers from one local peer
// into a fresh store, and reports the store's size.
func BenchmarkHeaderSync(b *testing.B) {
	n := newFullNode(b)
	n.submit(b, tenThousand()...)
	b.ResetTimer()
	var size int64
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		c, err := Open(dir, params, quiet)
		if err != nil {
			b.Fatal(err)
		}
		c.now = func() int64 { return now }
		if res, err := c.Sync(context.Background(), []string{n.addr()}); err != nil || res.Height != 10_000 {
			b.Fatalf("sync: %+v %v", res, err)
		}
		c.Close()
		st, _ := os.Stat(filepath.Join(dir, "headers-regtest.dat"))
		size = st.Size()
	}
	b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "headers/s")
	b.ReportMetric(float64(size), "bytes/10k-headers")
}

// BenchmarkProof reports proof size and verification time for blocks of 1, 1k and 10k transactions.
func BenchmarkProof(b *testing.B) {
	for _, count := range []int{1, 1000, 10000} {
		b.Run(itoa(count), func(b *testing.B) {
			leaves := make([]chainhash.Hash, count)
			for i := range leaves {
				leaves[i] = chainhash.Hash{byte(i), byte(i >> 8)}
			}
			root := merkle.Root(leaves)
			p, _ := merkle.BuildProof(leaves, count/2)
			enc, _ := p.MarshalBinary()
			for b.Loop() {
				if p.Verify(root, leaves[count/2]) != nil {
					b.Fatal("proof does not verify")
				}
			}
			b.ReportMetric(float64(len(enc)), "proof-bytes")
		})
	}
}

func itoa(n int) string {
	switch n {
	case 1:
		return "1tx"
	case 1000:
		return "1k-txs"
	}
	return "10k-txs"
}
