package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ledgerd/ledger/rpc"
)

// NodeClient reaches a running node: through rpcURL and cookieFile when
// either is given, else through the node.json and cookie in dir, which
// defaults to the network's data directory. dirFlag names the flag that sets
// dir ("--datadir" for node, "--node" for the wallet), for the error that
// says how to find a node.
func NodeClient(dir, network, rpcURL, cookieFile, dirFlag string) (*rpc.Client, error) {
	if rpcURL != "" || cookieFile != "" {
		return rpc.ClientFromFlags("", rpcURL, cookieFile)
	}
	resolved, err := ResolveDataDir(dir, network)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(resolved, "node.json")); errors.Is(err, os.ErrNotExist) {
		if dir == "" {
			return nil, fmt.Errorf("no running node found in %s: start one with `node run --network %s`, or pass %s DIR (a running node's data directory) or --rpc URL --rpc-cookie FILE", resolved, network, dirFlag)
		}
		return nil, fmt.Errorf("no running node found in %s: start it with `node run --datadir %s`, or pass %s DIR of a running node", resolved, resolved, dirFlag)
	}
	return rpc.ClientFromDatadir(resolved)
}
