package explorer

import (
	"net/http"

	"github.com/ledgerd/ledger/tx"
)

// historyPerPage is how many transactions an address page lists.
const historyPerPage = 25

// addressData is the address page: confirmed balance and history, newest first.
type addressData struct {
	Address string
	Balance int64
	UTXOs   int
	Paging  paging
	History []historyRow
}

// historyRow is one transaction touching the address, with what it paid
// to the address and what it spent from it.
type historyRow struct {
	TxID     string
	Height   uint64
	Time     int64
	Received int64
	Sent     int64
}

// Net is what the transaction changed the address's balance by.
func (h historyRow) Net() int64 { return h.Received - h.Sent }

func (e *Explorer) address(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("addr")
	pub, err := tx.DecodeAddress(e.src.Chain.Params().AddressHRP, addr)
	if err != nil {
		e.fail(w, r, badRequest("%q is not a %s address: %v.", addr, e.src.Chain.Params().Name, err))
		return
	}
	sum, err := e.src.Chain.SummaryByKey(pub)
	if err != nil {
		e.fail(w, r, err)
		return
	}
	pg, err := pageOf(r, Prefix+"address/"+addr, sum.Txs, historyPerPage)
	if err != nil {
		e.fail(w, r, err)
		return
	}
	hist, _, err := e.src.Chain.HistoryPage(pub, pg.From, pg.To-pg.From)
	if err != nil {
		e.fail(w, r, err)
		return
	}
	d := addressData{Address: addr, Balance: sum.Balance, UTXOs: sum.Unspent, Paging: pg}
	for _, h := range hist {
		t, info, err := e.src.Chain.TxByID(h.TxID)
		if err != nil {
			e.fail(w, r, err)
			return
		}
		row := historyRow{TxID: h.TxID.String(), Height: h.Height, Time: info.Block.Header.Time}
		for _, o := range t.Outputs {
			if o.PubKey == pub {
				row.Received += o.Amount
			}
		}
		for _, in := range t.Inputs {
			if out, ok := e.spentOutput(in.Prev); ok && out.PubKey == pub {
				row.Sent += out.Amount
			}
		}
		d.History = append(d.History, row)
	}
	e.render(w, r, http.StatusOK, "address", view{Title: "Address " + addr, Data: d})
}
