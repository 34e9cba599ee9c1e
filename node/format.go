package node

import "fmt"

// formatHashrate writes a hash rate with its unit: "4.52 MH/s".
func formatHashrate(hps float64) string {
	units := []string{"H/s", "kH/s", "MH/s", "GH/s", "TH/s"}
	i := 0
	for hps >= 1000 && i < len(units)-1 {
		hps /= 1000
		i++
	}
	return fmt.Sprintf("%.2f %s", hps, units[i])
}

// formatBytes writes a size with a binary unit: "1.5 MiB".
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// formatCount writes a count with its unit: "3 txs".
func formatCount(n int, unit string) string { return fmt.Sprintf("%d %s", n, unit) }

// formatPercent writes a percentage with one decimal: "42.0%".
func formatPercent(p float64) string { return fmt.Sprintf("%.1f%%", p) }
