package p2p

import (
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestMeshTracerFollowsGraftsAndPrunes(t *testing.T) {
	a, b := peer.ID("a"), peer.ID("b")
	tests := []struct {
		name   string
		events func(m *meshTracer)
		want   map[string][]peer.ID
	}{
		{"grafts", func(m *meshTracer) { m.Graft(a, "x"); m.Graft(b, "x"); m.Graft(a, "y") },
			map[string][]peer.ID{"x": {a, b}, "y": {a}}},
		{"prune", func(m *meshTracer) { m.Graft(a, "x"); m.Graft(b, "x"); m.Prune(a, "x") },
			map[string][]peer.ID{"x": {b}}},
		{"closed stream leaves every mesh", func(m *meshTracer) { m.Graft(a, "x"); m.Graft(a, "y"); m.Graft(b, "y"); m.OnClosedOutboundStream(a) },
			map[string][]peer.ID{"x": {}, "y": {b}}},
		{"leave", func(m *meshTracer) { m.Graft(a, "x"); m.Graft(a, "y"); m.Leave("x") },
			map[string][]peer.ID{"x": {}, "y": {a}}},
		{"prune of a peer not in the mesh", func(m *meshTracer) { m.Prune(a, "x") },
			map[string][]peer.ID{"x": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMeshTracer()
			tc.events(m)
			for topic, want := range tc.want {
				got := m.peers(topic)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("mesh of %s: %v, want %v", topic, got, want)
				}
			}
		})
	}
}
