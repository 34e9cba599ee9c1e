package p2p

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	crypto_pb "github.com/libp2p/go-libp2p/core/crypto/pb"

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
		key, err := decodeIdentity(data)
		if err != nil {
			return nil, fmt.Errorf("identity key %s is damaged (move it aside to start with a new peer ID; peers that knew the old ID must be told the new one): %w", path, err)
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

// identityCheckMessage is signed and verified when the key is loaded.
var identityCheckMessage = []byte("ledger p2p identity self-check")

// decodeIdentity decodes a stored key and checks that its public half
// belongs to its private half: an Ed25519 key stores both, and a flipped
// byte in either still decodes but yields a peer ID no one can
// authenticate. A signature made with the private half must verify with the
// public half, and for Ed25519 the public half must be the one the seed
// derives.
func decodeIdentity(data []byte) (crypto.PrivKey, error) {
	key, err := crypto.UnmarshalPrivateKey(data)
	if err != nil {
		return nil, err
	}
	if key.Type() == crypto_pb.KeyType_Ed25519 {
		raw, err := key.Raw()
		if err != nil {
			return nil, err
		}
		pub, err := key.GetPublic().Raw()
		if err != nil {
			return nil, err
		}
		derived := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize]).Public().(ed25519.PublicKey)
		if !bytes.Equal(derived, pub) {
			return nil, errors.New("its public half does not match its private half")
		}
	}
	sig, err := key.Sign(identityCheckMessage)
	if err != nil {
		return nil, fmt.Errorf("sign with it: %w", err)
	}
	ok, err := key.GetPublic().Verify(identityCheckMessage, sig)
	if err != nil || !ok {
		return nil, errors.New("a signature made with its private half does not verify with its public half")
	}
	return key, nil
}
