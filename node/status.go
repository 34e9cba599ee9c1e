package node

import (
	"context"
	"io/fs"
	"log/slog"
	"math/big"
	"path/filepath"
	"sync"
	"time"

	"github.com/ledgerd/ledger/rpc"
)

// ibdMaxTipAge is how old the tip may be for the node to count as caught up:
// while its tip is older and it has not caught up once, it is in initial
// block download (the flag then stays off, like bitcoind's).
const ibdMaxTipAge = 24 * time.Hour

// operatorStatus is what operators watch: sync position, progress and ETA,
// and the figures the periodic status line and the metrics share.
type operatorStatus struct {
	syncFigures
	difficulty float64
}

// syncStatus computes the node's sync figures now.
func (n *Node) syncStatus() operatorStatus {
	tip := n.chain.Tip()
	syncing, prog := n.sync.isSyncing()
	st := operatorStatus{difficulty: tip.NextDifficulty.Bits()}
	st.blocks, st.headers, st.syncing = tip.Height, tip.Height, syncing
	var bestWork *big.Int
	if _, best := n.sync.bestPeer(); best != nil {
		bestWork = best.Work
		st.headers = max(st.headers, best.Height)
	}
	if prog != nil {
		st.headers = max(st.headers, prog.TargetHeight)
	}
	progress, eta, ok := n.progress.estimate(tip.Work, bestWork)
	st.progress = progress
	if ok {
		st.etaSecs = eta.Seconds()
	}
	st.ibd = n.initialDownload(tip.Header.Time, bestWork == nil)
	return st
}

// initialDownload reports whether the node is still in initial block
// download; it latches off once the tip is recent and no peer knows more work.
func (n *Node) initialDownload(tipTime int64, caughtUp bool) bool {
	if n.ibdDone.Load() {
		return false
	}
	if caughtUp && nowTime().Sub(time.Unix(tipTime, 0)) < ibdMaxTipAge {
		n.ibdDone.Store(true)
		return false
	}
	return true
}

// diskUsage measures the data directory's size, at most every diskUsageEvery.
type diskUsage struct {
	dir  string
	mu   sync.Mutex
	at   time.Time
	size int64
}

const diskUsageEvery = 10 * time.Second

func (d *diskUsage) bytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now := nowTime(); now.Sub(d.at) >= diskUsageEvery {
		d.at = now
		var total int64
		filepath.WalkDir(d.dir, func(_ string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				if info, err := e.Info(); err == nil {
					total += info.Size()
				}
			}
			return nil
		})
		d.size = total
	}
	return d.size
}

// fillStatus adds the operator figures to a status result.
func (n *Node) fillStatus(res *rpc.StatusResult) {
	st := n.syncStatus()
	res.Difficulty = st.difficulty
	res.Headers, res.Blocks = st.headers, st.blocks
	res.VerificationProgress = st.progress
	res.ETASeconds = st.etaSecs
	res.InitialBlockDownload = st.ibd
	res.SizeOnDisk = n.disk.bytes()
	res.MempoolBytes = n.pool.Bytes()
	res.Version = n.cfg.Version
}

// statusLoop logs one status line every interval until ctx ends.
func (n *Node) statusLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.logStatus()
		}
	}
}

// logStatus writes the periodic status line, with units in the values.
func (n *Node) logStatus() {
	tip := n.chain.Tip()
	st := n.syncStatus()
	attrs := []any{"height", tip.Height, "peers", len(n.host.Peers()),
		"mempool", formatCount(n.pool.Count(), "txs") + " / " + formatBytes(int64(n.pool.Bytes())),
		"difficulty", tip.NextDifficulty.String() + " bits"}
	if n.miner != nil {
		rate, _ := n.miner.HashRate()
		attrs = append(attrs, "hashrate", formatHashrate(rate))
	}
	if st.syncing || st.progress < 1 {
		attrs = append(attrs, "headers", st.headers, "progress", formatPercent(100*st.progress))
		if st.etaSecs > 0 {
			attrs = append(attrs, "eta", (time.Duration(st.etaSecs) * time.Second).String())
		}
	}
	n.log.Log(context.Background(), slog.LevelInfo, "status", attrs...)
}
