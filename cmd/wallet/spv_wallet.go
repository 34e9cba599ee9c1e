package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/spv"
	"github.com/ledgerd/ledger/wallet"
)

// spvWalletCmds are `wallet spv balance` and `wallet spv history`: the
// wallet's coins found with compact block filters, without a trusted node.
func (e *env) spvWalletCmds() []*cobra.Command {
	balance := e.spvWalletCmd("balance", "Balance found with compact block filters from full nodes", func(out map[string]any, res *spv.WalletSync) {
		out["confirmed"], out["immature"] = res.Balance.Confirmed, res.Balance.Immature
	})
	history := e.spvWalletCmd("history", "Transactions found with compact block filters from full nodes", func(out map[string]any, res *spv.WalletSync) {
		out["txs"] = res.History
	})
	return []*cobra.Command{balance, history}
}

// spvWalletCmd makes a command that syncs the SPV record and prints what fill adds to the shared keys.
func (e *env) spvWalletCmd(name, short string, fill func(map[string]any, *spv.WalletSync)) *cobra.Command {
	var peers []string
	cmd := &cobra.Command{Use: name + " --peer MULTIADDR...", Short: short, Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			res, err := e.spvWalletSync(c, peers)
			if err != nil {
				return err
			}
			out := spvOutput(res)
			fill(out, res)
			return e.print(out)
		}}
	cmd.Flags().StringArrayVar(&peers, "peer", nil, "full node multiaddr ending in /p2p/ID (repeatable; give several so their filters are cross-checked)")
	return cmd
}

// spvOutput holds the keys that balance and history share.
func spvOutput(res *spv.WalletSync) map[string]any {
	out := map[string]any{"height": res.Balance.Height, "tip": res.Tip.String(), "cross_checked_peers": res.CrossChecked,
		"dropped_peers": droppedList(res.Dropped)}
	if res.CrossChecked < 2 {
		out["warning"] = singlePeerWarning
	}
	return out
}

const singlePeerWarning = "filter headers came from one peer only: a lying peer could hide payments; give more --peer"

// spvWalletSync opens the wallet and syncs its SPV record, with progress on stderr.
func (e *env) spvWalletSync(c *cobra.Command, peers []string) (*spv.WalletSync, error) {
	if len(peers) == 0 {
		return nil, cli.Usagef("give at least one --peer MULTIADDR")
	}
	w, _, err := e.open()
	if err != nil {
		return nil, err
	}
	client, _, err := e.spvClient()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	next, nextChange := w.Indexes()
	keys := spv.Keys{Derive: w.PubKey, NextReceive: next, NextChange: nextChange, Gap: wallet.GapLimit}
	progress := func(p spv.Progress) {
		if p.Target >= 2000 {
			fmt.Fprintf(e.stderr, "spv: filters matched to height %d of %d\n", p.Height, p.Target)
		}
	}
	res, err := client.SyncWallet(c.Context(), peers, keys, progress)
	if err != nil {
		return nil, err
	}
	if res.CrossChecked < 2 {
		fmt.Fprintf(e.stderr, "spv: warning: %s\n", singlePeerWarning)
	}
	return res, nil
}
