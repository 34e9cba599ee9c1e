// Command node runs a full node of the ledger and talks to a running one.
//
//	node run [--network regtest|testnet] [--datadir DIR] [--mine --mine-to ADDR]
//	node status|generate|block|tx|peers|send-raw|mempool|events|stop [--network N | --datadir DIR]
//	node peers ban|unban|banned|add|remove [--network N | --datadir DIR]
//
// Without --datadir, the data directory is ~/.ledger/<network> ($LEDGER_HOME
// moves ~/.ledger), so a node and its clients find each other by network alone.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/internal/version"
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
	datadir, network, rpcURL, cookie string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.datadir, "datadir", "", "data directory of the running node (default ~/.ledger/<network>)")
	cmd.Flags().StringVar(&f.network, "network", "testnet", "network of the node, which picks the default data directory")
	cmd.Flags().StringVar(&f.rpcURL, "rpc", "", "RPC URL of the node, e.g. http://127.0.0.1:19443 (with --rpc-cookie)")
	cmd.Flags().StringVar(&f.cookie, "rpc-cookie", "", "RPC cookie file of the node (with --rpc)")
}

func (f *clientFlags) client() (*rpc.Client, error) {
	return cli.NodeClient(f.datadir, f.network, f.rpcURL, f.cookie, "--datadir")
}

func rootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{Use: "node", Short: "A proof-of-work ledger full node"}
	cli.SetVersion(root, "node")
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
	addOperatorCommands(root, stdout)
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
		client, err := clientOf(cmd)
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
	var logs logFlags
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a full node until SIGINT, SIGTERM or `node stop`",
		Long: `Run a full node until SIGINT, SIGTERM or ` + "`node stop`" + `.

The data directory defaults to ~/.ledger/<network> ($LEDGER_HOME moves ~/.ledger).
An optional <datadir>/ledger.conf (TOML) sets defaults for these flags, keys
named like the long flags: mine = true, mine-to = "lrt1...", peer = ["/ip4/..."].
Flags on the command line override it.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := resolveRunConfig(c, &cfg); err != nil {
				return err
			}
			logger, closeLog, err := logs.open(stderr)
			if err != nil {
				return err
			}
			defer closeLog()
			if cpuProfile != "" {
				stopProfile, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stopProfile()
			}
			cfg.Logger = logger
			cfg.Version = version.String()
			slog.SetDefault(logger)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return node.Run(ctx, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.DataDir, "datadir", "", "data directory (chain, identity, node.json, rpc.cookie; default ~/.ledger/<network>)")
	fl.StringVar(&cfg.Network, "network", "testnet", "network: regtest or testnet")
	fl.StringArrayVar(&cfg.P2PListen, "p2p", nil, "p2p listen multiaddr (repeatable; default 127.0.0.1 on the network's port)")
	fl.StringVar(&cfg.RPCListen, "rpc", "", "RPC listen host:port (default 127.0.0.1 on the network's port; port 0 picks one)")
	fl.BoolVar(&cfg.RPCAllowRemote, "rpc-allow-remote", false, "allow a non-loopback RPC address")
	fl.BoolVar(&cfg.Explorer, "explorer", false, "serve the read-only block explorer at /explorer/ on the RPC address (no cookie needed)")
	fl.StringArrayVar(&cfg.Peers, "peer", nil, "peer multiaddr ending in /p2p/ID to stay connected to (repeatable)")
	fl.BoolVar(&cfg.MDNS, "mdns", false, "discover peers on the local network with mDNS")
	fl.IntVar(&cfg.MaxPeers, "max-peers", 64, "maximum number of connections (at least 1)")
	fl.IntVar(&cfg.MaxPeersPerIP, "max-peers-per-ip", p2p.DefaultMaxPeersPerIP,
		"maximum connections from or to one IP address; loopback is exempt (-1: no limit)")
	fl.BoolVar(&cfg.Mine, "mine", false, "mine blocks")
	fl.StringVar(&cfg.MineTo, "mine-to", "", "address the mined rewards pay to")
	fl.IntVar(&cfg.Threads, "threads", 0, "mining threads (default 0: one per CPU)")
	fl.StringVar(&cfg.MetricsListen, "metrics", "", "serve Prometheus metrics without the cookie on host:port (e.g. 127.0.0.1:19480)")
	fl.BoolVar(&cfg.MetricsAllowRemote, "metrics-allow-remote", false, "allow a non-loopback --metrics address")
	fl.StringVar(&cfg.BlockNotify, "blocknotify", "", "run this shell command for every new main-chain block; %s is replaced by its hash")
	fl.StringVar(&cfg.WalletNotify, "walletnotify", "", "run this shell command for every transaction accepted to the mempool or confirmed; %s is replaced by its txid")
	fl.DurationVar(&cfg.StatusInterval, "status-interval", time.Minute, "how often to log a status line (0 turns it off)")
	fl.StringVar(&cfg.StratumListen, "stratum", "", "serve Stratum pool mining on host:port (loopback unless --stratum-allow-remote)")
	fl.BoolVar(&cfg.StratumAllowRemote, "stratum-allow-remote", false, "allow a non-loopback Stratum address")
	fl.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the node, from its start until it stops, to this file (read it with go tool pprof)")
	logs.register(fl)
	return cmd
}

// startCPUProfile starts writing the process's CPU profile to path and
// returns what stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// resolveRunConfig fills in the default data directory, applies its
// ledger.conf under the command-line flags, and checks the values.
func resolveRunConfig(c *cobra.Command, cfg *node.Config) error {
	fl := c.Flags()
	if _, err := chaincfg.ByName(cfg.Network); err != nil {
		return cli.Usagef("--network: %v", err)
	}
	defaulted := cfg.DataDir == ""
	dir, err := cli.DataDirOr(cfg.DataDir, cfg.Network)
	if err != nil {
		return err
	}
	cfg.DataDir = dir
	network := cfg.Network
	if _, err := cli.ApplyConfig(fl, filepath.Join(dir, cli.ConfigFile)); err != nil {
		return cli.Usagef("%v", err)
	}
	if defaulted && cfg.Network != network {
		return cli.Usagef("%s says network = %q, but it is the default data directory of %s; remove the key or pass --datadir",
			filepath.Join(dir, cli.ConfigFile), cfg.Network, network)
	}
	if _, err := chaincfg.ByName(cfg.Network); err != nil {
		return cli.Usagef("network: %v", err)
	}
	switch {
	case cfg.Mine && cfg.MineTo == "":
		return cli.Usagef("--mine needs --mine-to ADDR")
	case cfg.Threads < 0:
		return cli.Usagef("--threads must be 0 (one per CPU) or a positive number of threads, got %d", cfg.Threads)
	case cfg.MaxPeers < 1:
		return cli.Usagef("--max-peers must be at least 1, got %d", cfg.MaxPeers)
	case cfg.StatusInterval < 0:
		return cli.Usagef("--status-interval must not be negative, got %s", cfg.StatusInterval)
	}
	return nil
}
