package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
)

// peersCommand lists connected peers; its subcommands manage the ban list.
func peersCommand() *cobra.Command {
	peers := clientCommand("peers", "List connected peers; ban, unban and list banned peers", cobra.NoArgs,
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) { return c.Peers(ctx) })
	peers.AddCommand(banCommand())
	peers.AddCommand(clientCommand("unban PEERID|IP|CIDR", "Lift a ban", targetArg("unban"),
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) {
			return c.Unban(ctx, rpc.UnbanRequest{Target: args[0]})
		}))
	peers.AddCommand(clientCommand("banned", "List the bans in force", cobra.NoArgs,
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) { return c.Banned(ctx) }))
	return peers
}

func banCommand() *cobra.Command {
	var duration time.Duration
	var reason string
	ban := clientCommand("ban PEERID|IP|CIDR|MULTIADDR",
		"Refuse a peer ID, an IP address or a subnet (a multiaddr bans its IP); the ban survives restarts", nil, nil)
	ban.Flags().DurationVar(&duration, "duration", rpc.DefaultBanDuration, "how long the ban lasts (e.g. 90m, 24h)")
	ban.Flags().StringVar(&reason, "reason", "", "why, as shown by `node peers banned`")
	checkTarget := targetArg("ban")
	// Usage is checked before any node is contacted, so mistakes exit 2.
	ban.Args = func(cmd *cobra.Command, args []string) error {
		if err := checkTarget(cmd, args); err != nil {
			return err
		}
		if duration < time.Second || duration > rpc.MaxBanDuration {
			return cli.Usagef("--duration must be between 1s and %s, got %s", rpc.MaxBanDuration, duration)
		}
		return nil
	}
	ban.RunE = clientRun(ban, func(ctx context.Context, c *rpc.Client, args []string) (any, error) {
		return c.Ban(ctx, rpc.BanRequest{Target: args[0], DurationSeconds: int64(duration / time.Second), Reason: reason})
	})
	return ban
}

// targetArg checks for one argument that names a ban target.
func targetArg(verb string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return cli.Usagef("%s takes one argument: a peer ID, an IP address, a CIDR subnet or a multiaddr", verb)
		}
		if _, err := p2p.ParseBanTarget(args[0]); err != nil {
			return cli.Usagef("%v", err)
		}
		return nil
	}
}
