// Command wallet keeps keys, shows balances and sends coins through a full
// node, and verifies payments header-only over p2p (SPV).
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/spv"
	"github.com/ledgerd/ledger/wallet"
	"github.com/ledgerd/ledger/wallet/keystore"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// env is what a command reads from its surroundings, so tests can drive it in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// Global flags.
	walletPath, network, nodeDir, rpcURL, cookie string
	logLevel                                     string
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	return cli.Execute(e.root(), args, stdout, stderr)
}

func (e *env) root() *cobra.Command {
	root := &cobra.Command{Use: "wallet", Short: "Wallet of the proof-of-work ledger", PersistentPreRunE: checkGlobalFlags}
	cli.SetVersion(root, "wallet")
	pf := root.PersistentFlags()
	pf.StringVar(&e.walletPath, "wallet", "", "wallet file (default: <user config dir>/ledger/wallet-<network>.dat)")
	pf.StringVar(&e.network, "network", "testnet", "network: regtest or testnet")
	pf.StringVar(&e.nodeDir, "node", "", "data directory of a running full node (default ~/.ledger/<network>)")
	pf.StringVar(&e.rpcURL, "rpc", "", "RPC URL of a full node (with --rpc-cookie)")
	pf.StringVar(&e.cookie, "rpc-cookie", "", "RPC cookie file of the node (with --rpc)")
	pf.StringVar(&e.logLevel, "log-level", "error", "SPV log level on stderr: debug, info, warn, error (dropped peers are also listed in the output's dropped_peers)")
	root.AddCommand(e.createCmd(), e.restoreCmd(), e.addressCmd(), e.balanceCmd(), e.sendCmd(), e.historyCmd(), e.spvCmd(),
		e.utxosCmd(), e.bumpFeeCmd(), e.exportXPubCmd(), e.signCmd())
	return root
}

func (e *env) params() (*chaincfg.Params, error) {
	p, err := chaincfg.ByName(e.network)
	if err != nil {
		return nil, cli.Usagef("--network: %v", err)
	}
	return p, nil
}

func (e *env) path(p *chaincfg.Params) (string, error) {
	if e.walletPath != "" {
		return e.walletPath, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory for the default wallet path; pass --wallet FILE: %w", err)
	}
	return filepath.Join(dir, "ledger", "wallet-"+p.Name+".dat"), nil
}

// passphrase reads WALLET_PASSPHRASE, or prompts on a terminal.
func (e *env) passphrase(prompt string) ([]byte, error) {
	if p := e.getenv("WALLET_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, prompt)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return p, nil
	}
	return nil, errors.New("no passphrase: set WALLET_PASSPHRASE or run in a terminal")
}

func (e *env) open() (*wallet.Wallet, *chaincfg.Params, error) {
	p, err := e.params()
	if err != nil {
		return nil, nil, err
	}
	path, err := e.path(p)
	if err != nil {
		return nil, nil, err
	}
	if !keystore.Exists(path) {
		return nil, nil, fmt.Errorf("no wallet at %s: create one with `wallet create` or pass --wallet FILE", path)
	}
	pass, err := e.passphrase("Wallet passphrase: ")
	if err != nil {
		return nil, nil, err
	}
	w, err := wallet.Open(path, pass, p, kdfOptions...)
	if errors.Is(err, keystore.ErrWrongPassphrase) {
		return nil, nil, fmt.Errorf("cannot open %s: %v", path, err)
	}
	if errors.Is(err, keystore.ErrCorrupt) {
		return nil, nil, fmt.Errorf("cannot open %s: the file is damaged (%v); restore the wallet from its mnemonic with `wallet restore` into a new file", path, err)
	}
	return w, p, err
}

func (e *env) node() (*rpc.Client, error) { return e.nodeClient() }

func (e *env) print(v any) error { return cli.PrintJSON(e.stdout, v) }

func (e *env) createCmd() *cobra.Command {
	var xpub string
	var withBIP39 bool
	cmd := &cobra.Command{Use: "create", Short: "Create a wallet with a new mnemonic (or a watch-only one with --watch-only XPUB)", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := e.params()
			if err != nil {
				return err
			}
			path, err := e.path(p)
			if err != nil {
				return err
			}
			if keystore.Exists(path) {
				return fmt.Errorf("%s already exists; refusing to overwrite a wallet (pass another --wallet)", path)
			}
			if xpub != "" && withBIP39 {
				return cli.Usagef("--watch-only and --bip39-passphrase do not go together: the xpub already reflects the passphrase")
			}
			bip39, err := e.bip39Passphrase(withBIP39)
			if err != nil {
				return err
			}
			pass, err := e.newSecret("WALLET_PASSPHRASE", "wallet passphrase", false)
			if err != nil {
				return err
			}
			if xpub != "" {
				// Find its funds when a node is at hand; one of another network is an error.
				node, nodeErr := e.checkedNode(c.Context())
				if errors.Is(nodeErr, wallet.ErrWrongNodeNetwork) {
					return nodeErr
				}
				w, err := wallet.CreateWatchOnly(path, pass, p, xpub, kdfOptions...)
				if err != nil {
					return err
				}
				if nodeErr == nil {
					if err := w.Rescan(c.Context(), node); err != nil {
						return fmt.Errorf("watch-only wallet created at %s, but finding its funds failed (run `wallet balance` later): %w", path, err)
					}
				}
				return e.print(map[string]any{"wallet": path, "watch_only": true})
			}
			w, err := wallet.Create(path, pass, p, bip39, kdfOptions...)
			if err != nil {
				return err
			}
			return e.print(map[string]string{"wallet": path, "mnemonic": w.Mnemonic()})
		}}
	cmd.Flags().StringVar(&xpub, "watch-only", "", "make a watch-only wallet of this account public key (from `wallet export-xpub`)")
	cmd.Flags().BoolVar(&withBIP39, "bip39-passphrase", false, "extend the mnemonic with a BIP39 passphrase (from WALLET_BIP39_PASSPHRASE or a prompt); a restore needs it too")
	return cmd
}

func (e *env) restoreCmd() *cobra.Command {
	var withBIP39 bool
	cmd := &cobra.Command{Use: "restore", Short: "Restore a wallet from its mnemonic (WALLET_MNEMONIC or stdin) and find its funds",
		Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := e.params()
			if err != nil {
				return err
			}
			path, err := e.path(p)
			if err != nil {
				return err
			}
			mnemonic := e.getenv("WALLET_MNEMONIC")
			if mnemonic == "" {
				fmt.Fprint(e.stderr, "Mnemonic: ")
				line, _ := bufio.NewReader(e.stdin).ReadString('\n')
				mnemonic = strings.TrimSpace(line)
			}
			if err := keystore.ValidateMnemonic(mnemonic); err != nil {
				return mnemonicError(mnemonic)
			}
			node, err := e.checkedNode(c.Context())
			if err != nil {
				return err
			}
			bip39, err := e.bip39Passphrase(withBIP39)
			if err != nil {
				return err
			}
			pass, err := e.newSecret("WALLET_PASSPHRASE", "wallet passphrase", false)
			if err != nil {
				return err
			}
			w, err := wallet.Restore(path, pass, p, mnemonic, bip39, kdfOptions...)
			if err != nil {
				return err
			}
			if err := w.Rescan(c.Context(), node); err != nil {
				return fmt.Errorf("wallet restored to %s, but finding its funds failed (run `wallet balance` later): %w", path, err)
			}
			recv, change := w.Indexes()
			return e.print(map[string]any{"wallet": path, "receive_index": recv, "change_index": change})
		}}
	cmd.Flags().BoolVar(&withBIP39, "bip39-passphrase", false, "the mnemonic was extended with a BIP39 passphrase (from WALLET_BIP39_PASSPHRASE or a prompt)")
	return cmd
}

func (e *env) addressCmd() *cobra.Command {
	return &cobra.Command{Use: "address", Short: "Show a fresh receive address", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			w, _, err := e.open()
			if err != nil {
				return err
			}
			addr, err := w.Address()
			if err != nil {
				return err
			}
			return e.print(map[string]string{"address": addr})
		}}
}

func (e *env) balanceCmd() *cobra.Command {
	return &cobra.Command{Use: "balance", Short: "Show confirmed, unconfirmed and immature balances in units", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			w, node, err := e.openWithNode(c.Context(), false)
			if err != nil {
				return err
			}
			b, err := w.Balance(c.Context(), node)
			if err != nil {
				return err
			}
			return e.print(b)
		}}
}

func (e *env) historyCmd() *cobra.Command {
	var count, skip int
	cmd := &cobra.Command{Use: "history", Short: "List the wallet's transactions, oldest first", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if count < 0 || skip < 0 {
				return cli.Usagef("--count and --skip must not be negative")
			}
			w, node, err := e.openWithNode(c.Context(), false)
			if err != nil {
				return err
			}
			h, err := w.History(c.Context(), node)
			if err != nil {
				return err
			}
			return e.print(map[string]any{"txs": wallet.Page(h, count, skip)})
		}}
	cmd.Flags().IntVar(&count, "count", 0, "show only the N most recent transactions (0: all)")
	cmd.Flags().IntVar(&skip, "skip", 0, "leave out the M most recent transactions first")
	return cmd
}

func (e *env) spvClient() (*spv.Client, *chaincfg.Params, error) {
	p, err := e.params()
	if err != nil {
		return nil, nil, err
	}
	path, err := e.path(p)
	if err != nil {
		return nil, nil, err
	}
	lv, err := cli.ParseLevel(e.logLevel)
	if err != nil {
		return nil, nil, cli.Usagef("--log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lv}))
	c, err := spv.Open(path+".spv", p, logger)
	return c, p, err
}

// droppedList is the dropped_peers value of SPV output: never null.
func droppedList(d []spv.DroppedPeer) []spv.DroppedPeer {
	if d == nil {
		return []spv.DroppedPeer{}
	}
	return d
}

func (e *env) spvCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "spv", Short: "Light wallet over p2p: header sync, compact-filter balance and history, payment verification"}
	var peers []string
	sync := &cobra.Command{Use: "sync --peer MULTIADDR...", Short: "Sync block headers from full nodes", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if len(peers) == 0 {
				return cli.Usagef("give at least one --peer MULTIADDR")
			}
			client, _, err := e.spvClient()
			if err != nil {
				return err
			}
			defer client.Close()
			res, err := client.Sync(c.Context(), peers)
			if err != nil {
				return err
			}
			return e.print(map[string]any{"height": res.Height, "tip": res.Tip.String(), "chain_work": res.ChainWork.Text(16),
				"dropped_peers": droppedList(res.Dropped)})
		}}
	sync.Flags().StringArrayVar(&peers, "peer", nil, "full node multiaddr ending in /p2p/ID (repeatable)")
	var txid string
	var confs uint64
	var vpeers []string
	verify := &cobra.Command{Use: "verify --txid TXID --peer MULTIADDR...", Short: "Verify a payment to this wallet", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if len(vpeers) == 0 || txid == "" {
				return cli.Usagef("verify needs --txid TXID and at least one --peer MULTIADDR")
			}
			id, err := chainhash.Parse(txid)
			if err != nil {
				return cli.Usagef("--txid: %v", err)
			}
			w, _, err := e.open()
			if err != nil {
				return err
			}
			client, _, err := e.spvClient()
			if err != nil {
				return err
			}
			defer client.Close()
			v, err := client.Verify(c.Context(), vpeers, id, confs, w.IsMine)
			if err != nil {
				return err
			}
			out := map[string]any{"txid": v.TxID.String(), "verified": v.Verified, "block": nil, "height": v.Height,
				"confirmations": v.Confirmations, "received": v.Received, "dropped_peers": droppedList(v.Dropped)}
			if !v.Block.IsZero() {
				out["block"] = v.Block.String()
			}
			if !v.Verified {
				out["reason"] = v.Reason
			}
			if err := e.print(out); err != nil {
				return err
			}
			if !v.Verified {
				fmt.Fprintf(e.stderr, "error: not verified: %s\n", v.Reason)
				return &cli.Exit{Code: cli.ExitFailure}
			}
			return nil
		}}
	verify.Flags().StringVar(&txid, "txid", "", "transaction id to verify")
	verify.Flags().Uint64Var(&confs, "confirmations", 1, "confirmations required")
	verify.Flags().StringArrayVar(&vpeers, "peer", nil, "full node multiaddr ending in /p2p/ID (repeatable)")
	cmd.AddCommand(sync, verify)
	cmd.AddCommand(e.spvWalletCmds()...)
	return cmd
}
