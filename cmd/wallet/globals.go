package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tyler-smith/go-bip39"
	"github.com/tyler-smith/go-bip39/wordlists"

	"github.com/ledgerd/ledger/internal/cli"
	"github.com/ledgerd/ledger/rpc"
)

// checkGlobalFlags refuses flag values that would silently do something
// else than asked, for every subcommand that has them.
func checkGlobalFlags(c *cobra.Command, _ []string) error {
	if f := c.Flags().Lookup("fee-rate"); f != nil && f.Changed {
		if r, err := strconv.ParseFloat(f.Value.String(), 64); err == nil && r <= 0 {
			return cli.Usagef("--fee-rate must be at least 1 unit per byte, got %s (leave it out to use the node's estimate)", f.Value.String())
		}
	}
	return nil
}

// nodeClient reaches the full node: --rpc URL --rpc-cookie FILE, or the
// node whose data directory is --node (default: the network's default data
// directory, where `node run --network N` keeps it).
func (e *env) nodeClient() (*rpc.Client, error) {
	return cli.NodeClient(e.nodeDir, e.network, e.rpcURL, e.cookie, "--node")
}

// mnemonicError explains why a mnemonic is not valid in words a user can act on.
func mnemonicError(mnemonic string) error {
	words := strings.Fields(strings.ToLower(mnemonic))
	if len(words) == 0 {
		return errors.New("no mnemonic given: set WALLET_MNEMONIC or type the words on stdin")
	}
	index := map[string]bool{}
	for _, w := range wordlists.English {
		index[w] = true
	}
	for i, w := range words {
		if !index[w] {
			return fmt.Errorf("mnemonic word %d (%q) is not in the BIP39 English word list: check its spelling", i+1, w)
		}
	}
	switch len(words) {
	case 12, 15, 18, 21, 24:
	default:
		return fmt.Errorf("the mnemonic has %d words; a wallet's mnemonic has 12 or 24 (check for missing or extra words)", len(words))
	}
	if !bip39.IsMnemonicValid(strings.Join(words, " ")) {
		return errors.New("the mnemonic's checksum does not match: a word is wrong or the words are out of order")
	}
	return errors.New("the mnemonic is not valid: check the words and their order")
}
