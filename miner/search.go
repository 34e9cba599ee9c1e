package miner

import (
	"sync"
	"sync/atomic"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/miner/hashcore"
)

// chunk is how many nonces a worker searches between checks of the stop flag
// and updates of its hash counter.
const chunk = 1 << 16

// Solve searches the whole nonce space of b's header on threads goroutines,
// bumping the extra nonce (and so the Merkle root) whenever the space is
// exhausted, until a nonce meets the difficulty or stop is set. It writes the
// solution into b and returns true, or false when stopped. counters, when not
// nil, must have threads elements; each worker adds the hashes it tries.
func Solve(t *Template, threads int, stop *atomic.Bool, counters []atomic.Uint64) bool {
	if threads < 1 {
		threads = 1
	}
	target := TargetBytes(t.Block.Header.Difficulty)
	for extra := t.Block.Txs[0].Coinbase.ExtraNonce; ; extra++ {
		if stop != nil && stop.Load() {
			return false
		}
		t.SetExtraNonce(extra)
		if nonce, ok := searchSpace(t.Block, threads, target, stop, counters); ok {
			t.Block.Header.Nonce = nonce
			return true
		}
	}
}

// searchSpace splits the 32-bit nonce space of b's header across threads.
func searchSpace(b *block.Block, threads int, target [32]byte, stop *atomic.Bool, counters []atomic.Uint64) (uint32, bool) {
	tmpl := hashcore.NewTemplate(b.Header.Encode())
	var found atomic.Bool
	var winner atomic.Uint32
	var wg sync.WaitGroup
	const space = uint64(1) << 32
	per := space / uint64(threads)
	for w := 0; w < threads; w++ {
		start := uint64(w) * per
		end := start + per
		if w == threads-1 {
			end = space
		}
		wg.Add(1)
		go func(w int, start, end uint64) {
			defer wg.Done()
			for n := start; n < end; n += chunk {
				if found.Load() || (stop != nil && stop.Load()) {
					return
				}
				count := uint64(chunk)
				if end-n < count {
					count = end - n
				}
				nonce, _, ok, tried := tmpl.Search(target, uint32(n), count, stop)
				if counters != nil {
					counters[w].Add(tried)
				}
				if ok {
					if found.CompareAndSwap(false, true) {
						winner.Store(nonce)
					}
					return
				}
			}
		}(w, start, end)
	}
	wg.Wait()
	return winner.Load(), found.Load()
}
