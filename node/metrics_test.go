package node

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/rule"
)

// TestContribSeriesExist checks that the shipped Grafana dashboard and alert
// rules only use series the node exports.
func TestContribSeriesExist(t *testing.T) {
	m := newMetrics()
	m.reject(rule.Errorf(rule.ErrBadMerkleRoot, "x")) // make the labelled series appear
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	files, _ := filepath.Glob("../contrib/*/*")
	series := regexp.MustCompile(`ledger_[a-z_]+`)
	checked := 0
	for _, path := range files {
		if !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".yml") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range series.FindAllString(string(data), -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if b, ok := strings.CutSuffix(name, suffix); ok && have[b] {
					base = b
				}
			}
			if name == "ledger_node" || name == "ledger_dashboard" {
				continue // file and dashboard names
			}
			if !have[base] {
				t.Errorf("%s uses %s, which the node does not export", path, name)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d series references in contrib/", checked)
	}
}
