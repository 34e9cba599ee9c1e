package miner

import (
	"sync"
	"sync/atomic"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
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
	target := TargetBytes(t.Block.Header.Difficulty)
	for extra := t.Block.Txs[0].Coinbase.ExtraNonce; ; extra++ {
		if stop != nil && stop.Load() {
			return false
		}
		t.SetExtraNonce(extra)
		var winner atomic.Uint32
		var found atomic.Bool
		SearchNonces(t.Block.Header.Encode(), threads, target, stop, counters, func(nonce uint32, _ chainhash.Hash) bool {
			if found.CompareAndSwap(false, true) {
				winner.Store(nonce)
			}
			return false
		})
		if found.Load() {
			t.Block.Header.Nonce = winner.Load()
			return true
		}
	}
}

// SearchNonces splits the 32-bit nonce space of header across threads
// goroutines and calls found for every nonce whose hash, read big-endian, is
// below target. found runs on the searching goroutines, possibly at the same
// time on several; when it returns false every worker stops. SearchNonces
// returns when the space is exhausted, stop is set, or found said stop.
// counters, when not nil, must have threads elements; each worker adds the
// hashes it tries. The built-in miner and the standalone pool miner
// (cmd/miner) both search with it.
func SearchNonces(header [block.HeaderSize]byte, threads int, target [32]byte, stop *atomic.Bool, counters []atomic.Uint64, found func(nonce uint32, hash chainhash.Hash) bool) {
	if threads < 1 {
		threads = 1
	}
	tmpl := hashcore.NewTemplate(header)
	var halt atomic.Bool
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
			for n := start; n < end; {
				if halt.Load() || (stop != nil && stop.Load()) {
					return
				}
				count := uint64(chunk)
				if end-n < count {
					count = end - n
				}
				nonce, hash, ok, tried := tmpl.Search(target, uint32(n), count, stop)
				if counters != nil {
					counters[w].Add(tried)
				}
				n += tried
				if ok && !found(nonce, hash) {
					halt.Store(true)
					return
				}
				if !ok && tried < count {
					return // stopped inside the chunk
				}
			}
		}(w, start, end)
	}
	wg.Wait()
}
