package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ledgerd/ledger/chaincfg"
)

// HomeEnv names the environment variable that moves the base directory of
// every network's default data directory (default ~/.ledger).
const HomeEnv = "LEDGER_HOME"

// DefaultDataDir returns the data directory a network uses when --datadir is
// not given: $LEDGER_HOME/<network>, or ~/.ledger/<network>.
func DefaultDataDir(network string) (string, error) {
	base := os.Getenv(HomeEnv)
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("no home directory to keep the default data directory in; pass --datadir DIR or set " + HomeEnv)
		}
		base = filepath.Join(home, ".ledger")
	}
	if network == "" {
		return "", fmt.Errorf("no network to choose a default data directory for; pass --network or --datadir")
	}
	return filepath.Join(base, network), nil
}

// DataDirOr returns dir, or the network's default data directory when dir is empty.
func DataDirOr(dir, network string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return DefaultDataDir(network)
}

// ResolveDataDir checks the network name and returns dir, or the network's
// default data directory when dir is empty.
func ResolveDataDir(dir, network string) (string, error) {
	if _, err := chaincfg.ByName(network); err != nil {
		return "", Usagef("--network: %v", err)
	}
	return DataDirOr(dir, network)
}
