package explorer

import (
	"fmt"
	"html/template"
	"math"
	"time"

	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// templateFuncs are the formatting helpers templates call. Each returns
// plain text, which html/template escapes where it lands.
var templateFuncs = template.FuncMap{
	"amount":   tx.FormatAmount,
	"utc":      formatUTC,
	"bits":     func(d pow.Difficulty) string { return d.String() },
	"hashrate": formatHashRate,
	"size":     formatSize,
	"percent":  func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"rate":     func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"age":      formatAge,
	"add":      func(a, b int) int { return a + b },
}

// timeLayout is how the pages and the live script write times.
const timeLayout = "2006-01-02 15:04:05"

func formatUTC(unix int64) string { return time.Unix(unix, 0).UTC().Format(timeLayout) + " UTC" }

// formatHashRate writes hashes per second with an SI prefix: "12.3 kH/s".
func formatHashRate(hps float64) string {
	if hps <= 0 || math.IsNaN(hps) || math.IsInf(hps, 0) {
		return "unknown"
	}
	prefixes := []string{"", "k", "M", "G", "T", "P", "E"}
	i := 0
	for ; hps >= 1000 && i < len(prefixes)-1; i++ {
		hps /= 1000
	}
	if hps < 1 {
		return fmt.Sprintf("%.3f H/s", hps)
	}
	return fmt.Sprintf("%.2f %sH/s", hps, prefixes[i])
}

// formatSize writes a byte count: "812 B", "14.2 kB".
func formatSize(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}

// formatAge writes a duration coarsely, to the second: "3m12s", "2h5m0s".
func formatAge(d time.Duration) string {
	if d < 0 {
		return "in the future"
	}
	return d.Round(time.Second).String()
}
