package explorer

import (
	"math/big"
	"net/http"
	"sort"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/pow"
)

// How much of the chain the home page shows.
const (
	recentBlocks = 20
	chartBlocks  = 300
)

// homeData is the home page: the tip, network figures and the recent blocks.
type homeData struct {
	Height     uint64
	Hash       string
	Time       int64
	Difficulty pow.Difficulty // the next block's
	// HashRate is the network's, estimated from the work and time of the charted blocks.
	HashRate     float64
	Peers        int
	MempoolCount int
	MempoolBytes int
	Fees         *feeSpread // nil when the mempool is empty
	Sync         Sync
	ShowSync     bool
	Recent       []blockRow
	ChartFrom    uint64
	Intervals    Chart
	Difficulties Chart
}

// blockRow is one line of the recent blocks.
type blockRow struct {
	Height uint64
	Hash   string
	Time   int64
	Txs    int
	Size   int
}

// feeSpread summarises the mempool's fee rates, in units per byte.
type feeSpread struct {
	Min, P10, Median, P90, Max float64
}

func (e *Explorer) home(w http.ResponseWriter, r *http.Request) {
	tip := e.src.Chain.Tip()
	d := homeData{Height: tip.Height, Hash: tip.Hash.String(), Time: tip.Header.Time, Difficulty: tip.NextDifficulty,
		Peers: len(e.src.Node.Peers()), MempoolCount: e.src.Mempool.Count(), MempoolBytes: e.src.Mempool.Bytes(),
		Fees: spreadOf(e.src.Mempool.Transactions()), Sync: e.src.Node.Sync()}
	d.ShowSync = d.Sync.Syncing || d.Sync.Progress < 1
	headers, from, err := e.lastHeaders(tip.Height, chartBlocks)
	if err != nil {
		e.fail(w, r, err)
		return
	}
	d.ChartFrom = from + 1
	d.HashRate = hashRate(headers)
	d.Intervals, d.Difficulties = historyCharts(headers, from)
	if d.Recent, err = e.recentBlocks(tip.Height, recentBlocks); err != nil {
		e.fail(w, r, err)
		return
	}
	e.render(w, r, http.StatusOK, "home", view{Title: "Explorer", Nav: "home", Data: d})
}

// lastHeaders returns the main chain's headers from height tip-n to the
// tip, read from the chain's in-memory index, with the height of the first.
// They start at height 1 at the earliest: the genesis block's time is
// fixed by the network, so the interval after it says nothing of the miners.
func (e *Explorer) lastHeaders(tip uint64, n int) ([]block.Header, uint64, error) {
	from := max(tip-min(tip, uint64(n)), min(tip, 1))
	start, err := e.src.Chain.HashAtHeight(from)
	if err != nil {
		return nil, 0, err
	}
	first, _, err := e.src.Chain.BlockByHash(start)
	if err != nil {
		return nil, 0, err
	}
	rest := e.src.Chain.HeadersAfter([]chainhash.Hash{start}, chainhash.Hash{}, int(tip-from))
	return append([]block.Header{first.Header}, rest...), from, nil
}

// recentBlocks lists the main chain's last n blocks, newest first.
func (e *Explorer) recentBlocks(tip uint64, n int) ([]blockRow, error) {
	var rows []blockRow
	for h := tip; len(rows) < n; h-- {
		hash, err := e.src.Chain.HashAtHeight(h)
		if err != nil {
			return nil, err
		}
		b, _, err := e.src.Chain.BlockByHash(hash)
		if err != nil {
			return nil, err
		}
		rows = append(rows, blockRow{Height: h, Hash: hash.String(), Time: b.Header.Time, Txs: len(b.Txs), Size: b.Size()})
		if h == 0 {
			break
		}
	}
	return rows, nil
}

// hashRate estimates the network's hashes per second: the expected work of
// the blocks after the first header over the time they took.
func hashRate(headers []block.Header) float64 {
	if len(headers) < 2 {
		return 0
	}
	span := headers[len(headers)-1].Time - headers[0].Time
	if span <= 0 {
		return 0
	}
	work := new(big.Int)
	for _, h := range headers[1:] {
		work.Add(work, pow.Work(h.Difficulty))
	}
	f, _ := new(big.Float).SetInt(work).Float64()
	return f / float64(span)
}

// historyCharts draws the interval before each block and each block's
// difficulty; headers[0] is at height from.
func historyCharts(headers []block.Header, from uint64) (intervals, difficulties Chart) {
	intervals = Chart{Title: "Seconds between blocks", Class: "line-interval"}
	difficulties = Chart{Title: "Difficulty (leading zero bits)", Class: "line-difficulty"}
	for i := 1; i < len(headers); i++ {
		x := float64(from + uint64(i))
		intervals.Points = append(intervals.Points, Point{X: x, Y: float64(headers[i].Time - headers[i-1].Time)})
		difficulties.Points = append(difficulties.Points, Point{X: x, Y: headers[i].Difficulty.Bits()})
	}
	return intervals, difficulties
}

// spreadOf summarises entries' fee rates; nil when there are none.
func spreadOf(entries []mempool.Entry) *feeSpread {
	if len(entries) == 0 {
		return nil
	}
	rates := make([]float64, len(entries))
	for i, en := range entries {
		rates[i] = feeRate(en)
	}
	sort.Float64s(rates)
	at := func(q float64) float64 { return rates[int(q*float64(len(rates)-1)+0.5)] }
	return &feeSpread{Min: rates[0], P10: at(0.1), Median: at(0.5), P90: at(0.9), Max: rates[len(rates)-1]}
}

// feeRate is an entry's fee in units per byte.
func feeRate(en mempool.Entry) float64 { return float64(en.Fee) / float64(max(en.Size, 1)) }
