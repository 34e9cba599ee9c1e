package chaincfg

import (
	"testing"

	"github.com/ledgerd/ledger/pow"
)

// TestFutureDatedBlockMovesDifficultyByAtMostOneBit is the time warp bound:
// a block dated at the future limit, instead of at the present, changes the
// difficulty the next block must carry by at most one bit, wherever the chain
// stands against its schedule.
func TestFutureDatedBlockMovesDifficultyByAtMostOneBit(t *testing.T) {
	for _, p := range []*Params{Testnet, Regtest} {
		t.Run(p.Name, func(t *testing.T) {
			anchor := p.GenesisTime + 1000
			worst := pow.Difficulty(0)
			for _, height := range []uint64{1, 2, 100, 10_000, 1_000_000} {
				onSchedule := anchor + int64(height-1)*p.Retarget.TargetSpacing
				// Chains ahead of, on and behind schedule, including ones held at the clamps.
				for _, lag := range []int64{-100_000, -3600, -1, 0, 1, 599, 3600, 100_000, 10_000_000} {
					now := onSchedule + lag
					honest := p.RequiredDifficulty(height, now, anchor)
					warped := p.RequiredDifficulty(height, now+p.MaxFutureDrift, anchor)
					if warped > honest {
						t.Fatalf("height %d lag %d: a later timestamp raised the difficulty %v -> %v", height, lag, honest, warped)
					}
					if drop := honest - warped; drop > worst {
						worst = drop
					}
				}
			}
			if worst > pow.One {
				t.Fatalf("one future-dated block lowers the next difficulty by %v bits, bound 1", float64(worst)/float64(pow.One))
			}
			if p.Retarget.NoRetarget {
				if worst != 0 {
					t.Fatalf("fixed difficulty moved by %v", worst)
				}
				return
			}
			// The bound is tight: exactly one bit where no clamp applies.
			if worst != pow.One {
				t.Fatalf("largest drop %v, want exactly one bit (drift %d s, half-life %d s)", worst, p.MaxFutureDrift, p.Retarget.HalfLife)
			}
		})
	}
}

// TestEveryNetworkBoundsTheTimeWarp keeps any network added later within the bound.
func TestEveryNetworkBoundsTheTimeWarp(t *testing.T) {
	for _, name := range Names() {
		p, _ := ByName(name)
		if !p.Retarget.NoRetarget && p.MaxFutureDrift > p.Retarget.HalfLife {
			t.Errorf("%s: future drift %d s exceeds the half-life %d s, so one block moves difficulty by more than a bit",
				name, p.MaxFutureDrift, p.Retarget.HalfLife)
		}
		if p.MaxFutureDrift <= 0 {
			t.Errorf("%s: future drift %d s", name, p.MaxFutureDrift)
		}
	}
}
