package chain_test

import (
	"testing"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// A block of many transactions has its Merkle root checked over pieces
// hashed on several workers: a block whose root commits to its
// transactions is sane, and one with two transactions swapped is not, for
// sizes around the pieces' edges.
func TestMerkleRootOfManyTransactions(t *testing.T) {
	p := chaincfg.Regtest
	key := chaintest.NewKey(3)
	bl := chaintest.Builder{Params: p, Miner: key}
	var txs []*tx.Tx
	for i := range 100 {
		prev := chaintest.Coinbase(uint64(1000+i), key.Pub, 1000)
		txs = append(txs, chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(prev, 0, key)}, []tx.TxOut{{Amount: 900, PubKey: key.Pub}}))
	}
	for _, n := range []int{1, 30, 31, 32, 33, 63, 64, 65, 100} {
		b := bl.Next(p.Genesis().Header, 1, 0, txs[:n-1]...)
		if len(b.Txs) != n {
			t.Fatalf("built a block of %d transactions, want %d", len(b.Txs), n)
		}
		if err := chain.CheckBlockSanity(p, b); err != nil {
			t.Fatalf("%d transactions: %v", n, err)
		}
		if n < 3 {
			continue
		}
		b.Txs[1], b.Txs[n-1] = b.Txs[n-1], b.Txs[1]
		chaintest.Solve(&b.Header) // same root in the header: it no longer matches
		if code, _ := rule.CodeOf(chain.CheckBlockSanity(p, b)); code != rule.ErrBadMerkleRoot {
			t.Fatalf("%d transactions, two swapped: got code %v, want bad merkle root", n, code)
		}
	}
}
