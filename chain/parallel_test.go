package chain

import (
	"sync/atomic"
	"testing"
)

func TestForEachCallsEveryIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{
		{0, 4}, {1, 4}, {7, 1}, {7, 2}, {500, 2}, {500, 16}, {64, 3}, {10_000, 8},
	} {
		calls := make([]atomic.Int32, tc.n)
		forEach(tc.n, tc.workers, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if got := calls[i].Load(); got != 1 {
				t.Fatalf("n=%d workers=%d: index %d called %d times", tc.n, tc.workers, i, got)
			}
		}
	}
}

// The chunks handed out cover [0, n) in order, shrink as the work runs
// out, and end with single indexes, so that no worker is left waiting on
// another's large last chunk.
func TestChunksShrinkToSingleIndexes(t *testing.T) {
	for _, tc := range []struct{ n, workers, wantFirst int }{
		{500, 2, 31}, // 500 / (2*8)
		{500, 16, 3}, // 500 / (16*8)
		{64, 2, 4},   // a layer's shards
		{10, 2, 1},   // fewer indexes than chunks: one at a time
		{100_000, 4, 3125},
	} {
		var next atomic.Int64
		var sizes []int
		end := 0
		for {
			lo, hi, ok := claimChunk(&next, tc.n, tc.workers)
			if !ok {
				break
			}
			if lo != end || hi <= lo {
				t.Fatalf("n=%d workers=%d: chunk [%d, %d) after %d", tc.n, tc.workers, lo, hi, end)
			}
			sizes = append(sizes, hi-lo)
			end = hi
		}
		if end != tc.n {
			t.Fatalf("n=%d workers=%d: chunks end at %d", tc.n, tc.workers, end)
		}
		if sizes[0] != tc.wantFirst {
			t.Errorf("n=%d workers=%d: first chunk %d, want %d", tc.n, tc.workers, sizes[0], tc.wantFirst)
		}
		for i := 1; i < len(sizes); i++ {
			if sizes[i] > sizes[i-1] {
				t.Errorf("n=%d workers=%d: chunk %d of %d follows one of %d", tc.n, tc.workers, i, sizes[i], sizes[i-1])
			}
		}
		// The last workers*8 chunks are single indexes.
		for _, s := range sizes[max(0, len(sizes)-tc.workers*8):] {
			if s != 1 {
				t.Errorf("n=%d workers=%d: tail chunks %v, want single indexes", tc.n, tc.workers, sizes[max(0, len(sizes)-tc.workers*8):])
				break
			}
		}
	}
}
