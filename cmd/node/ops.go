package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/rpc"
)

// addOperatorCommands adds stop, mempool, events and peers add|remove.
func addOperatorCommands(root *cobra.Command, stdout io.Writer) {
	root.AddCommand(clientCommand("stop", "Ask the running node to shut down cleanly", cobra.NoArgs,
		func(ctx context.Context, c *rpc.Client, _ []string) (any, error) { return c.Stop(ctx) }))
	root.AddCommand(clientCommand("mempool", "List the mempool's transactions (txid, fee rate, size), highest fee rate first", cobra.NoArgs,
		func(ctx context.Context, c *rpc.Client, _ []string) (any, error) { return c.Mempool(ctx) }))
	events := clientCommand("events", "Stream blocks, transactions and reorgs as one JSON object per line until Ctrl-C", cobra.NoArgs, nil)
	events.RunE = func(c *cobra.Command, _ []string) error {
		client, err := clientOf(events)
		if err != nil {
			return err
		}
		out := c.OutOrStdout()
		return client.Events(c.Context(), func(raw json.RawMessage) error {
			_, err := fmt.Fprintf(out, "%s\n", raw)
			return err
		})
	}
	root.AddCommand(events)
	for _, sub := range root.Commands() {
		if sub.Name() != "peers" {
			continue
		}
		sub.AddCommand(clientCommand("add MULTIADDR", "Connect to a peer now and keep it in the address book across restarts", cobra.ExactArgs(1),
			func(ctx context.Context, c *rpc.Client, args []string) (any, error) { return c.AddPeer(ctx, args[0]) }))
		sub.AddCommand(clientCommand("remove MULTIADDR|PEERID", "Disconnect a peer and drop it from the address book", cobra.ExactArgs(1),
			func(ctx context.Context, c *rpc.Client, args []string) (any, error) {
				return c.RemovePeer(ctx, args[0])
			}))
	}
}

// clientOf builds the RPC client from a client command's flags.
func clientOf(cmd *cobra.Command) (*rpc.Client, error) {
	f := &clientFlags{}
	f.datadir, _ = cmd.Flags().GetString("datadir")
	f.network, _ = cmd.Flags().GetString("network")
	f.rpcURL, _ = cmd.Flags().GetString("rpc")
	f.cookie, _ = cmd.Flags().GetString("rpc-cookie")
	return f.client()
}
