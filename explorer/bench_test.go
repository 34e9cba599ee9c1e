package explorer_test

import (
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerd/ledger/explorer"
)

// benchHeight is the chain the render-time goal is stated for.
const benchHeight = 10_000

// BenchmarkPages renders each page of a 10,000-block regtest chain through
// the explorer's handler (routing, chain reads, templates, writing the
// response to memory). The goal is under 50 ms a page: ms/op reports the
// wall time, cpu-ms/op the process's CPU time (GC included), which other
// load on a shared machine disturbs less. The busiest address is the
// miner's, with a coinbase in every block.
func BenchmarkPages(b *testing.B) {
	start := time.Now()
	f := newFixture(b, benchHeight, explorer.Config{RateLimit: 1e9, RateBurst: 1 << 30})
	b.Logf("built a %d-block chain in %s", benchHeight, time.Since(start).Round(time.Millisecond))
	pages := []struct {
		name, path string
		status     int
	}{
		{"home", "/explorer/", 200},
		{"block", "/explorer/block/" + f.hashAt(paidHeight), 200},
		{"tip block", "/explorer/block/" + f.hashAt(benchHeight), 200},
		{"tx", "/explorer/tx/" + f.paid.ID().String(), 200},
		{"mempool tx", "/explorer/tx/" + f.pending.ID().String(), 200},
		{"address", "/explorer/address/" + f.address(f.alice), 200},
		{"busiest address", "/explorer/address/" + f.address(f.miner), 200},
		{"busiest address last page", "/explorer/address/" + f.address(f.miner) + "?page=" + strconv.Itoa(benchHeight/25+1), 200},
		{"mempool", "/explorer/mempool", 200},
		{"peers", "/explorer/peers", 200},
		{"search", "/explorer/search?q=" + f.paid.ID().String(), 303},
		{"not found", "/explorer/block/" + f.paid.ID().String(), 404},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			cpu0 := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				f.ex.ServeHTTP(w, httptest.NewRequest("GET", p.path, nil))
				if w.Code != p.status {
					b.Fatalf("GET %s: status %d, want %d", p.path, w.Code, p.status)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
