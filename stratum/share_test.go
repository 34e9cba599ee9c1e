package stratum

import (
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// testWork is a template on a made-up tip with one transaction besides the coinbase.
func testWork(d pow.Difficulty) *work {
	other := &tx.Tx{Version: 1, Inputs: []tx.TxIn{{Prev: tx.OutPoint{Index: 1}}}, Outputs: []tx.TxOut{{Amount: 5}}}
	cb := &tx.Tx{Version: 1, Coinbase: &tx.Coinbase{Height: 9}, Outputs: []tx.TxOut{{Amount: 77}}}
	b := &block.Block{Header: block.Header{Version: 1, Prev: chainhash.Hash{1, 2, 3}, Time: 1_800_000_000, Difficulty: d}, Txs: []*tx.Tx{cb, other}}
	return newWork(&miner.Template{Block: b, Height: 9})
}

func TestCheckShare(t *testing.T) {
	w := testWork(30 * pow.One)
	j := w.job("1", Solo{}.Outputs([32]byte{7}, w.reward), true)
	en1 := []byte{0, 0, 0, 1}
	en2 := []byte{0, 0, 0, 2}
	good := solveJob(t, j, en1, en2, 12*pow.One)
	h := j.Header(en1, en2, good.Time, good.Nonce)
	if hash := h.Hash(); pow.HashMeets(hash, 30*pow.One) {
		t.Fatal("test share happens to be a block; pick other extra nonces")
	}
	withTime := func(dt int64) *Share { s := *good; s.Time += dt; return &s }
	otherEN1 := []byte{0, 0, 0, 3}
	tests := []struct {
		name      string
		en1       []byte
		share     *Share
		diff      pow.Difficulty
		wantCode  int
		wantBlock bool
	}{
		{"meets share difficulty", en1, good, 12 * pow.One, 0, false},
		{"below share difficulty", en1, good, 29 * pow.One, CodeLowDifficulty, false},
		{"another connection's extra nonce", otherEN1, good, 12 * pow.One, CodeLowDifficulty, false},
		{"time before the job", en1, withTime(-1), 1, CodeOther, false},
		{"time too far past the job", en1, withTime(MaxTimeRoll + 1), 1, CodeOther, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, e := checkShare(j, w, tc.en1, tc.share, tc.diff)
			switch {
			case tc.wantCode == 0 && e != nil:
				t.Fatalf("rejected: %v", e)
			case tc.wantCode != 0 && e == nil:
				t.Fatal("accepted")
			case tc.wantCode != 0 && e.Code != tc.wantCode:
				t.Fatalf("code %d (%s), want %d", e.Code, e.Message, tc.wantCode)
			}
			if tc.wantCode == 0 && (res.block != nil) != tc.wantBlock {
				t.Fatalf("block = %v, want %v", res.block != nil, tc.wantBlock)
			}
		})
	}
	// A share meeting the block difficulty is a block even when the share
	// difficulty is higher (regtest: blocks are easier than the share floor).
	easy := testWork(pow.One)
	ej := easy.job("2", Solo{}.Outputs([32]byte{7}, easy.reward), true)
	s := solveJob(t, ej, en1, en2, pow.One)
	if hash := ej.Header(en1, en2, s.Time, s.Nonce); pow.HashMeets(hash.Hash(), 12*pow.One) {
		t.Skip("block share also meets the share difficulty")
	}
	res, e := checkShare(ej, easy, en1, s, 12*pow.One)
	if e != nil || res.block == nil {
		t.Fatalf("block below the share difficulty: err %v, block %v", e, res.block != nil)
	}
}

func TestShareDifficultyNeverHidesBlocks(t *testing.T) {
	floor := 8 * pow.One
	tests := []struct{ worker, block, want pow.Difficulty }{
		{20 * pow.One, 30 * pow.One, 20 * pow.One}, // shares easier than blocks: vardiff's
		{40 * pow.One, 30 * pow.One, 30 * pow.One}, // never harder than a block
		{16 * pow.One, pow.One, 16 * pow.One},      // regtest: blocks below the floor, every share a block
	}
	for _, tc := range tests {
		if got := shareDifficulty(tc.worker, tc.block, floor); got != tc.want {
			t.Errorf("shareDifficulty(%s, %s) = %s, want %s", tc.worker, tc.block, got, tc.want)
		}
	}
}
