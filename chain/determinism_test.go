package chain

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// TestVerdictDoesNotDependOnWorkers connects blocks with two or more faults
// on chains with 1 to 16 workers: every one must reject the block with the
// same error, the one a serial check meets first (input rules in block
// order, then signatures in block order).
func TestVerdictDoesNotDependOnWorkers(t *testing.T) {
	p := chaincfg.Regtest
	miner := chaintest.NewKey(1)
	bl := chaintest.Builder{Params: p, Miner: miner}
	prefix := buildBlocks(p, p.Genesis(), 101, miner)
	const outputs = 40
	outs := make([]tx.TxOut, outputs)
	for i := range outs {
		outs[i] = tx.TxOut{Amount: tx.UnitsPerCoin, PubKey: miner.Pub}
	}
	fan := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(prefix[0].Txs[0], 0, miner)}, outs)
	fanOut, _ := fan.OutputTotal()
	fanBlock := bl.Next(prefix[100].Header, 102, 50*tx.UnitsPerCoin-fanOut, fan)
	prefix = append(prefix, fanBlock)

	spend := func(i int) *tx.Tx {
		s := chaintest.SpendOf(fan, uint32(i), miner)
		return chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
	}
	badSig := func(t *tx.Tx) *tx.Tx { t.Inputs[0].Signature[7] ^= 1; return t }
	doubleSpend := func(i int) *tx.Tx {
		s := chaintest.SpendOf(fan, uint32(i), miner)
		return chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 2000, PubKey: miner.Pub}})
	}
	missing := func(i int) *tx.Tx {
		s := chaintest.SpendOf(fan, uint32(i), miner)
		s.OutPoint.Index = outputs + uint32(i) // the fan-out has no such output
		return chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: 1000, PubKey: miner.Pub}})
	}
	noOutputs := func(t *tx.Tx) *tx.Tx { t.Outputs = nil; return t }
	negative := func(t *tx.Tx) *tx.Tx { t.Outputs[0].Amount = -1; return t }
	// make builds 30 valid spends with the given transactions in place of some.
	make := func(replace map[int]*tx.Tx) *block.Block {
		var txs []*tx.Tx
		for i := 0; i < 30; i++ {
			if r, ok := replace[i]; ok {
				txs = append(txs, r)
				continue
			}
			txs = append(txs, spend(i))
		}
		return bl.Next(fanBlock.Header, 103, 0, txs...)
	}
	tests := []struct {
		name string
		b    *block.Block
		code rule.Code
		in   string // the error names this transaction (tx N is at position N, after the coinbase)
	}{
		{"two bad signatures", make(map[int]*tx.Tx{3: badSig(spend(3)), 20: badSig(spend(20))}), rule.ErrBadSignature, spend(3).ID().String()},
		{"bad signatures around a missing input", make(map[int]*tx.Tx{1: badSig(spend(1)), 17: missing(17), 25: badSig(spend(25))}), rule.ErrOutputIndexRange, "tx 18 "},
		{"two missing inputs", make(map[int]*tx.Tx{9: missing(9), 12: missing(12)}), rule.ErrOutputIndexRange, "tx 10 "},
		{"double spend after a bad signature", make(map[int]*tx.Tx{2: badSig(spend(2)), 26: doubleSpend(5)}), rule.ErrDoubleSpendInBlock, "tx 27 "},
		{"two transactions failing sanity", make(map[int]*tx.Tx{4: noOutputs(spend(4)), 22: negative(spend(22))}), rule.ErrNoOutputs, ""},
		{"sanity failure after a bad signature", make(map[int]*tx.Tx{0: badSig(spend(0)), 28: negative(spend(28))}), rule.ErrNegativeAmount, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var first string
			for _, workers := range []int{1, 2, 3, 16} {
				c, err := Open(t.TempDir(), p, Options{NoSync: true, SigWorkers: workers, Logger: quietLog})
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range prefix {
					if _, err := c.ProcessBlock(b, p.GenesisTime+10_000); err != nil {
						t.Fatal(err)
					}
				}
				_, err = c.ProcessBlock(tc.b, p.GenesisTime+10_000)
				c.Close()
				if code, _ := rule.CodeOf(err); code != tc.code || !strings.Contains(err.Error(), tc.in) {
					t.Fatalf("%d workers: %v, want %v naming %q", workers, err, tc.code, tc.in)
				}
				if first == "" {
					first = err.Error()
				} else if err.Error() != first {
					t.Fatalf("%d workers: %q, with 1 worker: %q", workers, err, first)
				}
			}
		})
	}
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))
