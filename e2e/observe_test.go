package e2e

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
)

// Observable conditions tests wait on instead of sleeping.

// meshFull is how many peers gossipsub keeps in a mesh at the least (Dlo)
// when it has that many to choose from.
const meshFull = 5

// meshed reports whether p has peers and pushes messages on topic to as many
// of them as gossipsub's mesh will hold: all of them, up to meshFull.
func meshed(t testing.TB, p *proc, topic string) bool {
	res, err := p.client.Peers(context.Background())
	if err != nil {
		t.Fatalf("%s peers: %v", p.name, err)
	}
	in := 0
	for _, q := range res.Peers {
		if slices.Contains(q.Mesh, topic) {
			in++
		}
	}
	return len(res.Peers) > 0 && in >= min(len(res.Peers), meshFull)
}

// waitMeshed waits until every node's mesh on each topic is full, so that a
// message published or relayed by one is pushed on to its peers rather than
// only announced in the next gossip round (which misses peers that join the
// mesh in that round).
func waitMeshed(t testing.TB, timeout time.Duration, topics []string, nodes ...*proc) {
	t.Helper()
	eventually(t, timeout, "full gossip meshes on "+strings.Join(topics, ", "), func() bool {
		for _, n := range nodes {
			for _, topic := range topics {
				if !meshed(t, n, topic) {
					return false
				}
			}
		}
		return true
	})
}

// hostConnected reports whether the bare host h lists id among its peers.
func hostConnected(h *p2p.Host, id peer.ID) bool {
	return slices.ContainsFunc(h.Peers(), func(p p2p.PeerInfo) bool { return p.ID == id })
}

// metricsText fetches the node's Prometheus exposition.
func metricsText(t *testing.T, p *proc) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.info.RPCURL+rpc.PathMetrics, nil)
	req.SetBasicAuth(rpc.CookieUser, p.client.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s's metrics: %v", p.name, err)
	}
	return string(body)
}

// metricSum adds up every series of the metric name, whatever its labels
// (0 while there is none, as for a labelled counter not yet incremented).
func metricSum(t *testing.T, p *proc, name string) float64 {
	t.Helper()
	sum := 0.0
	for _, line := range strings.Split(metricsText(t, p), "\n") {
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}
