package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/tx"
	"github.com/ledgerd/ledger/wallet"
	"github.com/ledgerd/ledger/wallet/keystore"
)

// checkedNode connects to the node and makes sure it runs the wallet's network.
func (e *env) checkedNode(ctx context.Context) (*rpc.Client, error) {
	p, err := e.params()
	if err != nil {
		return nil, err
	}
	node, err := e.node()
	if err != nil {
		return nil, err
	}
	if err := wallet.CheckNetwork(ctx, node, p.Name); err != nil {
		return nil, err
	}
	return node, nil
}

// terminal returns stdin's file descriptor when it is a terminal.
func (e *env) terminal() (int, bool) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return int(f.Fd()), true
	}
	return 0, false
}

// newSecret reads a new secret from the environment variable envName, or
// from a terminal, asking twice so a typo cannot lock the user out. An empty
// secret is refused unless allowEmpty.
func (e *env) newSecret(envName, what string, allowEmpty bool) ([]byte, error) {
	if p := e.getenv(envName); p != "" {
		return []byte(p), nil
	}
	fd, ok := e.terminal()
	if !ok {
		return nil, fmt.Errorf("no %s: set %s or run in a terminal", what, envName)
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(e.stderr, prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		return p, nil
	}
	first, err := read("New " + what + ": ")
	if err != nil {
		return nil, err
	}
	if len(first) == 0 && !allowEmpty {
		return nil, fmt.Errorf("an empty %s is refused: it would leave the wallet file unprotected", what)
	}
	again, err := read("Repeat the " + what + ": ")
	if err != nil {
		return nil, err
	}
	if string(first) != string(again) {
		return nil, fmt.Errorf("the two %ss differ; nothing was written, try again", what)
	}
	return first, nil
}

// bip39Passphrase reads the optional BIP39 passphrase when --bip39-passphrase is given.
func (e *env) bip39Passphrase(wanted bool) (string, error) {
	if !wanted {
		return "", nil
	}
	p, err := e.newSecret("WALLET_BIP39_PASSPHRASE", "BIP39 passphrase", false)
	return string(p), err
}

func (e *env) sendCmd() *cobra.Command {
	var to, amount, unsigned string
	var feeRate int64
	var target int
	var utxos []string
	cmd := &cobra.Command{Use: "send --to ADDR --amount COINS", Short: "Send coins (or write an unsigned transaction with --unsigned FILE)", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if to == "" || amount == "" {
				return cli.Usagef("send needs --to ADDR and --amount COINS")
			}
			if feeRate < 0 {
				return cli.Usagef("--fee-rate must not be negative")
			}
			if target < 0 || target > rpc.MaxFeeTarget {
				return cli.Usagef("--conf-target must be between 1 and %d blocks", rpc.MaxFeeTarget)
			}
			req := wallet.SendRequest{To: to, FeeRate: feeRate, ConfTarget: target}
			for _, u := range utxos {
				op, err := wallet.ParseOutPoint(u)
				if err != nil {
					return cli.Usagef("--utxo: %v", err)
				}
				req.Coins = append(req.Coins, op)
			}
			p, err := e.params()
			if err != nil {
				return err
			}
			if _, err := tx.DecodeAddress(p.AddressHRP, to); err != nil {
				return fmt.Errorf("--to: %v", err)
			}
			if req.Amount, err = tx.ParseAmount(amount); err != nil {
				return fmt.Errorf("--amount: %v", err)
			}
			w, node, err := e.openWithNode(c.Context(), unsigned == "")
			if err != nil {
				return err
			}
			if unsigned != "" {
				f, err := w.PrepareUnsigned(c.Context(), node, req)
				if err != nil {
					return err
				}
				if err := writeNew(unsigned, f.Encode()); err != nil {
					return err
				}
				return e.print(map[string]any{"txid": f.TxID, "fee": f.Fee, "file": unsigned})
			}
			res, err := w.Send(c.Context(), node, req)
			if err != nil {
				return err
			}
			return e.print(res)
		}}
	cmd.Flags().StringVar(&to, "to", "", "address to pay")
	cmd.Flags().StringVar(&amount, "amount", "", "amount in coins, up to 8 decimal places")
	cmd.Flags().Int64Var(&feeRate, "fee-rate", 0, "fee rate in units per byte (default: the node's estimate for --conf-target)")
	cmd.Flags().IntVar(&target, "conf-target", wallet.DefaultConfTarget, "blocks within which the estimated fee rate should get it mined")
	cmd.Flags().StringArrayVar(&utxos, "utxo", nil, "spend only this output, TXID:INDEX (repeatable; see `wallet utxos`)")
	cmd.Flags().StringVar(&unsigned, "unsigned", "", "write the unsigned transaction to this file for `wallet sign` instead of sending")
	return cmd
}

// writeNew writes data to a new file, refusing to replace one.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; refusing to overwrite it (choose another file)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (e *env) utxosCmd() *cobra.Command {
	return &cobra.Command{Use: "utxos", Short: "List the wallet's unspent outputs", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			w, node, err := e.openWithNode(c.Context(), false)
			if err != nil {
				return err
			}
			us, err := w.UTXOs(c.Context(), node)
			if err != nil {
				return err
			}
			return e.print(map[string]any{"utxos": us})
		}}
}

func (e *env) bumpFeeCmd() *cobra.Command {
	var feeRate int64
	var target int
	cmd := &cobra.Command{Use: "bumpfee TXID", Short: "Replace an unconfirmed send with one paying a higher fee", Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if feeRate < 0 {
				return cli.Usagef("--fee-rate must not be negative")
			}
			if target < 0 || target > rpc.MaxFeeTarget {
				return cli.Usagef("--conf-target must be between 1 and %d blocks", rpc.MaxFeeTarget)
			}
			w, node, err := e.openWithNode(c.Context(), true)
			if err != nil {
				return err
			}
			res, err := w.BumpFee(c.Context(), node, args[0], feeRate, target)
			if err != nil {
				return err
			}
			return e.print(res)
		}}
	cmd.Flags().Int64Var(&feeRate, "fee-rate", 0, "new fee rate in units per byte (default: the estimate, and at least the old rate plus the minimum relay rate)")
	cmd.Flags().IntVar(&target, "conf-target", wallet.DefaultConfTarget, "blocks within which the estimated fee rate should get it mined")
	return cmd
}

func (e *env) exportXPubCmd() *cobra.Command {
	return &cobra.Command{Use: "export-xpub", Short: "Show the account's extended public key, for a watch-only wallet", Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			w, _, err := e.open()
			if err != nil {
				return err
			}
			return e.print(map[string]string{"xpub": w.XPub()})
		}}
}

func (e *env) signCmd() *cobra.Command {
	return &cobra.Command{Use: "sign IN OUT", Short: "Sign an unsigned transaction file (from send --unsigned); OUT gets its hex for `node send-raw`",
		Args: cli.Args(cobra.ExactArgs(2)),
		RunE: func(c *cobra.Command, args []string) error {
			data, err := readBounded(args[0])
			if err != nil {
				return err
			}
			w, _, err := e.open()
			if err != nil {
				return err
			}
			t, f, err := w.SignUnsigned(data)
			if err != nil {
				return err
			}
			if err := writeNew(args[1], []byte(fmt.Sprintf("%x\n", t.Encode()))); err != nil {
				return err
			}
			return e.print(map[string]any{"txid": t.ID().String(), "fee": f.Fee, "file": args[1]})
		}}
}

// readBounded reads a file of at most 4 MiB.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > 4<<20 {
		return nil, fmt.Errorf("%s is %d bytes: not an unsigned transaction file", path, st.Size())
	}
	return os.ReadFile(path)
}

// openWithNode opens the wallet and connects to a node of its network. With
// mustSign, a watch-only wallet is refused before any node is asked.
func (e *env) openWithNode(ctx context.Context, mustSign bool) (*wallet.Wallet, *rpc.Client, error) {
	w, _, err := e.open()
	if err != nil {
		return nil, nil, err
	}
	if mustSign {
		if err := w.CanSign(); err != nil {
			return nil, nil, err
		}
	}
	node, err := e.checkedNode(ctx)
	if err != nil {
		return nil, nil, err
	}
	return w, node, nil
}

// kdfOptions set the key derivation cost of wallet files this process
// writes; the default (nil) is the keystore's. In-process tests make it
// cheap, so their many wallet opens do not each cost 32 MiB of scrypt.
var kdfOptions []keystore.Option
