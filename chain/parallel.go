package chain

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// workerCount resolves a configured worker count: 0 means one per CPU.
func workerCount(configured int) int {
	if configured <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return configured
}

// forEach calls fn for every index in [0, n) on up to workers goroutines
// and returns when all calls have returned. With one worker (or little
// work) it runs on the caller's goroutine. fn must only write state owned
// by its index.
//
// Indexes are handed out in chunks that shrink as the work runs out (guided
// self-scheduling): a chunk is an eighth of what remains per worker, and
// the last ones are single indexes. Large chunks keep the hand-out cheap for
// light calls; single ones at the end keep the workers from waiting on each
// other's last chunk, which with a fixed chunk of 30 signature checks left
// a core idle for about 2 ms per block.
func forEach(n, workers int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo, hi, ok := claimChunk(&next, n, workers)
				if !ok {
					return
				}
				for i := lo; i < hi; i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// claimChunk takes the next chunk of [0, n) from next for one of workers
// goroutines (see forEach), or reports that none is left.
func claimChunk(next *atomic.Int64, n, workers int) (lo, hi int, ok bool) {
	for {
		start := next.Load()
		if start >= int64(n) {
			return 0, 0, false
		}
		size := max(1, (int64(n)-start)/int64(workers*8))
		if next.CompareAndSwap(start, start+size) {
			return int(start), int(start + size), true
		}
	}
}

// firstError calls check for every index in [0, n) on up to workers
// goroutines and returns the error of the lowest failing index, or nil. The
// result never depends on scheduling: indexes above a known failure are
// skipped, indexes below it are always checked.
func firstError(n, workers int, check func(i int) error) error {
	var mu sync.Mutex
	lowest, lowestErr := n, error(nil)
	var known atomic.Int64
	known.Store(int64(n))
	forEach(n, workers, func(i int) {
		if int64(i) > known.Load() {
			return
		}
		if err := check(i); err != nil {
			mu.Lock()
			if i < lowest {
				lowest, lowestErr = i, err
				known.Store(int64(i))
			}
			mu.Unlock()
		}
	})
	return lowestErr
}

// parallelNanos is the wall time spent in the chain's parallel sections.
var parallelNanos atomic.Int64

// timeParallel runs fn, a section whose work is spread over the workers, and
// adds its wall time to ParallelTime.
func timeParallel(fn func()) {
	start := time.Now()
	fn()
	parallelNanos.Add(int64(time.Since(start)))
}

// ParallelTime returns the wall time this process has spent so far in the
// chain's parallel sections: hashing transactions, reading the outputs they
// spend and checking signatures. Run with one worker on one core, the rest of
// a block's processing time is its serial part, which bounds the speed-up
// more cores can give (Amdahl's law); benchmarks report it.
func ParallelTime() time.Duration { return time.Duration(parallelNanos.Load()) }

// flushNanos is the wall time spent writing the write-back cache to leveldb,
// in flushCount flushes.
var flushNanos, flushCount atomic.Int64

// FlushTime returns the wall time this process has spent so far writing the
// chain's write-back cache to leveldb. Flushes run in the background while
// later blocks are checked, so they stay off the critical path as long as a
// flush takes less time than checking the blocks that fill the cache.
func FlushTime() time.Duration { return time.Duration(flushNanos.Load()) }

// flushWriteNanos is the part of flushNanos spent handing the sorted
// writes to leveldb, which takes them on one goroutine.
var flushWriteNanos atomic.Int64

// FlushWriteTime returns the part of FlushTime spent handing the sorted
// writes to leveldb, which takes them on one goroutine: the part of a flush
// that more cores do not shorten (collecting and sorting the writes runs on
// the workers), and so what bounds the speed-up of a long sync on many
// cores once the rest is spread over them.
func FlushWriteTime() time.Duration { return time.Duration(flushWriteNanos.Load()) }

// Flushes returns how many times this process has written the chain's
// write-back cache to leveldb.
func Flushes() int64 { return flushCount.Load() }
