package explorer

import (
	"net/http"

	"github.com/ledgerd/ledger/events"
)

// liveEvent is what /explorer/events sends the home page's script: the
// figures a page shows, already formatted, with the mempool's size then.
type liveEvent struct {
	Type string `json:"type"`
	// block: the new tip.
	Height uint64 `json:"height,omitempty"`
	Hash   string `json:"hash,omitempty"`
	Time   string `json:"time,omitempty"`
	Txs    int    `json:"txs,omitempty"`
	// tx: the transaction accepted to the mempool.
	TxID string `json:"txid,omitempty"`
	// reorg: the new tip's hash (the page reloads).
	NewTip       string `json:"new_tip,omitempty"`
	MempoolCount int    `json:"mempool_count"`
	MempoolBytes int    `json:"mempool_bytes"`
}

// liveBuffer is how many events a slow page may fall behind by before it
// misses some (a page that misses a block catches up on reload).
const liveBuffer = 64

// events streams the node's blocks, mempool arrivals and reorganisations
// as server-sent events, without the cookie: they carry only what the
// pages show. At most Config.MaxStreams are open at once.
func (e *Explorer) events(w http.ResponseWriter, r *http.Request) {
	select {
	case e.streams <- struct{}{}:
		defer func() { <-e.streams }()
	default:
		w.Header().Set("Retry-After", "10")
		e.fail(w, r, &pageError{Status: http.StatusServiceUnavailable, Title: "Too many live pages",
			Message: "The explorer is streaming to as many pages as it serves at once; reload later."})
		return
	}
	sub := e.src.Events.Subscribe(liveBuffer)
	defer sub.Close()
	if err := events.ServeStream(w, r, sub, e.liveEvent); err != nil {
		e.fail(w, r, err)
	}
}

func (e *Explorer) liveEvent(ev events.Event) (any, bool) {
	le := liveEvent{Type: ev.Type, MempoolCount: e.src.Mempool.Count(), MempoolBytes: e.src.Mempool.Bytes()}
	switch ev.Type {
	case events.TypeBlock:
		le.Height, le.Hash, le.Time, le.Txs = ev.Height, ev.Hash, formatUTC(ev.Time), ev.Txs
	case events.TypeTx:
		le.TxID = ev.TxID
	case events.TypeReorg:
		le.NewTip = ev.NewTip
	default:
		return nil, false
	}
	return le, true
}
