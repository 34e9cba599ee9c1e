package p2p

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// KeyFile is the name of the node's identity key inside its data directory.
const KeyFile = "p2p.key"

// loadOrCreateIdentity returns the Ed25519 key stored in dir, creating and
// storing one (mode 0600) on first use, so the peer ID survives restarts.
func loadOrCreateIdentity(dir string) (crypto.PrivKey, error) {
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := crypto.UnmarshalPrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("identity key %s is corrupt (delete it to get a new peer ID): %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read identity key: %w", err)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate identity key: %w", err)
	}
	raw, err := crypto.MarshalPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := atomicfile.WriteFile(path, raw, 0o600); err != nil {
		return nil, fmt.Errorf("write identity key: %w", err)
	}
	return key, nil
}
