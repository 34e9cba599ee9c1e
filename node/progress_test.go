package node

import (
	"math/big"
	"testing"
	"time"
)

func TestProgressEstimator(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var p progressEstimator
	if prog, _, ok := p.estimate(big.NewInt(10), big.NewInt(100)); ok || prog != 0.1 {
		t.Fatalf("no samples: progress %v ok %v, want 0.1 and no ETA", prog, ok)
	}
	// 10 units of work per second.
	p.observe(t0, big.NewInt(10))
	p.observe(t0.Add(4*time.Second), big.NewInt(50))
	prog, eta, ok := p.estimate(big.NewInt(50), big.NewInt(150))
	if !ok || eta != 10*time.Second {
		t.Fatalf("eta %v ok %v, want 10s", eta, ok)
	}
	if prog < 0.333 || prog > 0.334 {
		t.Fatalf("progress %v, want 1/3", prog)
	}
	if prog, eta, ok := p.estimate(big.NewInt(150), big.NewInt(150)); !ok || prog != 1 || eta != 0 {
		t.Fatalf("caught up: %v %v %v", prog, eta, ok)
	}
	// Old samples fall out of the window: the rate follows the recent past.
	p.observe(t0.Add(10*time.Minute), big.NewInt(60))
	p.observe(t0.Add(10*time.Minute+10*time.Second), big.NewInt(70))
	if _, eta, ok := p.estimate(big.NewInt(70), big.NewInt(80)); !ok || eta != 10*time.Second {
		t.Fatalf("after window: eta %v ok %v, want 10s (1 unit/s)", eta, ok)
	}
}
