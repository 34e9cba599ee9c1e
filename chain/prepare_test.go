package chain

import (
	"testing"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// preparedChain opens a chain with two workers holding every block of the
// fanned prefix but its last (the fan-out), and returns it with the prefix
// and the fan-out transaction.
func preparedChain(t *testing.T, p *chaincfg.Params, miner chaintest.Key) (*Chain, chaintest.Builder, []*block.Block, *tx.Tx) {
	t.Helper()
	bl, prefix, fan := fannedPrefix(p, miner, 20)
	c, err := Open(t.TempDir(), p, Options{NoSync: true, SigWorkers: 2, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, b := range prefix[:len(prefix)-1] {
		if _, err := c.ProcessBlock(b, p.GenesisTime+10_000); err != nil {
			t.Fatal(err)
		}
	}
	return c, bl, prefix, fan
}

// connectedFan is preparedChain with the fan-out block connected too: it
// returns the chain, the builder, the fan-out block and its spender.
func connectedFan(t *testing.T, p *chaincfg.Params) (*Chain, chaintest.Builder, *block.Block, func(i int) *tx.Tx) {
	t.Helper()
	miner := chaintest.NewKey(1)
	c, bl, prefix, fan := preparedChain(t, p, miner)
	fanBlock := prefix[len(prefix)-1]
	if _, err := c.ProcessBlock(fanBlock, p.GenesisTime+10_000); err != nil {
		t.Fatal(err)
	}
	return c, bl, fanBlock, fanSpender(p, fan, miner)
}

// preparedCount returns how many blocks c holds prepared.
func preparedCount(c *Chain) int {
	c.prep.mu.Lock()
	defer c.prep.mu.Unlock()
	return len(c.prep.blocks)
}

// fanSpender returns a function making the transaction that spends output
// i of fan back to miner, paying a fee of 1000.
func fanSpender(p *chaincfg.Params, fan *tx.Tx, miner chaintest.Key) func(i int) *tx.Tx {
	return func(i int) *tx.Tx {
		s := chaintest.SpendOf(fan, uint32(i), miner)
		return chaintest.SignedTx(p.Name, []chaintest.Spend{s}, []tx.TxOut{{Amount: s.Output.Amount - 1000, PubKey: miner.Pub}})
	}
}

// preparation returns the finished preparation of b.
func preparation(t *testing.T, c *Chain, b *block.Block) *preparedBlock {
	t.Helper()
	c.prep.mu.Lock()
	var p *preparedBlock
	for _, q := range c.prep.blocks {
		if q.hash == b.Hash() {
			p = q
		}
	}
	c.prep.mu.Unlock()
	if p == nil {
		t.Fatalf("block %s is not being prepared", b.Hash())
	}
	<-p.done
	return p
}

// TestPreparationFindsWhatTheBlockSpends prepares the fan-out block and a
// block spending its outputs, and a chain of spends inside itself, before
// either is connected: every signature of the second block must be checked
// ahead, with the outputs found in its parent's preparation and in itself,
// and the connects must then succeed.
func TestPreparationFindsWhatTheBlockSpends(t *testing.T) {
	p := chaincfg.Regtest
	miner := chaintest.NewKey(1)
	c, bl, prefix, fan := preparedChain(t, p, miner)
	fanBlock := prefix[len(prefix)-1]
	a := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(fan, 0, miner)}, []tx.TxOut{{Amount: tx.UnitsPerCoin - 1000, PubKey: miner.Pub}})
	b := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(a, 0, miner), chaintest.SpendOf(fan, 1, miner)}, []tx.TxOut{{Amount: 2*tx.UnitsPerCoin - 3000, PubKey: miner.Pub}})
	next := bl.Next(fanBlock.Header, 103, 3000, a, b)

	c.Prepare(fanBlock)
	c.Prepare(next)
	prep := preparation(t, c, next)
	if prep.saneErr != nil {
		t.Fatalf("sanity: %v", prep.saneErr)
	}
	for i, tx := range next.Txs[1:] {
		for j := range tx.Inputs {
			if prep.first[i+1] < 0 || !prep.verified[prep.first[i+1]+j] {
				t.Fatalf("tx %d input %d was not checked ahead (first %v, verified %v)", i+1, j, prep.first, prep.verified)
			}
		}
	}
	for _, blk := range []*block.Block{fanBlock, next} {
		if _, err := c.ProcessBlock(blk, p.GenesisTime+10_000); err != nil {
			t.Fatal(err)
		}
	}
	if tip := c.Tip(); tip.Hash != next.Hash() {
		t.Fatalf("tip %s, want %s", tip.Hash, next.Hash())
	}
}

// TestPreparedSignatureCountsOnlyForTheOutputsItWasCheckedWith pins when
// the connect takes a signature as checked by the preparation: only when
// the preparation found it valid, for the very outputs the connect finds
// the transaction spends.
func TestPreparedSignatureCountsOnlyForTheOutputsItWasCheckedWith(t *testing.T) {
	p := chaincfg.Regtest
	c, bl, fanBlock, spend := connectedFan(t, p)
	bad := spend(1)
	bad.Inputs[0].Signature[5] ^= 1
	next := bl.Next(fanBlock.Header, 103, 3000, spend(0), bad, spend(2))
	c.Prepare(next)
	prep := preparation(t, c, next)

	// The jobs the connect builds: each transaction's spent outputs as the UTXO set holds them.
	jobsWith := func(change func(i int, outs []tx.TxOut)) []sigJob {
		var jobs []sigJob
		for i, t := range next.Txs[1:] {
			outs := []tx.TxOut{fanBlock.Txs[1].Outputs[i]}
			change(i+1, outs)
			jobs = appendSignatureJobs(jobs, t, t.ID(), outs)
		}
		return jobs
	}
	tests := []struct {
		name   string
		change func(i int, outs []tx.TxOut)
		left   []int // the transactions whose signatures the connect must check
	}{
		{"same outputs", func(int, []tx.TxOut) {}, []int{2}},
		{"another amount spent by tx 3", func(i int, outs []tx.TxOut) {
			if i == 3 {
				outs[0].Amount++
			}
		}, []int{2, 3}},
		{"another key spent by tx 1", func(i int, outs []tx.TxOut) {
			if i == 1 {
				outs[0].PubKey = chaintest.NewKey(9).Pub
			}
		}, []int{1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			left := prep.unchecked(next, jobsWith(tc.change))
			if len(left) != len(tc.left) {
				t.Fatalf("%d signatures left to check, want %d (%v)", len(left), len(tc.left), left)
			}
			for k, i := range tc.left {
				if left[k].txid != next.Txs[i].ID() {
					t.Fatalf("left %v, want transactions %v", left, tc.left)
				}
			}
		})
	}
	// With no preparation every signature is checked.
	if left := (*preparedBlock)(nil).unchecked(next, jobsWith(func(int, []tx.TxOut) {})); len(left) != 3 {
		t.Fatalf("no preparation: %d signatures left to check, want 3", len(left))
	}
	// And the bad signature the preparation found is reported by the connect.
	_, err := c.ProcessBlock(next, p.GenesisTime+10_000)
	if code, _ := rule.CodeOf(err); code != rule.ErrBadSignature {
		t.Fatalf("connect of a prepared block with a bad signature: %v, want %v", err, rule.ErrBadSignature)
	}
}

// TestPreparationIsBoundedAndStopsWithTheChain prepares more blocks than
// the chain keeps and then closes the chain with their work under way:
// only the last two stay prepared, Close waits for the preparing goroutines,
// and Prepare after Close does nothing.
func TestPreparationIsBoundedAndStopsWithTheChain(t *testing.T) {
	p := chaincfg.Regtest
	miner := chaintest.NewKey(1)
	c, bl, prefix, fan := preparedChain(t, p, miner)
	fanBlock := prefix[len(prefix)-1]
	spend := fanSpender(p, fan, miner)
	var blocks []*block.Block
	for i := 0; i < 4; i++ {
		blocks = append(blocks, bl.Next(fanBlock.Header, 103, 1000, spend(i)))
	}
	for _, b := range blocks {
		c.Prepare(b)
		c.Prepare(b) // a second call for the same block does nothing
	}
	c.prep.mu.Lock()
	held := len(c.prep.blocks)
	kept := held == 2 && c.prep.blocks[0].hash == blocks[2].Hash() && c.prep.blocks[1].hash == blocks[3].Hash()
	c.prep.mu.Unlock()
	if !kept {
		t.Fatalf("%d blocks prepared, want the last 2", held)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c.Prepare(blocks[0])
	if n := preparedCount(c); n != 0 {
		t.Fatalf("%d blocks prepared after Close, want 0", n)
	}
}

// TestOneWorkerPreparesNothing: with one worker there is no idle core for a
// preparation to fill.
func TestOneWorkerPreparesNothing(t *testing.T) {
	p := chaincfg.Regtest
	c, err := Open(t.TempDir(), p, Options{NoSync: true, SigWorkers: 1, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Prepare(buildBlocks(p, p.Genesis(), 1, chaintest.NewKey(1))[0])
	if n := preparedCount(c); n != 0 {
		t.Fatalf("%d blocks prepared with one worker, want 0", n)
	}
}

// TestPreparationOfAnotherBlockValueIsNotUsed prepares a block and then
// processes a copy with the same header whose transaction list is
// malleated (its last transaction twice, which leaves the Merkle root as it
// is): the copy must be refused for what it is, as without a preparation,
// and the block itself must connect afterwards.
func TestPreparationOfAnotherBlockValueIsNotUsed(t *testing.T) {
	p := chaincfg.Regtest
	c, bl, fanBlock, spend := connectedFan(t, p)
	next := bl.Next(fanBlock.Header, 103, 2000, spend(0), spend(1))
	malleated := &block.Block{Header: next.Header, Txs: append(append([]*tx.Tx{}, next.Txs...), next.Txs[2])}
	if malleated.Hash() != next.Hash() {
		t.Fatal("the copy does not share the block's hash")
	}
	c.Prepare(next)
	preparation(t, c, next)
	_, err := c.ProcessBlock(malleated, p.GenesisTime+10_000)
	if code, _ := rule.CodeOf(err); code != rule.ErrDuplicateTx {
		t.Fatalf("malleated copy of a prepared block: %v, want %v", err, rule.ErrDuplicateTx)
	}
	if _, err := c.ProcessBlock(next, p.GenesisTime+10_000); err != nil {
		t.Fatalf("the block itself after its malleated copy: %v", err)
	}
}
