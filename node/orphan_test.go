package node

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
)

func TestOrphanHeaderIsReadWithoutTheBody(t *testing.T) {
	params := chaincfg.Regtest
	c, err := chain.Open(t.TempDir(), params, chain.Options{NoSync: true, SigWorkers: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bl := chaintest.Builder{Params: params, Miner: chaintest.NewKey(1)}
	genesis := params.Genesis().Header
	unknown := block.Header{Prev: chainhash.Hash{7}, Time: genesis.Time}
	onGenesis := bl.Next(genesis, 1, 0)
	orphan := bl.Next(unknown, 2, 0)
	highHash := bl.Next(unknown, 2, 0)
	chaintest.Unsolve(&highHash.Header)
	easy := bl.Next(unknown, 2, 0)
	easy.Header.Difficulty = 0
	// A body that does not decode does not matter to an orphan: it is not read.
	junkBody := append(orphan.Header.AppendEncode(nil), 0xff, 0xff, 0xff)

	for _, tc := range []struct {
		name   string
		data   []byte
		orphan bool
		code   rule.Code
	}{
		{"parent known", onGenesis.Encode(), false, 0},
		{"parent unknown", orphan.Encode(), true, 0},
		{"parent unknown, body not a block", junkBody, true, 0},
		{"no proof of work", highHash.Encode(), false, rule.ErrHighHash},
		{"below the difficulty floor", easy.Encode(), false, rule.ErrBadDifficulty},
		{"shorter than a header", []byte{1, 2, 3}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hash, isOrphan, err := orphanHeader(params, c, tc.data)
			if tc.code != 0 {
				if code, ok := rule.CodeOf(err); !ok || code != tc.code {
					t.Fatalf("error %v, want rule %v", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if isOrphan != tc.orphan {
				t.Fatalf("orphan %v, want %v", isOrphan, tc.orphan)
			}
			if isOrphan && hash != orphan.Hash() {
				t.Fatalf("hash %s, want %s", hash, orphan.Hash())
			}
		})
	}
}
