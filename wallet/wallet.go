// Package wallet is the logic behind the wallet command line: it keeps a
// keystore file, hands out addresses, finds the wallet's coins through a
// full node's RPC, and builds, signs and submits payments.
package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/rpc"
	"github.com/ledgerd/ledger/wallet/keystore"
)

// GapLimit is how many unused addresses past the last used one are watched.
const GapLimit = 20

// Node is what the wallet needs of a full node; *rpc.Client implements it.
type Node interface {
	Scan(ctx context.Context, req rpc.ScanRequest) (*rpc.ScanResult, error)
	Tx(ctx context.Context, txid string) (*rpc.TxResult, error)
	SendRaw(ctx context.Context, req rpc.SendRawRequest) (*rpc.SendRawResult, error)
	EstimateFee(ctx context.Context, target int) (*rpc.FeeRateResult, error)
}

// Wallet is an open wallet file.
type Wallet struct {
	path   string
	pass   []byte
	params *chaincfg.Params
	data   *keystore.Data
	keys   *keystore.Keys
	opts   []keystore.Option
	// index maps each watched public key to its place in the key chains;
	// derived lists the places already in index.
	index   map[[32]byte]keyRef
	derived map[keyRef]bool
}

type keyRef struct {
	change bool
	n      uint32
}

// ErrNetworkMismatch reports a wallet file of another network.
var ErrNetworkMismatch = errors.New("wallet is for another network")

// Create makes a new wallet with a fresh mnemonic at path. bip39Passphrase
// is the optional mnemonic extension ("" for none); it is kept in the
// encrypted file, and a restore needs it as well as the words.
func Create(path string, pass []byte, params *chaincfg.Params, bip39Passphrase string, opts ...keystore.Option) (*Wallet, error) {
	m, err := keystore.NewMnemonic()
	if err != nil {
		return nil, err
	}
	return create(path, pass, params, &keystore.Data{Mnemonic: m, BIP39Passphrase: bip39Passphrase}, opts)
}

// Restore makes a wallet at path from an existing mnemonic (and the BIP39
// passphrase it was made with, if any); call Rescan to find its funds.
func Restore(path string, pass []byte, params *chaincfg.Params, mnemonic, bip39Passphrase string, opts ...keystore.Option) (*Wallet, error) {
	if err := keystore.ValidateMnemonic(mnemonic); err != nil {
		return nil, err
	}
	return create(path, pass, params, &keystore.Data{Mnemonic: keystore.NormalizeMnemonic(mnemonic), BIP39Passphrase: bip39Passphrase}, opts)
}

// CreateWatchOnly makes a wallet at path that watches the account of xpub
// (from `wallet export-xpub`): it shows balances and history and prepares
// unsigned transactions, but cannot sign; call Rescan to find its funds.
func CreateWatchOnly(path string, pass []byte, params *chaincfg.Params, xpub string, opts ...keystore.Option) (*Wallet, error) {
	if _, err := keystore.KeysFromXPub(xpub); err != nil {
		return nil, err
	}
	return create(path, pass, params, &keystore.Data{XPub: xpub}, opts)
}

func create(path string, pass []byte, params *chaincfg.Params, d *keystore.Data, opts []keystore.Option) (*Wallet, error) {
	d.Version, d.Network, d.Created = 1, params.Name, time.Now().UTC()
	if err := keystore.Create(path, d, pass, opts...); err != nil {
		return nil, err
	}
	return open(path, pass, params, d, opts)
}

// Open loads and decrypts the wallet at path.
func Open(path string, pass []byte, params *chaincfg.Params, opts ...keystore.Option) (*Wallet, error) {
	d, err := keystore.Load(path, pass)
	if err != nil {
		return nil, err
	}
	if d.Network != params.Name {
		return nil, fmt.Errorf("%w: %s holds a %s wallet, not %s (pass --network %s)", ErrNetworkMismatch, path, d.Network, params.Name, d.Network)
	}
	return open(path, pass, params, d, opts)
}

func open(path string, pass []byte, params *chaincfg.Params, d *keystore.Data, opts []keystore.Option) (*Wallet, error) {
	keys, err := d.Keys()
	if err != nil {
		return nil, err
	}
	w := &Wallet{path: path, pass: pass, params: params, data: d, keys: keys, opts: opts, index: map[[32]byte]keyRef{}, derived: map[keyRef]bool{}}
	if err := w.watch(); err != nil {
		return nil, err
	}
	return w, nil
}

// watch derives every key up to the gap limit past the next unused indexes.
func (w *Wallet) watch() error {
	for _, chain := range []struct {
		change bool
		next   uint32
	}{{false, w.data.NextReceive}, {true, w.data.NextChange}} {
		for i := uint32(0); i < chain.next+GapLimit; i++ {
			ref := keyRef{change: chain.change, n: i}
			if w.derived[ref] {
				continue
			}
			pub, err := w.keys.DerivePub(chain.change, i)
			if err != nil {
				return err
			}
			w.index[pub] = ref
			w.derived[ref] = true
		}
	}
	return nil
}

// Mnemonic returns the wallet's recovery words.
func (w *Wallet) Mnemonic() string { return w.data.Mnemonic }

// Path returns the wallet file's path.
func (w *Wallet) Path() string { return w.path }

// Indexes returns the next unused receive and change indexes.
func (w *Wallet) Indexes() (uint32, uint32) { return w.data.NextReceive, w.data.NextChange }

// IsMine reports whether pub is one of the wallet's watched keys.
func (w *Wallet) IsMine(pub [32]byte) bool { _, ok := w.index[pub]; return ok }

func (w *Wallet) save() error { return keystore.Save(w.path, w.data, w.pass, w.opts...) }

// nextKey hands out the next unused key of a chain and records it as used.
func (w *Wallet) nextKey(change bool) ([32]byte, error) {
	ctr := &w.data.NextReceive
	if change {
		ctr = &w.data.NextChange
	}
	pub, err := w.keys.DerivePub(change, *ctr)
	if err != nil {
		return pub, err
	}
	*ctr++
	if err := w.save(); err != nil {
		return pub, err
	}
	return pub, w.watch()
}

// WatchOnly reports whether the wallet holds no private keys.
func (w *Wallet) WatchOnly() bool { return w.keys.WatchOnly() }

// XPub returns the account's extended public key, for `wallet create --watch-only`.
func (w *Wallet) XPub() string { return w.keys.XPub() }

// Network returns the name of the wallet's network.
func (w *Wallet) Network() string { return w.params.Name }

// privKey returns the private key of a watched public key.
func (w *Wallet) privKey(pub [32]byte) (*btcec.PrivateKey, error) {
	if w.WatchOnly() {
		return nil, watchOnlyError()
	}
	ref, ok := w.index[pub]
	if !ok {
		return nil, fmt.Errorf("key %x is not this wallet's", pub)
	}
	priv, _, err := w.keys.Derive(ref.change, ref.n)
	return priv, err
}
