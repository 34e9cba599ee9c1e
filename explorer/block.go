package explorer

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
)

// blockData is the block page.
type blockData struct {
	Hash          string
	Height        uint64
	Header        block.Header
	Prev          string // "" for the genesis block
	Next          string // the main-chain child; "" at the tip or off the main chain
	MainChain     bool
	Confirmations uint64
	Size          int
	Reward        int64 // what the coinbase pays: subsidy plus fees
	Fees          int64
	Txs           []blockTx
}

// blockTx is one row of a block's transactions.
type blockTx struct {
	ID       string
	Coinbase bool
	Inputs   int
	Outputs  int
	Total    int64
	Size     int
}

func (e *Explorer) block(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if height, ok := parseHeight(id); ok {
		hash, err := e.src.Chain.HashAtHeight(height)
		if err != nil {
			e.fail(w, r, notFound("There is no block at height %d; the tip is at %d.", height, e.src.Chain.Tip().Height))
			return
		}
		http.Redirect(w, r, Prefix+"block/"+hash.String(), http.StatusSeeOther)
		return
	}
	hash, err := chainhash.Parse(id)
	if err != nil {
		e.fail(w, r, badRequest("A block is named by its height or its hash of 64 hex digits; %q is neither.", id))
		return
	}
	b, info, err := e.src.Chain.BlockByHash(hash)
	if errors.Is(err, chain.ErrNotFound) {
		e.fail(w, r, notFound("The node has no block %s.", hash))
		return
	}
	if err != nil {
		e.fail(w, r, err)
		return
	}
	d := blockData{Hash: hash.String(), Height: info.Height, Header: b.Header, MainChain: info.MainChain,
		Confirmations: info.Confirmations, Size: b.Size()}
	if info.Height > 0 {
		d.Prev = b.Header.Prev.String()
	}
	if info.MainChain {
		if next, err := e.src.Chain.HashAtHeight(info.Height + 1); err == nil {
			d.Next = next.String()
		}
	}
	for _, t := range b.Txs {
		total, _ := t.OutputTotal()
		d.Txs = append(d.Txs, blockTx{ID: t.ID().String(), Coinbase: t.IsCoinbase(), Inputs: len(t.Inputs),
			Outputs: len(t.Outputs), Total: total, Size: t.Size()})
	}
	if len(b.Txs) > 0 {
		d.Reward, _ = b.Txs[0].OutputTotal()
		d.Fees = max(0, d.Reward-e.src.Chain.Params().Subsidy(info.Height))
	}
	e.render(w, r, http.StatusOK, "block", view{Title: "Block " + strconv.FormatUint(info.Height, 10), Data: d})
}

// parseHeight reads a block height: decimal digits only, no sign or spaces.
func parseHeight(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h, err := strconv.ParseUint(s, 10, 64)
	return h, err == nil
}
