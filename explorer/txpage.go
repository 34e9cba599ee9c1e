package explorer

import (
	"errors"
	"net/http"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// txData is the transaction page.
type txData struct {
	ID       string
	Version  uint32
	Size     int
	Coinbase bool
	// CoinbaseHeight is the height a coinbase commits to.
	CoinbaseHeight uint64
	// Confirmed is true for a main-chain transaction; false for one in the mempool.
	Confirmed     bool
	Block         string
	Height        uint64
	BlockTime     int64
	Position      int
	Confirmations uint64
	Inputs        []txInput
	Outputs       []txOutput
	InTotal       int64
	OutTotal      int64
	// Fee and FeeRate (units per byte) are known when every spent output is.
	Fee     int64
	FeeRate float64
	HasFee  bool
	Proof   *proofData
}

// txInput is an input with the output it spends, when the node has it.
type txInput struct {
	PrevTxID string
	Vout     uint32
	Known    bool
	Amount   int64
	Address  string
}

// txOutput is an output and whether it is spent.
type txOutput struct {
	Index   int
	Amount  int64
	Address string
	// Status is "unspent", "spent", "spent in the mempool" (by SpentBy) or
	// "unknown" when the node could not read its UTXO set.
	Status  string
	SpentBy string
}

// proofData is the Merkle proof that the block's header commits to the transaction.
type proofData struct {
	Index     uint32
	LeafCount uint32
	Leaf      string
	Siblings  []string
	Root      string
	// Verified says the proof leads from the leaf to the header's Merkle root.
	Verified bool
}

func (e *Explorer) tx(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	txid, err := chainhash.Parse(id)
	if err != nil {
		e.fail(w, r, badRequest("A transaction is named by its txid of 64 hex digits; %q is not one.", id))
		return
	}
	var d *txData
	if en, ok := e.src.Mempool.Get(txid); ok {
		d = e.describeTx(en.Tx, false)
	} else {
		p, err := e.src.Chain.MerkleProof(txid)
		if errors.Is(err, chain.ErrNotFound) {
			e.fail(w, r, notFound("Transaction %s is neither in the mempool nor on the main chain.", txid))
			return
		}
		if err != nil {
			e.fail(w, r, err)
			return
		}
		d = e.describeTx(p.Tx, true)
		d.Block, d.Height, d.BlockTime = p.Block.Hash.String(), p.Block.Height, p.Block.Header.Time
		d.Position, d.Confirmations = int(p.Proof.Index), p.Block.Confirmations
		leaf := p.Tx.FullHash()
		d.Proof = &proofData{Index: p.Proof.Index, LeafCount: p.Proof.LeafCount, Leaf: leaf.String(),
			Root: p.Block.Header.MerkleRoot.String(), Verified: p.Proof.Verify(p.Block.Header.MerkleRoot, leaf) == nil}
		for _, s := range p.Proof.Siblings {
			d.Proof.Siblings = append(d.Proof.Siblings, s.String())
		}
	}
	e.render(w, r, http.StatusOK, "tx", view{Title: "Transaction " + txid.String()[:16] + "…", Data: d})
}

// describeTx fills in a transaction's inputs with the outputs they spend and
// its outputs with whether they are spent.
func (e *Explorer) describeTx(t *tx.Tx, confirmed bool) *txData {
	id := t.ID()
	d := &txData{ID: id.String(), Version: t.Version, Size: t.Size(), Coinbase: t.IsCoinbase(), Confirmed: confirmed}
	if t.Coinbase != nil {
		d.CoinbaseHeight = t.Coinbase.Height
	}
	allKnown := true
	for _, in := range t.Inputs {
		ti := txInput{PrevTxID: in.Prev.TxID.String(), Vout: in.Prev.Index}
		if out, ok := e.spentOutput(in.Prev); ok {
			ti.Known, ti.Amount, ti.Address = true, out.Amount, e.addressOf(out.PubKey)
			d.InTotal += out.Amount
		} else {
			allKnown = false
		}
		d.Inputs = append(d.Inputs, ti)
	}
	d.OutTotal, _ = t.OutputTotal()
	if !t.IsCoinbase() && allKnown {
		d.HasFee, d.Fee = true, d.InTotal-d.OutTotal
		d.FeeRate = float64(d.Fee) / float64(max(d.Size, 1))
	}
	for i, o := range t.Outputs {
		op := tx.OutPoint{TxID: id, Index: uint32(i)}
		to := txOutput{Index: i, Amount: o.Amount, Address: e.addressOf(o.PubKey), Status: "unspent"}
		if by, ok := e.src.Mempool.SpentBy(op); ok {
			to.Status, to.SpentBy = "spent in the mempool", by.String()
		} else if confirmed {
			switch u, err := e.src.Chain.LookupUTXO(op); {
			case err != nil:
				to.Status = "unknown"
			case u == nil:
				to.Status = "spent"
			}
		}
		d.Outputs = append(d.Outputs, to)
	}
	return d
}

// spentOutput finds the output op names, in the mempool or on the main chain.
func (e *Explorer) spentOutput(op tx.OutPoint) (tx.TxOut, bool) {
	if en, ok := e.src.Mempool.Get(op.TxID); ok && int(op.Index) < len(en.Tx.Outputs) {
		return en.Tx.Outputs[op.Index], true
	}
	if t, _, err := e.src.Chain.TxByID(op.TxID); err == nil && int(op.Index) < len(t.Outputs) {
		return t.Outputs[op.Index], true
	}
	return tx.TxOut{}, false
}

func (e *Explorer) addressOf(pub [32]byte) string {
	return tx.EncodeAddress(e.src.Chain.Params().AddressHRP, pub)
}
