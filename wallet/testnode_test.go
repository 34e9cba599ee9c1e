package wallet

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
)

// testNode is a small node for wallet tests: it answers scans from a list of
// outputs and keeps a mempool of what is submitted (spent inputs are marked,
// new outputs appear unconfirmed), with replacement of conflicting
// transactions. failNext makes the next SendRaw fail as a timeout would.
type testNode struct {
	network  string
	utxos    []rpc.UTXO
	txs      map[string]*rpc.TxResult
	sent     []string
	failNext bool
	feeRate  int64
}

func newTestNode() *testNode {
	return &testNode{network: chaincfg.Regtest.Name, txs: map[string]*rpc.TxResult{}, feeRate: 3}
}

func (n *testNode) Status(context.Context) (*rpc.StatusResult, error) {
	return &rpc.StatusResult{Network: n.network}, nil
}

func (n *testNode) Scan(_ context.Context, req rpc.ScanRequest) (*rpc.ScanResult, error) {
	keys := map[string]bool{}
	for _, k := range req.Keys {
		keys[k] = true
	}
	res := &rpc.ScanResult{Height: 200}
	for _, u := range n.utxos {
		if keys[u.Key] {
			res.UTXOs = append(res.UTXOs, u)
		}
	}
	return res, nil
}

func (n *testNode) Tx(_ context.Context, id string) (*rpc.TxResult, error) {
	if t, ok := n.txs[id]; ok {
		return t, nil
	}
	return nil, rpc.NotFound("no transaction %s", id)
}

func (n *testNode) SendRaw(_ context.Context, req rpc.SendRawRequest) (*rpc.SendRawResult, error) {
	raw, _ := hex.DecodeString(req.Hex)
	t, err := tx.Decode(raw)
	if err != nil {
		return nil, rpc.BadRequest("bad tx")
	}
	id := t.ID().String()
	n.sent = append(n.sent, id)
	if n.failNext {
		n.failNext = false
		return nil, errors.New("node not reachable: timeout")
	}
	if _, ok := n.txs[id]; ok {
		return &rpc.SendRawResult{TxID: id}, nil
	}
	res := &rpc.TxResult{TxID: id, Hex: req.Hex, Size: t.Size()}
	var in int64
	for _, input := range t.Inputs {
		i := n.find(input.Prev.TxID.String(), input.Prev.Index)
		if i < 0 {
			return nil, rpc.Rejected("missing-inputs", "no output %s:%d", input.Prev.TxID, input.Prev.Index)
		}
		u := &n.utxos[i]
		if u.SpentInMempool {
			n.evict(u.TxID, u.Vout) // replacement: the test node trusts the wallet to follow the rules
		}
		u.SpentInMempool = true
		pub, _ := hex.DecodeString(u.Key)
		res.Inputs = append(res.Inputs, rpc.TxInput{TxID: u.TxID, Vout: u.Vout, Amount: u.Amount,
			Address: tx.EncodeAddress(chaincfg.Regtest.AddressHRP, [32]byte(pub))})
		in += u.Amount
	}
	for i, o := range t.Outputs {
		res.Outputs = append(res.Outputs, rpc.TxOutput{Amount: o.Amount, Address: tx.EncodeAddress(chaincfg.Regtest.AddressHRP, o.PubKey)})
		n.utxos = append(n.utxos, rpc.UTXO{TxID: id, Vout: uint32(i), Amount: o.Amount, Key: hex.EncodeToString(o.PubKey[:]), Mature: true})
	}
	out, _ := t.OutputTotal()
	res.Fee = in - out
	n.txs[id] = res
	return &rpc.SendRawResult{TxID: id}, nil
}

func (n *testNode) find(txid string, vout uint32) int {
	for i, u := range n.utxos {
		if u.TxID == txid && u.Vout == vout {
			return i
		}
	}
	return -1
}

// evict removes the pool transaction spending txid:vout and its outputs.
func (n *testNode) evict(txid string, vout uint32) {
	for id, t := range n.txs {
		for _, in := range t.Inputs {
			if in.TxID == txid && in.Vout == vout && t.Block == nil {
				delete(n.txs, id)
				kept := n.utxos[:0]
				for _, u := range n.utxos {
					if u.TxID != id {
						kept = append(kept, u)
					}
				}
				n.utxos = kept
				return
			}
		}
	}
}

// mine confirms every pool transaction at height h.
func (n *testNode) mine(h uint64) {
	block := "block"
	for _, t := range n.txs {
		if t.Block == nil {
			t.Block, t.Height = &block, &h
		}
	}
	kept := n.utxos[:0]
	for _, u := range n.utxos {
		if u.SpentInMempool {
			continue
		}
		if u.Height == 0 {
			u.Height, u.Confirmations = h, 1
		}
		kept = append(kept, u)
	}
	n.utxos = kept
}

func (n *testNode) EstimateFee(context.Context, int) (*rpc.FeeRateResult, error) {
	return &rpc.FeeRateResult{FeeRate: n.feeRate, MinFeeRate: 1}, nil
}
