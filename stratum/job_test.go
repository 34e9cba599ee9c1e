package stratum

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// solveJob finds a nonce whose header meets d, searching as cmd/miner does.
func solveJob(t testing.TB, j *Job, en1, en2 []byte, d pow.Difficulty) *Share {
	t.Helper()
	s := &Share{Worker: "w", JobID: j.ID, Time: j.Time}
	copy(s.ExtraNonce2[:], en2)
	h := j.Header(en1, en2, j.Time, 0)
	var found bool
	miner.SearchNonces(h.Encode(), 1, miner.TargetBytes(d), nil, nil, func(nonce uint32, _ chainhash.Hash) bool {
		s.Nonce, found = nonce, true
		return false
	})
	if !found {
		t.Fatalf("no nonce meets %s bits", d)
	}
	return s
}

// TestJobBlockPassesChainValidation builds a job from a template with
// mempool transactions, solves it the way a remote miner would (from the
// notify message alone) and checks that the chain accepts the block the
// server assembles, paying the worker.
func TestJobBlockPassesChainValidation(t *testing.T) {
	p := chaincfg.Regtest
	c, err := chain.Open(t.TempDir(), p, chain.Options{NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pool := mempool.New(p, c, mempool.Config{})
	k := chaintest.NewKey(1)
	now := time.Now().Unix()
	for i := 0; i < 102; i++ {
		tmpl := miner.NewTemplate(p, c, nil, k.Pub, 0, now)
		if !miner.Solve(tmpl, 1, nil, nil) {
			t.Fatal("search stopped")
		}
		if _, err := c.ProcessBlock(tmpl.Block, now); err != nil {
			t.Fatal(err)
		}
	}
	// Three spends make a tree of four leaves: the branch has two levels.
	for h := uint64(1); h <= 2; h++ {
		hash, _ := c.HashAtHeight(h)
		b, _, _ := c.BlockByHash(hash)
		spend := chaintest.SignedTx(p.Name, []chaintest.Spend{chaintest.SpendOf(b.Txs[0], 0, k)}, []tx.TxOut{{Amount: 49 * tx.UnitsPerCoin, PubKey: k.Pub}})
		if _, err := pool.Accept(spend); err != nil {
			t.Fatal(err)
		}
	}
	w := newWork(miner.NewTemplate(p, c, pool, [32]byte{}, 0, now))
	if len(w.txs) != 2 || len(w.branch) != 2 {
		t.Fatalf("work has %d transactions and a branch of %d, want 2 and 2", len(w.txs), len(w.branch))
	}
	payTo := chaintest.NewKey(2).Pub
	sent := w.job("7", Solo{}.Outputs(payTo, w.reward), true)
	// The miner sees only the JSON.
	raw, err := json.Marshal(sent.notifyParams())
	if err != nil {
		t.Fatal(err)
	}
	j, err := DecodeJob(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(j, sent) {
		t.Fatalf("job changed on the wire:\nsent %+v\ngot  %+v", sent, j)
	}
	en1 := []byte{0xde, 0xad, 0xbe, 0xef}
	en2 := []byte{0, 0, 0, 9}
	s := solveJob(t, j, en1, en2, j.Difficulty)
	res, e := checkShare(sent, w, en1, s, 20*pow.One)
	if e != nil {
		t.Fatal(e)
	}
	if res.block == nil {
		t.Fatal("a share meeting the block difficulty did not make a block")
	}
	mh := j.Header(en1, en2, s.Time, s.Nonce)
	if got := mh.Hash(); got != res.block.Hash() {
		t.Fatalf("miner's header hashes to %s, node's block to %s", got, res.block.Hash())
	}
	if want := block.ComputeMerkleRoot(res.block.Txs); res.block.Header.MerkleRoot != want {
		t.Fatalf("branch root %s, block's Merkle root %s", res.block.Header.MerkleRoot, want)
	}
	cb := res.block.Txs[0].Coinbase
	if want := binary.LittleEndian.Uint64([]byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9}); cb.ExtraNonce != want {
		t.Fatalf("coinbase extra nonce %x, want %x (extra nonce 1 then 2)", cb.ExtraNonce, want)
	}
	if _, err := c.ProcessBlock(res.block, now); err != nil {
		t.Fatalf("chain rejected the pool's block: %v", err)
	}
	if tip := c.Tip(); tip.Hash != res.block.Hash() {
		t.Fatal("the pool's block is not the tip")
	}
	out := res.block.Txs[0].Outputs
	if len(out) != 1 || out[0].PubKey != payTo || out[0].Amount != w.reward {
		t.Fatalf("coinbase outputs %+v, want the whole reward %d to the worker", out, w.reward)
	}
	if w.reward <= p.Subsidy(w.height) {
		t.Fatalf("reward %d does not include the fees", w.reward)
	}
}
