package chain

import (
	"fmt"
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
	const outputs = 40
	bl, prefix, fan := fannedPrefix(p, miner, outputs)
	fanBlock := prefix[len(prefix)-1]

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
	defer func(on bool) { parallelInputs = on }(parallelInputs)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var first string
			for _, run := range connectRuns() {
				parallelInputs = run.parallel
				_, err := connectAfter(t, p, run.workers, run.prepare, prefix, tc.b)
				if code, _ := rule.CodeOf(err); code != tc.code || !strings.Contains(err.Error(), tc.in) {
					t.Fatalf("%s: %v, want %v naming %q", run, err, tc.code, tc.in)
				}
				if first == "" {
					first = err.Error()
				} else if err.Error() != first {
					t.Fatalf("%s: %q, serially on 1 worker: %q", run, err, first)
				}
			}
		})
	}
}

// fannedPrefix returns a builder and the blocks of a chain whose last block
// holds fan, a transaction paying outputs outputs of one coin to miner,
// spendable in the block after them.
func fannedPrefix(p *chaincfg.Params, miner chaintest.Key, outputs int) (chaintest.Builder, []*block.Block, *tx.Tx) {
	bl := chaintest.Builder{Params: p, Miner: miner}
	prefix := buildBlocks(p, p.Genesis(), 101, miner)
	outs := make([]tx.TxOut, outputs)
	for i := range outs {
		outs[i] = tx.TxOut{Amount: tx.UnitsPerCoin, PubKey: miner.Pub}
	}
	fan := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(prefix[0].Txs[0], 0, miner)}, outs)
	fanOut, _ := fan.OutputTotal()
	return bl, append(prefix, bl.Next(prefix[100].Header, 102, 50*tx.UnitsPerCoin-fanOut, fan)), fan
}

// connectRun is one way of connecting a block: with the inputs checked in
// parallel or serially alone, on some workers, prepared ahead or not.
type connectRun struct {
	parallel, prepare bool
	workers           int
}

func (r connectRun) String() string {
	return fmt.Sprintf("parallel inputs %v, %d workers, prepared %v", r.parallel, r.workers, r.prepare)
}

// connectRuns lists every way of connecting a block the verdict must not
// depend on, the serial check on one worker first.
func connectRuns() []connectRun {
	var runs []connectRun
	for _, prepare := range []bool{false, true} {
		for _, parallel := range []bool{false, true} {
			for _, workers := range []int{1, 2, 3, 16} {
				runs = append(runs, connectRun{parallel: parallel, prepare: prepare, workers: workers})
			}
		}
	}
	return runs
}

// connectAfter connects prefix, then b, on a new chain with the given
// workers, and returns what the store holds afterwards and b's error. With
// prepare, the last block of prefix and b are prepared (see Prepare) before
// either is processed, as the sync prepares the next block: b's spent
// outputs are then found in its parent's preparation, not in the store.
func connectAfter(t *testing.T, p *chaincfg.Params, workers int, prepare bool, prefix []*block.Block, b *block.Block) (map[string][]byte, error) {
	t.Helper()
	c, err := Open(t.TempDir(), p, Options{NoSync: true, SigWorkers: workers, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	last := len(prefix) - 1
	for _, b := range prefix[:last] {
		if _, err := c.ProcessBlock(b, p.GenesisTime+10_000); err != nil {
			t.Fatal(err)
		}
	}
	if prepare {
		c.Prepare(prefix[last])
		c.Prepare(b)
	}
	if _, err := c.ProcessBlock(prefix[last], p.GenesisTime+10_000); err != nil {
		t.Fatal(err)
	}
	_, err = c.ProcessBlock(b, p.GenesisTime+10_000)
	return storeContents(t, c), err
}

// TestParallelInputCheckMatchesSerial connects blocks whose transactions
// spend each other's outputs, validly and in each way that breaks a rule,
// with the inputs checked in parallel and serially alone, on 1 to 16
// workers: every run must reach the same verdict with the same error, and a
// valid block must leave the same store.
func TestParallelInputCheckMatchesSerial(t *testing.T) {
	p := chaincfg.Regtest
	miner := chaintest.NewKey(1)
	bl, prefix, fan := fannedPrefix(p, miner, 20)
	fanBlock := prefix[len(prefix)-1]

	// pay spends the given outputs to two outputs, paying a fee of 1000.
	pay := func(spends ...chaintest.Spend) *tx.Tx {
		var in int64
		for _, s := range spends {
			in += s.Output.Amount
		}
		return chaintest.SignedTx(p.Name, spends, []tx.TxOut{{Amount: in/2 - 1000, PubKey: miner.Pub}, {Amount: in - in/2, PubKey: chaintest.NewKey(7).Pub}})
	}
	fanSpend := func(i int) chaintest.Spend { return chaintest.SpendOf(fan, uint32(i), miner) }
	next := func(txs ...*tx.Tx) *block.Block { return bl.Next(fanBlock.Header, 103, 1000*int64(len(txs)), txs...) }

	a := pay(fanSpend(0))
	b := pay(chaintest.SpendOf(a, 0, miner), fanSpend(1))
	c := pay(chaintest.SpendOf(b, 0, miner), chaintest.SpendOf(a, 1, chaintest.NewKey(7)))
	later := pay(fanSpend(2))
	beyond := chaintest.SpendOf(a, 0, miner)
	beyond.OutPoint.Index = 5
	overspend := chaintest.SpendOf(a, 0, miner)
	overspend.Output.Amount *= 4 // signs for more than the output holds: outputs exceed inputs
	// The coinbase of a block of two transactions paying 1000 each: the same as that of the block spending it.
	coinbase := next(pay(fanSpend(3)), pay(fanSpend(10))).Txs[0]
	tests := []struct {
		name string
		b    *block.Block
		code rule.Code // 0: valid
	}{
		{"chain of spends within the block", next(a, b, c, pay(fanSpend(4)), pay(fanSpend(5))), 0},
		{"spends a later transaction's output", next(pay(fanSpend(6)), pay(chaintest.SpendOf(later, 0, miner)), later), rule.ErrSpendsLaterTx},
		{"spends an output of the block twice", next(a, b, pay(chaintest.SpendOf(a, 0, miner), fanSpend(7))), rule.ErrDoubleSpendInBlock},
		{"spends a stored output twice", next(a, pay(fanSpend(8)), pay(fanSpend(8), fanSpend(9))), rule.ErrDoubleSpendInBlock},
		{"spends past an earlier transaction's outputs", next(a, pay(beyond)), rule.ErrOutputIndexRange},
		{"spends more than an output of the block holds", next(a, pay(overspend)), rule.ErrOutputsExceedInputs},
		{"spends the block's coinbase", next(pay(fanSpend(3)), pay(chaintest.SpendOf(coinbase, 0, miner))), rule.ErrImmatureSpend},
		{"bad input after an in-block double spend", next(a, b, pay(chaintest.SpendOf(a, 0, miner)), pay(beyond)), rule.ErrDoubleSpendInBlock},
	}
	defer func(on bool) { parallelInputs = on }(parallelInputs)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var first string
			var firstStore map[string][]byte
			for _, run := range connectRuns() {
				parallelInputs = run.parallel
				store, err := connectAfter(t, p, run.workers, run.prepare, prefix, tc.b)
				if code, _ := rule.CodeOf(err); code != tc.code || (tc.code == 0) != (err == nil) {
					t.Fatalf("%s: %v, want %v", run, err, tc.code)
				}
				if first == "" && firstStore == nil {
					first, firstStore = fmt.Sprint(err), store
					continue
				}
				if fmt.Sprint(err) != first {
					t.Fatalf("%s: %v, serially on 1 worker: %s", run, err, first)
				}
				sameContents(t, run.String(), store, firstStore)
			}
		})
	}
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))
