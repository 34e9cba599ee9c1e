package mempool

import (
	"fmt"
	"testing"
)

// BenchmarkSelect measures building a block template (1 MB) by ancestor
// package fee rate from pools of independent transactions.
func BenchmarkSelect(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("pool=%d", n), func(b *testing.B) {
			p := benchPool(b, Config{MaxBytes: 1 << 40})
			for i := 0; i < n; i++ {
				p.addEntry(syntheticEntry(i))
			}
			for b.Loop() {
				if txs, _ := p.Select(1 << 20); len(txs) == 0 {
					b.Fatal("empty template")
				}
			}
		})
	}
}
