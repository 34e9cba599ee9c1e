package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// maxGenerate bounds one generate call.
const maxGenerate = 10_000

// backend serves the RPC from a node.
type backend struct{ n *Node }

func (b *backend) Metrics() http.Handler { return b.n.metrics.handler() }

func (b *backend) Status(ctx context.Context) (*rpc.StatusResult, error) {
	n := b.n
	tip := n.chain.Tip()
	syncing, prog := n.sync.isSyncing()
	res := &rpc.StatusResult{
		Network: n.params.Name, Height: tip.Height, Tip: tip.Hash.String(), ChainWork: tip.Work.Text(16),
		Peers: len(n.host.Peers()), MempoolTxs: n.pool.Count(), Mining: n.miner != nil,
		Syncing: syncing, SyncProgress: prog,
	}
	if n.miner != nil {
		res.Hashrate, res.HashratePerThread = n.miner.HashRate()
	}
	n.fillStatus(res)
	return res, nil
}

func (b *backend) Generate(ctx context.Context, req rpc.GenerateRequest) (*rpc.GenerateResult, error) {
	n := b.n
	if n.params.Name != "regtest" {
		return nil, rpc.BadRequest("generate is only available on regtest; this node runs %s", n.params.Name)
	}
	if req.N <= 0 || req.N > maxGenerate {
		return nil, rpc.BadRequest("number of blocks must be between 1 and %d, got %d", maxGenerate, req.N)
	}
	payTo, err := tx.DecodeAddress(n.params.AddressHRP, req.To)
	if err != nil {
		return nil, rpc.BadRequest("address %q: %v", req.To, err)
	}
	res := &rpc.GenerateResult{Blocks: []string{}}
	for i := 0; i < req.N; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tmpl := miner.NewTemplate(n.params, n.chain, n.pool, payTo, uint64(i), now())
		if !miner.Solve(tmpl, runtime.NumCPU(), nil, nil) {
			return nil, fmt.Errorf("generate: search stopped")
		}
		if err := n.submitLocalBlock(ctx, tmpl.Block); err != nil {
			return nil, fmt.Errorf("generate: block %d: %w", i, err)
		}
		res.Blocks = append(res.Blocks, tmpl.Block.Hash().String())
	}
	return res, nil
}

func (b *backend) Block(ctx context.Context, id string) (*rpc.BlockResult, error) {
	c := b.n.chain
	var hash chainhash.Hash
	if height, err := strconv.ParseUint(id, 10, 64); err == nil && len(id) < 20 {
		if hash, err = c.HashAtHeight(height); err != nil {
			return nil, rpc.NotFound("no block at height %d (tip is %d)", height, c.Tip().Height)
		}
	} else if hash, err = chainhash.Parse(id); err != nil {
		return nil, rpc.BadRequest("%q is neither a height nor a 64-hex-digit block hash", id)
	}
	blk, info, err := c.BlockByHash(hash)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, rpc.NotFound("block %s not found", hash)
	}
	if err != nil {
		return nil, err
	}
	res := &rpc.BlockResult{
		Hash: hash.String(), Height: info.Height, Prev: blk.Header.Prev.String(), MerkleRoot: blk.Header.MerkleRoot.String(),
		Time: blk.Header.Time, Bits: uint32(blk.Header.Difficulty), Difficulty: blk.Header.Difficulty.Bits(),
		Nonce: blk.Header.Nonce, Confirmations: info.Confirmations, MainChain: info.MainChain,
	}
	for _, t := range blk.Txs {
		res.TxIDs = append(res.TxIDs, t.ID().String())
	}
	return res, nil
}

func (b *backend) address(pub [32]byte) string { return tx.EncodeAddress(b.n.params.AddressHRP, pub) }

func (b *backend) Tx(ctx context.Context, id string) (*rpc.TxResult, error) {
	n := b.n
	txid, err := chainhash.Parse(id)
	if err != nil {
		return nil, rpc.BadRequest("%q is not a 64-hex-digit txid", id)
	}
	if e, ok := n.pool.Get(txid); ok {
		res := b.describeTx(e.Tx)
		res.Fee = e.Fee
		return res, nil
	}
	t, info, err := n.chain.TxByID(txid)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, rpc.NotFound("transaction %s is neither in the mempool nor on the main chain", txid)
	}
	if err != nil {
		return nil, err
	}
	res := b.describeTx(t)
	hash := info.Block.Hash.String()
	height := info.Block.Height
	res.Block, res.Height, res.Confirmations = &hash, &height, info.Block.Confirmations
	if !t.IsCoinbase() {
		var in int64
		for _, i := range res.Inputs {
			in += i.Amount
		}
		out, _ := t.OutputTotal()
		res.Fee = in - out
	}
	return res, nil
}

// describeTx renders a transaction, looking up the outputs its inputs spend
// (in the mempool or on the main chain) for their amounts and addresses.
func (b *backend) describeTx(t *tx.Tx) *rpc.TxResult {
	res := &rpc.TxResult{TxID: t.ID().String(), Coinbase: t.IsCoinbase(), Inputs: []rpc.TxInput{}, Size: t.Size(), Hex: hex.EncodeToString(t.Encode())}
	for _, in := range t.Inputs {
		ri := rpc.TxInput{TxID: in.Prev.TxID.String(), Vout: in.Prev.Index}
		if out, ok := b.spentOutput(in.Prev); ok {
			ri.Amount, ri.Address = out.Amount, b.address(out.PubKey)
		}
		res.Inputs = append(res.Inputs, ri)
	}
	for _, o := range t.Outputs {
		res.Outputs = append(res.Outputs, rpc.TxOutput{Amount: o.Amount, Address: b.address(o.PubKey)})
	}
	return res
}

// spentOutput finds the output op refers to, whether or not it is spent now.
func (b *backend) spentOutput(op tx.OutPoint) (tx.TxOut, bool) {
	if e, ok := b.n.pool.Get(op.TxID); ok && int(op.Index) < len(e.Tx.Outputs) {
		return e.Tx.Outputs[op.Index], true
	}
	if t, _, err := b.n.chain.TxByID(op.TxID); err == nil && int(op.Index) < len(t.Outputs) {
		return t.Outputs[op.Index], true
	}
	return tx.TxOut{}, false
}

func (b *backend) Peers(ctx context.Context) (*rpc.PeersResult, error) {
	res := &rpc.PeersResult{Peers: []rpc.PeerResult{}}
	mesh := b.n.host.PeerMesh()
	for _, p := range b.n.host.Peers() {
		res.Peers = append(res.Peers, rpc.PeerResult{ID: p.ID.String(), Addr: p.Addr, Height: b.n.sync.heightOf(p.ID), Mesh: mesh[p.ID]})
	}
	return res, nil
}

func (b *backend) SendRaw(ctx context.Context, req rpc.SendRawRequest) (*rpc.SendRawResult, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(req.Hex))
	if err != nil {
		return nil, rpc.BadRequest("transaction is not hex: %v", err)
	}
	t, err := chain.DecodeTx(raw)
	if err != nil {
		return nil, rpc.BadRequest("transaction does not decode: %v", err)
	}
	id := t.ID()
	err = b.n.submitTx(ctx, t)
	switch {
	case err == nil, errors.Is(err, mempool.ErrAlreadyHave):
		// Resubmitting a transaction the node has is a success: retries never pay twice.
		return &rpc.SendRawResult{TxID: id.String()}, nil
	case errors.Is(err, mempool.ErrOrphan):
		return nil, rpc.Rejected("missing-inputs", "%v", err)
	case errors.Is(err, mempool.ErrConflict):
		return nil, rpc.Rejected("mempool-conflict", "%v", err)
	case errors.Is(err, mempool.ErrReplacement):
		return nil, rpc.Rejected("replacement-refused", "%v", err)
	case errors.Is(err, mempool.ErrTooLongChain):
		return nil, rpc.Rejected("too-long-mempool-chain", "%v", err)
	case errors.Is(err, mempool.ErrFeeTooLow):
		return nil, rpc.Rejected("fee-too-low", "%v", err)
	case errors.Is(err, mempool.ErrPoolFull):
		return nil, rpc.Rejected("mempool-full", "%v", err)
	case errors.Is(err, mempool.ErrCoinbase):
		return nil, rpc.Rejected("coinbase", "%v", err)
	}
	if code, ok := rule.CodeOf(err); ok {
		return nil, rpc.Rejected(code.String(), "%v", err)
	}
	return nil, err
}

// EstimateFee suggests a fee rate for confirmation within target blocks (see mempool.EstimateFee).
func (b *backend) EstimateFee(ctx context.Context, target int) (*rpc.FeeRateResult, error) {
	e := b.n.pool.EstimateFee(target)
	return &rpc.FeeRateResult{FeeRate: e.FeeRate, MinFeeRate: b.n.pool.MinFeeRate(), Target: e.Target, Samples: e.Samples}, nil
}

func (b *backend) FeeRate(ctx context.Context) (*rpc.FeeRateResult, error) {
	return &rpc.FeeRateResult{FeeRate: b.n.pool.EstimateFeeRate(), MinFeeRate: b.n.pool.MinFeeRate()}, nil
}
