// Command miner is a standalone miner for a Stratum pool endpoint such as
// `node run --stratum`:
//
//	miner --pool stratum+tcp://HOST:PORT --user ADDR [--threads K]
//
// It searches with the node's own midstate/SHA-NI nonce search, reconnects
// with backoff when the pool goes away, logs its hash rate and share
// results on stderr, and prints a JSON summary on stdout when stopped with
// SIGINT or SIGTERM.
package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ledgerd/ledger/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Execute(rootCommand(stderr), args, stdout, stderr)
}

func rootCommand(stderr io.Writer) *cobra.Command {
	var pool, user, logFormat string
	var threads int
	var report time.Duration
	cmd := &cobra.Command{
		Use:   "miner --pool stratum+tcp://HOST:PORT --user ADDR",
		Short: "Mine for a Stratum pool endpoint (node run --stratum)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			addr, err := poolAddr(pool)
			if err != nil {
				return err
			}
			if user == "" {
				return cli.Usagef("--user ADDR is required: the address blocks you find pay to")
			}
			if threads < 0 {
				return cli.Usagef("--threads must be at least 1, got %d", threads)
			}
			if threads == 0 {
				threads = runtime.NumCPU()
			}
			if report <= 0 {
				return cli.Usagef("--report-interval must be positive, got %s", report)
			}
			var h slog.Handler
			switch logFormat {
			case "text":
				h = slog.NewTextHandler(stderr, nil)
			case "json":
				h = slog.NewJSONHandler(stderr, nil)
			default:
				return cli.Usagef("--log-format must be text or json, got %q", logFormat)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			m := newMiner(addr, user, threads, report, slog.New(h))
			err = m.run(ctx)
			if perr := cli.PrintJSON(c.OutOrStdout(), m.summary()); perr != nil && err == nil {
				err = perr
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&pool, "pool", "", "pool endpoint, stratum+tcp://HOST:PORT (required)")
	fl.StringVar(&user, "user", "", "payout address of the pool's network (required)")
	fl.IntVar(&threads, "threads", 0, "search threads (default: one per CPU)")
	fl.DurationVar(&report, "report-interval", 10*time.Second, "how often to log the hash rate")
	fl.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	cli.SetVersion(cmd, "miner")
	return cmd
}

// poolAddr checks a stratum+tcp://HOST:PORT URL and returns HOST:PORT.
func poolAddr(url string) (string, error) {
	if url == "" {
		return "", cli.Usagef("--pool stratum+tcp://HOST:PORT is required")
	}
	rest, ok := strings.CutPrefix(url, "stratum+tcp://")
	if !ok {
		return "", cli.Usagef("--pool must start with stratum+tcp://, got %q", url)
	}
	rest = strings.TrimSuffix(rest, "/")
	if _, port, err := net.SplitHostPort(rest); err != nil || port == "" {
		return "", cli.Usagef("--pool must be stratum+tcp://HOST:PORT, got %q", url)
	}
	return rest, nil
}
