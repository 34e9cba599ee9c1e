package keystore

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

// ErrWatchOnly reports an operation that needs private keys on a watch-only wallet.
var ErrWatchOnly = errors.New("watch-only wallet: it holds no private keys")

// ErrInvalidXPub reports an extended public key that does not parse.
var ErrInvalidXPub = errors.New("invalid extended public key")

// KeysFromXPub makes watch-only key chains from an account's extended public
// key (as XPub returns): they derive every address but sign nothing.
func KeysFromXPub(xpub string) (*Keys, error) {
	k, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidXPub, err)
	}
	if k.IsPrivate() {
		return nil, fmt.Errorf("%w: it is a private key; give the account's public key (`wallet export-xpub`)", ErrInvalidXPub)
	}
	if k.Depth() != 3 {
		return nil, fmt.Errorf("%w: depth %d, want an account key (depth 3, m/86'/1'/0')", ErrInvalidXPub, k.Depth())
	}
	return keysOfAccount(k)
}

// XPub returns the account's extended public key, which a watch-only wallet is made from.
func (k *Keys) XPub() string { return k.xpub }

// WatchOnly reports whether the keys can only derive public keys.
func (k *Keys) WatchOnly() bool { return !k.account[0].IsPrivate() }

// DerivePub returns the x-only public key at index of the receive chain, or
// of the change chain when change is true; it works on watch-only keys too.
func (k *Keys) DerivePub(change bool, index uint32) ([32]byte, error) {
	chain := k.account[0]
	if change {
		chain = k.account[1]
	}
	child, err := chain.Derive(index)
	if err != nil {
		return [32]byte{}, fmt.Errorf("derive key %d: %w", index, err)
	}
	pub, err := child.ECPubKey()
	if err != nil {
		return [32]byte{}, fmt.Errorf("derive key %d: %w", index, err)
	}
	var out [32]byte
	copy(out[:], schnorr.SerializePubKey(pub))
	return out, nil
}
