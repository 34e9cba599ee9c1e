package explorer

import (
	"net/http"
	"sort"
)

// mempoolPerPage is how many transactions a mempool page lists.
const mempoolPerPage = 50

// mempoolData is the mempool page, highest fee rate first.
type mempoolData struct {
	Count  int
	Bytes  int
	Fees   *feeSpread
	Paging paging
	Txs    []mempoolRow
}

type mempoolRow struct {
	TxID    string
	Fee     int64
	Size    int
	FeeRate float64
	// Height is the tip's height when the transaction entered the pool.
	Height uint64
}

func (e *Explorer) mempool(w http.ResponseWriter, r *http.Request) {
	entries := e.src.Mempool.Transactions()
	pg, err := pageOf(r, Prefix+"mempool", len(entries), mempoolPerPage)
	if err != nil {
		e.fail(w, r, err)
		return
	}
	rows := make([]mempoolRow, len(entries))
	bytes := 0
	for i, en := range entries {
		rows[i] = mempoolRow{TxID: en.ID.String(), Fee: en.Fee, Size: en.Size, Height: en.Height,
			FeeRate: feeRate(en)}
		bytes += en.Size
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].FeeRate > rows[j].FeeRate })
	d := mempoolData{Count: len(entries), Bytes: bytes, Fees: spreadOf(entries), Paging: pg, Txs: rows[pg.From:pg.To]}
	e.render(w, r, http.StatusOK, "mempool", view{Title: "Mempool", Nav: "mempool", Data: d})
}
