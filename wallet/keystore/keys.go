// Package keystore holds a wallet's secrets: its BIP39 mnemonic, the BIP32
// keys derived from it, and the passphrase-encrypted file they live in.
package keystore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/tyler-smith/go-bip39"

	"github.com/ledgerd/ledger/tx"
)

// ErrInvalidMnemonic reports a mnemonic with an unknown word or a bad checksum.
var ErrInvalidMnemonic = errors.New("invalid mnemonic")

// NewMnemonic returns a fresh 24-word BIP39 mnemonic (256 bits of entropy).
func NewMnemonic() (string, error) {
	entropy, err := bip39.NewEntropy(256)
	if err != nil {
		return "", fmt.Errorf("generate entropy: %w", err)
	}
	return bip39.NewMnemonic(entropy)
}

// NormalizeMnemonic lowercases a mnemonic and folds its white space.
func NormalizeMnemonic(m string) string { return strings.Join(strings.Fields(strings.ToLower(m)), " ") }

// ValidateMnemonic checks the words and the checksum of a mnemonic.
func ValidateMnemonic(m string) error {
	if _, err := bip39.MnemonicToByteArray(NormalizeMnemonic(m)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMnemonic, err)
	}
	return nil
}

// purpose and coinType name the BIP32 path m/86'/1'/0'/change/index: BIP86
// single-key taproot-style outputs, coin type 1 for test networks.
const (
	purpose  = 86
	coinType = 1
)

// Keys derives the wallet's key pairs from its seed.
type Keys struct {
	account [2]*hdkeychain.ExtendedKey // external (receive) and internal (change) chains
	xpub    string                     // the account's extended public key
}

// KeysFromMnemonic derives the account keys of a mnemonic (empty BIP39 passphrase).
func KeysFromMnemonic(m string) (*Keys, error) { return KeysFromSeedWords(m, "") }

// KeysFromSeedWords derives the account keys of a mnemonic with an optional
// BIP39 passphrase (the "25th word": another passphrase gives other keys).
func KeysFromSeedWords(m, bip39Passphrase string) (*Keys, error) {
	if err := ValidateMnemonic(m); err != nil {
		return nil, err
	}
	seed := bip39.NewSeed(NormalizeMnemonic(m), bip39Passphrase)
	// The network parameters only set the serialisation version bytes, which this wallet never shows.
	master, err := hdkeychain.NewMaster(seed, &chaincfg.TestNet3Params)
	if err != nil {
		return nil, fmt.Errorf("derive master key: %w", err)
	}
	k := master
	for _, i := range []uint32{hdkeychain.HardenedKeyStart + purpose, hdkeychain.HardenedKeyStart + coinType, hdkeychain.HardenedKeyStart} {
		if k, err = k.Derive(i); err != nil {
			return nil, fmt.Errorf("derive account key: %w", err)
		}
	}
	return keysOfAccount(k)
}

// keysOfAccount derives the receive and change chains of an account key.
func keysOfAccount(k *hdkeychain.ExtendedKey) (*Keys, error) {
	pub, err := k.Neuter()
	if err != nil {
		return nil, fmt.Errorf("account public key: %w", err)
	}
	keys := &Keys{xpub: pub.String()}
	for change := uint32(0); change < 2; change++ {
		if keys.account[change], err = k.Derive(change); err != nil {
			return nil, fmt.Errorf("derive chain key: %w", err)
		}
	}
	return keys, nil
}

// Derive returns the private key and x-only public key at index of the
// receive chain, or of the change chain when change is true.
func (k *Keys) Derive(change bool, index uint32) (*btcec.PrivateKey, [32]byte, error) {
	chain := k.account[0]
	if change {
		chain = k.account[1]
	}
	child, err := chain.Derive(index)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("derive key %d: %w", index, err)
	}
	priv, err := child.ECPrivKey()
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("derive key %d: %w", index, err)
	}
	return priv, tx.PubKeyOf(priv), nil
}
