// Command node runs a full node of the ledger and talks to a running one.
//
//	node run --datadir DIR [--network regtest|testnet] [--mine --mine-to ADDR]
//	node status|generate|block|tx|peers|send-raw --datadir DIR
//	node peers ban|unban|banned --datadir DIR
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/node"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return cli.Execute(rootCommand(stdout, stderr), args, stdout, stderr)
}

// clientFlags are the flags that say which running node a client command talks to.
type clientFlags struct {
	datadir, rpcURL, cookie string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.datadir, "datadir", "", "data directory of the running node")
	cmd.Flags().StringVar(&f.rpcURL, "rpc", "", "RPC URL of the node (with --rpc-cookie)")
	cmd.Flags().StringVar(&f.cookie, "rpc-cookie", "", "RPC cookie file of the node (with --rpc)")
}

func (f *clientFlags) client() (*rpc.Client, error) {
	return rpc.ClientFromFlags(f.datadir, f.rpcURL, f.cookie)
}

func rootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{Use: "node", Short: "A proof-of-work ledger full node"}
	root.AddCommand(runCommand(stderr))
	root.AddCommand(clientCommand("status", "Show the node's chain, peers, mempool and mining state", cobra.NoArgs,
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) { return c.Status(ctx) }))
	gen := clientCommand("generate N", "Mine N blocks now (regtest only)", cobra.ExactArgs(1), nil)
	var to string
	gen.Flags().StringVar(&to, "to", "", "address the block rewards pay to (required)")
	// Usage is checked before any node is contacted, so mistakes exit 2.
	gen.Args = func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return cli.Usagef("generate takes one argument, the number of blocks")
		}
		if n, err := strconv.Atoi(args[0]); err != nil || n <= 0 {
			return cli.Usagef("N must be a positive number of blocks, got %q", args[0])
		}
		if to == "" {
			return cli.Usagef("--to ADDR is required")
		}
		return nil
	}
	gen.RunE = clientRun(gen, func(ctx context.Context, c *rpc.Client, args []string) (any, error) {
		n, _ := strconv.Atoi(args[0])
		return c.Generate(ctx, rpc.GenerateRequest{N: n, To: to})
	})
	root.AddCommand(gen)
	root.AddCommand(clientCommand("block HEIGHT|HASH", "Show a block", cobra.ExactArgs(1),
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) { return c.Block(ctx, args[0]) }))
	root.AddCommand(clientCommand("tx TXID", "Show a transaction", cobra.ExactArgs(1),
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) { return c.Tx(ctx, args[0]) }))
	root.AddCommand(peersCommand())
	root.AddCommand(clientCommand("send-raw HEX", "Submit a signed transaction", cobra.ExactArgs(1),
		func(ctx context.Context, c *rpc.Client, args []string) (any, error) {
			return c.SendRaw(ctx, rpc.SendRawRequest{Hex: args[0]})
		}))
	return root
}

type clientAction func(ctx context.Context, c *rpc.Client, args []string) (any, error)

// clientCommand builds a command that talks to a running node; a nil action
// is set later with clientRun, for commands with flags of their own.
func clientCommand(use, short string, args cobra.PositionalArgs, action clientAction) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cli.Args(args)}
	(&clientFlags{}).register(cmd)
	if action != nil {
		cmd.RunE = clientRun(cmd, action)
	}
	return cmd
}

func clientRun(cmd *cobra.Command, action clientAction) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		f := &clientFlags{}
		f.datadir, _ = cmd.Flags().GetString("datadir")
		f.rpcURL, _ = cmd.Flags().GetString("rpc")
		f.cookie, _ = cmd.Flags().GetString("rpc-cookie")
		client, err := f.client()
		if err != nil {
			return err
		}
		res, err := action(c.Context(), client, args)
		if err != nil {
			return err
		}
		return cli.PrintJSON(c.OutOrStdout(), res)
	}
}

func runCommand(stderr io.Writer) *cobra.Command {
	var cfg node.Config
	var logLevel, logFormat string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a full node until SIGINT or SIGTERM",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if cfg.DataDir == "" {
				return cli.Usagef("--datadir DIR is required")
			}
			if _, err := chaincfg.ByName(cfg.Network); err != nil {
				return cli.Usagef("--network: %v", err)
			}
			if cfg.Mine && cfg.MineTo == "" {
				return cli.Usagef("--mine needs --mine-to ADDR")
			}
			logger, err := newLogger(stderr, logLevel, logFormat)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			cfg.Logger = logger
			slog.SetDefault(logger)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return node.Run(ctx, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.DataDir, "datadir", "", "data directory (chain, identity, node.json, rpc.cookie)")
	fl.StringVar(&cfg.Network, "network", "testnet", "network: regtest or testnet")
	fl.StringArrayVar(&cfg.P2PListen, "p2p", nil, "p2p listen multiaddr (repeatable; default 127.0.0.1 on the network's port)")
	fl.StringVar(&cfg.RPCListen, "rpc", "", "RPC listen host:port (default 127.0.0.1 on the network's port; port 0 picks one)")
	fl.BoolVar(&cfg.RPCAllowRemote, "rpc-allow-remote", false, "allow a non-loopback RPC address")
	fl.StringArrayVar(&cfg.Peers, "peer", nil, "peer multiaddr ending in /p2p/ID to stay connected to (repeatable)")
	fl.BoolVar(&cfg.MDNS, "mdns", false, "discover peers on the local network with mDNS")
	fl.IntVar(&cfg.MaxPeers, "max-peers", 64, "maximum number of connections")
	fl.IntVar(&cfg.MaxPeersPerIP, "max-peers-per-ip", p2p.DefaultMaxPeersPerIP,
		"maximum connections from or to one IP address; loopback is exempt (-1: no limit)")
	fl.BoolVar(&cfg.Mine, "mine", false, "mine blocks")
	fl.StringVar(&cfg.MineTo, "mine-to", "", "address the mined rewards pay to")
	fl.IntVar(&cfg.Threads, "threads", 0, "mining threads (default: one per CPU)")
	fl.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	return cmd
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, cli.Usagef("--log-format must be text or json, got %q", format)
}
