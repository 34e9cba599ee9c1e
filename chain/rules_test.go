package chain_test

import (
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// ruleCase builds a block on a chain of 100 blocks (so the coinbase of
// height 1 is spendable in the next block) and names the rule it breaks;
// code 0 means the block must be accepted as the new tip.
type ruleCase struct {
	name  string
	code  rule.Code
	build func(h *harness) *block.Block
}

const fee = 1000

func other(h *harness) [32]byte { return chaintest.NewKey(42).Pub }

// withTx returns the next block carrying txs, with the coinbase claiming fees.
func withTx(h *harness, fees int64, txs ...*tx.Tx) *block.Block { return h.next(fees, txs...) }

// mutate applies f to the next block's header and re-mines it.
func mutateHeader(h *harness, f func(*block.Header)) *block.Block {
	b := h.next(0)
	f(&b.Header)
	chaintest.Solve(&b.Header)
	return b
}

// spendWith builds a one-input transaction from cb1 with the given outputs.
func spendWith(h *harness, outs ...tx.TxOut) *tx.Tx {
	return chaintest.SignedTx(h.params.Name, []chaintest.Spend{h.coinbaseSpend(1)}, outs)
}

func headerCases() []ruleCase {
	return []ruleCase{
		{"hash above target", rule.ErrHighHash, func(h *harness) *block.Block {
			b := h.next(0)
			chaintest.Unsolve(&b.Header)
			return b
		}},
		{"wrong difficulty for its height", rule.ErrBadDifficulty, func(h *harness) *block.Block {
			return mutateHeader(h, func(hd *block.Header) { hd.Difficulty = 2 * pow.One })
		}},
		{"unknown parent", rule.ErrUnknownParent, func(h *harness) *block.Block {
			return mutateHeader(h, func(hd *block.Header) { hd.Prev = chainhash.Hash{1} })
		}},
		{"descendant of an invalid block", rule.ErrInvalidAncestor, func(h *harness) *block.Block {
			bad := h.next(1) // coinbase claims one unit too many: fails to connect
			if _, err := h.c.ProcessBlock(bad, h.now); codeOf(err) != rule.ErrBadCoinbaseValue {
				h.t.Fatalf("setup: invalid parent gave %v", err)
			}
			return h.b.Next(bad.Header, h.height()+2, 0)
		}},
		{"timestamp equal to median time past", rule.ErrTimeTooOld, func(h *harness) *block.Block {
			mtp := h.c.Tip().MedianTime
			return mutateHeader(h, func(hd *block.Header) { hd.Time = mtp })
		}},
		{"timestamp median time past plus one", 0, func(h *harness) *block.Block {
			mtp := h.c.Tip().MedianTime
			return mutateHeader(h, func(hd *block.Header) { hd.Time = mtp + 1 })
		}},
		{"timestamp beyond the future limit", rule.ErrTimeTooNew, func(h *harness) *block.Block {
			return mutateHeader(h, func(hd *block.Header) { hd.Time = h.now + h.params.MaxFutureDrift + 1 })
		}},
		{"timestamp exactly at the future limit", 0, func(h *harness) *block.Block {
			return mutateHeader(h, func(hd *block.Header) { hd.Time = h.now + h.params.MaxFutureDrift })
		}},
		{"difficulty below the required one", rule.ErrBadDifficulty, func(h *harness) *block.Block {
			return mutateHeader(h, func(hd *block.Header) { hd.Difficulty = pow.One / 2 })
		}},
		{"unsupported version", rule.ErrBadVersion, func(h *harness) *block.Block {
			return mutateHeader(h, func(hd *block.Header) { hd.Version = 2 })
		}},
	}
}

func blockCases() []ruleCase {
	return []ruleCase{
		{"no transactions", rule.ErrNoTransactions, func(h *harness) *block.Block {
			b := h.next(0)
			b.Txs = nil
			chaintest.Remine(b)
			return b
		}},
		{"first transaction not a coinbase", rule.ErrFirstNotCoinbase, func(h *harness) *block.Block {
			b := h.next(0, h.pay(h.coinbaseSpend(1), fee))
			b.Txs = b.Txs[1:]
			chaintest.Remine(b)
			return b
		}},
		{"two coinbases", rule.ErrMultipleCoinbases, func(h *harness) *block.Block {
			b := h.next(0)
			extra := chaintest.Coinbase(h.height()+1, other(h), 1)
			extra.Coinbase.ExtraNonce = 7
			b.Txs = append(b.Txs, extra)
			chaintest.Remine(b)
			return b
		}},
		{"bad merkle root", rule.ErrBadMerkleRoot, func(h *harness) *block.Block {
			b := h.next(0)
			b.Header.MerkleRoot[0] ^= 1
			chaintest.Solve(&b.Header)
			return b
		}},
		{"duplicate transaction", rule.ErrDuplicateTx, func(h *harness) *block.Block {
			t := h.pay(h.coinbaseSpend(1), fee)
			return withTx(h, 2*fee, t, t)
		}},
		{"coinbase paying subsidy plus fees plus one", rule.ErrBadCoinbaseValue, func(h *harness) *block.Block {
			return withTx(h, fee+1, h.pay(h.coinbaseSpend(1), fee))
		}},
		{"coinbase paying exactly subsidy plus fees", 0, func(h *harness) *block.Block {
			return withTx(h, fee, h.pay(h.coinbaseSpend(1), fee))
		}},
		{"coinbase paying less than allowed", 0, func(h *harness) *block.Block {
			b := h.next(0)
			b.Txs[0].Outputs[0].Amount--
			chaintest.Remine(b)
			return b
		}},
		{"coinbase with no outputs", rule.ErrNoOutputs, func(h *harness) *block.Block {
			b := h.next(0)
			b.Txs[0].Outputs = nil
			chaintest.Remine(b)
			return b
		}},
		{"coinbase with a negative output", rule.ErrNegativeAmount, func(h *harness) *block.Block {
			b := h.next(0)
			b.Txs[0].Outputs = append(b.Txs[0].Outputs, tx.TxOut{Amount: -5, PubKey: other(h)})
			chaintest.Remine(b)
			return b
		}},
		{"coinbase with the wrong height", rule.ErrBadCoinbaseHeight, func(h *harness) *block.Block {
			b := h.next(0)
			b.Txs[0].Coinbase.Height++
			chaintest.Remine(b)
			return b
		}},
		{"coinbase with inputs", rule.ErrCoinbaseHasInputs, func(h *harness) *block.Block {
			b := h.next(0)
			b.Txs[0].Inputs = []tx.TxIn{{Prev: chaintest.OutPointOf(h.main[1].Txs[0], 0)}}
			chaintest.Remine(b)
			return b
		}},
		{"coinbase spent one block before maturity", rule.ErrImmatureSpend, func(h *harness) *block.Block {
			return withTx(h, fee, h.pay(h.coinbaseSpend(2), fee))
		}},
		{"coinbase spent at maturity", 0, func(h *harness) *block.Block {
			return withTx(h, fee, h.pay(h.coinbaseSpend(1), fee))
		}},
	}
}

func txCases() []ruleCase {
	cb1 := func(h *harness) int64 { return h.coinbaseSpend(1).Output.Amount }
	return []ruleCase{
		{"transaction with no inputs", rule.ErrNoInputs, func(h *harness) *block.Block {
			return withTx(h, 0, &tx.Tx{Version: 1, Outputs: []tx.TxOut{{Amount: 1, PubKey: other(h)}}})
		}},
		{"transaction with no outputs", rule.ErrNoOutputs, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h))
		}},
		{"the same input twice", rule.ErrDuplicateInput, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			return withTx(h, 0, chaintest.SignedTx(h.params.Name, []chaintest.Spend{s, s}, []tx.TxOut{{Amount: 1, PubKey: other(h)}}))
		}},
		{"negative amount", rule.ErrNegativeAmount, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h, tx.TxOut{Amount: -1, PubKey: other(h)}))
		}},
		{"zero amount", rule.ErrZeroAmount, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h, tx.TxOut{Amount: 0, PubKey: other(h)}))
		}},
		{"smallest positive amount", 0, func(h *harness) *block.Block {
			return withTx(h, cb1(h)-1, spendWith(h, tx.TxOut{Amount: 1, PubKey: other(h)}))
		}},
		{"amount above the money supply", rule.ErrAmountTooLarge, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h, tx.TxOut{Amount: tx.MaxMoney + 1, PubKey: other(h)}))
		}},
		{"outputs overflowing the money supply", rule.ErrTotalOverflow, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h, tx.TxOut{Amount: tx.MaxMoney, PubKey: other(h)}, tx.TxOut{Amount: tx.MaxMoney, PubKey: other(h)}))
		}},
		{"outputs above inputs", rule.ErrOutputsExceedInputs, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h, tx.TxOut{Amount: cb1(h) + 1, PubKey: other(h)}))
		}},
		{"outputs exactly equal to inputs", 0, func(h *harness) *block.Block {
			return withTx(h, 0, spendWith(h, tx.TxOut{Amount: cb1(h), PubKey: other(h)}))
		}},
		{"bad signature", rule.ErrBadSignature, func(h *harness) *block.Block {
			t := h.pay(h.coinbaseSpend(1), fee)
			t.Inputs[0].Signature[10] ^= 0x40
			return withTx(h, fee, t)
		}},
		{"output amount changed after signing", rule.ErrBadSignature, func(h *harness) *block.Block {
			t := h.pay(h.coinbaseSpend(1), fee)
			t.Outputs[0].Amount--
			return withTx(h, fee+1, t)
		}},
		{"signature from another key", rule.ErrBadSignature, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			s.Key = chaintest.NewKey(7)
			return withTx(h, fee, h.pay(s, fee))
		}},
		{"signature for another network", rule.ErrBadSignature, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			t := chaintest.SignedTx(chaincfg.Testnet.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - fee, PubKey: other(h)}})
			return withTx(h, fee, t)
		}},
		{"two inputs spending two outputs", 0, func(h *harness) *block.Block {
			h.extend(1)
			ins := []chaintest.Spend{h.coinbaseSpend(1), h.coinbaseSpend(2)}
			total := ins[0].Output.Amount + ins[1].Output.Amount
			return withTx(h, fee, chaintest.SignedTx(h.params.Name, ins, []tx.TxOut{{Amount: total - fee, PubKey: other(h)}}))
		}},
		{"spend of a missing output", rule.ErrMissingInput, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			s.OutPoint.TxID = chainhash.Hash{9}
			return withTx(h, fee, h.pay(s, fee))
		}},
		{"spend of an output index out of range", rule.ErrOutputIndexRange, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			s.OutPoint.Index = 1
			return withTx(h, fee, h.pay(s, fee))
		}},
		{"spend of the null outpoint", rule.ErrNullInput, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			s.OutPoint = tx.OutPoint{}
			return withTx(h, fee, h.pay(s, fee))
		}},
		{"spend of an already spent output", rule.ErrSpentInput, func(h *harness) *block.Block {
			h.extend(1, h.pay(h.coinbaseSpend(1), fee))
			s := h.coinbaseSpend(1)
			t := chaintest.SignedTx(h.params.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 2*fee, PubKey: other(h)}})
			return withTx(h, 2*fee, t)
		}},
	}
}

func orderCases() []ruleCase {
	return []ruleCase{
		{"spend of an earlier transaction's output in the same block", 0, func(h *harness) *block.Block {
			first := h.pay(h.coinbaseSpend(1), fee)
			second := chaintest.SignedTx(h.params.Name, []chaintest.Spend{chaintest.SpendOf(first, 0, chaintest.NewKey(99))},
				[]tx.TxOut{{Amount: first.Outputs[0].Amount - fee, PubKey: other(h)}})
			return withTx(h, 2*fee, first, second)
		}},
		{"spend of a later transaction's output in the same block", rule.ErrSpendsLaterTx, func(h *harness) *block.Block {
			first := h.pay(h.coinbaseSpend(1), fee)
			second := chaintest.SignedTx(h.params.Name, []chaintest.Spend{chaintest.SpendOf(first, 0, chaintest.NewKey(99))},
				[]tx.TxOut{{Amount: first.Outputs[0].Amount - fee, PubKey: other(h)}})
			return withTx(h, 2*fee, second, first)
		}},
		{"double spend inside the block", rule.ErrDoubleSpendInBlock, func(h *harness) *block.Block {
			s := h.coinbaseSpend(1)
			a := h.pay(s, fee)
			b := chaintest.SignedTx(h.params.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - fee, PubKey: other(h)}})
			return withTx(h, 2*fee, a, b)
		}},
	}
}

func TestBlockRules(t *testing.T) {
	var cases []ruleCase
	for _, group := range [][]ruleCase{headerCases(), blockCases(), txCases(), orderCases()} {
		cases = append(cases, group...)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.extend(100)
			before := h.c.Tip()
			b := tc.build(h)
			res, err := h.c.ProcessBlock(b, h.now)
			if got := codeOf(err); got != tc.code || (tc.code == 0 && err != nil) {
				t.Fatalf("got error %v (code %v), want code %v", err, got, tc.code)
			}
			if tc.code == 0 {
				if !res.MainChain || h.c.Tip().Hash != b.Hash() {
					t.Fatalf("valid block did not become the tip")
				}
				return
			}
			if after := h.c.Tip(); after.Hash != before.Hash && after.Height == before.Height {
				t.Fatalf("tip moved from %s to %s on an invalid block", before.Hash, after.Hash)
			}
		})
	}
	if len(cases) < 45 {
		t.Fatalf("only %d rule cases; the table must cover at least 45", len(cases))
	}
}

func TestBlockSizeLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		slack int
		code  rule.Code
	}{
		{"size exactly at the limit", 0, 0},
		{"size one byte over the limit", -1, rule.ErrBlockTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := chaincfg.Regtest
			probe := newHarnessWith(t, base)
			b := probe.next(0)
			// A coinbase with many outputs makes a large block; the limit is set to its size.
			for i := 0; i < 20000; i++ {
				b.Txs[0].Outputs = append(b.Txs[0].Outputs, tx.TxOut{Amount: 1, PubKey: other(probe)})
			}
			b.Txs[0].Outputs[0].Amount -= 20000
			chaintest.Remine(b)
			p := *base
			p.MaxBlockSize = b.Size() + tc.slack
			h := newHarnessWith(t, &p)
			_, err := h.c.ProcessBlock(b, h.now)
			if got := codeOf(err); got != tc.code || (tc.code == 0 && err != nil) {
				t.Fatalf("block of %d bytes with limit %d: got %v, want code %v", b.Size(), p.MaxBlockSize, err, tc.code)
			}
		})
	}
}

func TestNonCanonicalEncodingsAreRejected(t *testing.T) {
	h := newHarness(t)
	b := h.next(0)
	enc := b.Encode()
	if _, err := chain.DecodeBlock(enc); err != nil {
		t.Fatalf("canonical block rejected: %v", err)
	}
	// The transaction count (1) re-encoded as a 3-byte varint.
	long := append(append(append([]byte{}, enc[:block.HeaderSize]...), 0xfd, 0x01, 0x00), enc[block.HeaderSize+1:]...)
	if _, err := chain.DecodeBlock(long); codeOf(err) != rule.ErrNonCanonical {
		t.Fatalf("long varint: got %v, want non-canonical", err)
	}
	if _, err := chain.DecodeBlock(append(enc, 0)); codeOf(err) != rule.ErrMalformed {
		t.Fatalf("trailing byte: got %v, want malformed", err)
	}
	if _, err := chain.DecodeBlock(enc[:len(enc)-1]); codeOf(err) != rule.ErrMalformed {
		t.Fatalf("truncated: got %v, want malformed", err)
	}
}
