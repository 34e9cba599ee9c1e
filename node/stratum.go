package node

import (
	"context"
	"fmt"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/stratum"
)

// startStratum serves pool mining on cfg.StratumListen: blocks workers find
// go through the same path as the built-in miner's, and every tip change
// sends them new jobs (processBlock calls NotifyNewTip).
func (n *Node) startStratum(ctx context.Context) error {
	if n.cfg.StratumListen == "" {
		return nil
	}
	ln, err := stratum.Listen(n.cfg.StratumListen, n.cfg.StratumAllowRemote)
	if err != nil {
		return fmt.Errorf("--stratum: %w", err)
	}
	n.stratumAddr = ln.Addr().String()
	n.stratum = stratum.NewServer(stratum.Config{
		Params: n.params,
		Template: func(at time.Time) *miner.Template {
			return miner.NewTemplate(n.params, n.chain, n.pool, [32]byte{}, 0, at.Unix())
		},
		SubmitBlock: func(b *block.Block) error { return n.submitLocalBlock(ctx, b) },
		Logger:      n.log,
	})
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.stratum.Serve(ctx, ln) }()
	return nil
}
