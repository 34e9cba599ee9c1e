package wallet

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
	"github.com/ledgerd/ledger/wallet/keystore"
)

// Offline signing: a watch-only wallet (or any wallet) writes an unsigned
// transaction with `send --unsigned FILE`; the wallet holding the mnemonic
// signs it with `wallet sign FILE OUT`; `node send-raw` broadcasts the result.
// The file carries each input's amount and key because the signature hash
// commits to them: a file that lies about an amount yields signatures no
// node accepts, never a larger fee than shown.

// unsignedFileVersion is the format version of UnsignedFile.
const unsignedFileVersion = 1

// maxUnsignedFileSize bounds an unsigned-transaction file read from disk.
const maxUnsignedFileSize = 4 << 20

// ErrBadUnsignedFile reports an unsigned-transaction file that is malformed or does not match its transaction.
var ErrBadUnsignedFile = errors.New("bad unsigned transaction file")

// UnsignedFile is an unsigned transaction with what signing it needs.
type UnsignedFile struct {
	Version int    `json:"version"`
	Network string `json:"network"`
	// TxID is the id the signed transaction will have (ids leave signatures out).
	TxID string `json:"txid"`
	// Tx is the transaction's encoding with empty signatures, as hex.
	Tx     string          `json:"tx"`
	Fee    int64           `json:"fee"`
	XPub   string          `json:"xpub"`
	Inputs []UnsignedInput `json:"inputs"`
}

// UnsignedInput is what input i of the transaction spends, and the key that signs it.
type UnsignedInput struct {
	TxID   string `json:"txid"`
	Index  uint32 `json:"index"`
	Amount int64  `json:"amount"`
	Key    string `json:"key"` // x-only public key, hex
	// Change and KeyIndex place the key in the account: m/86'/1'/0'/change/key_index.
	Change   bool   `json:"change"`
	KeyIndex uint32 `json:"key_index"`
	Path     string `json:"path"`
}

// PrepareUnsigned builds the payment req like Send, but returns it unsigned
// as a file for an offline signer instead of submitting it. It works on a
// watch-only wallet.
func (w *Wallet) PrepareUnsigned(ctx context.Context, node Node, req SendRequest) (*UnsignedFile, error) {
	res, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	d, err := w.draft(ctx, node, req, res)
	if err != nil {
		return nil, err
	}
	f := &UnsignedFile{Version: unsignedFileVersion, Network: w.params.Name, TxID: d.t.ID().String(),
		Tx: hex.EncodeToString(d.t.Encode()), Fee: d.fee, XPub: w.XPub()}
	for i, in := range d.t.Inputs {
		ref := w.index[d.prevOuts[i].PubKey]
		chain := 0
		if ref.change {
			chain = 1
		}
		f.Inputs = append(f.Inputs, UnsignedInput{TxID: in.Prev.TxID.String(), Index: in.Prev.Index, Amount: d.prevOuts[i].Amount,
			Key: hex.EncodeToString(d.prevOuts[i].PubKey[:]), Change: ref.change, KeyIndex: ref.n,
			Path: fmt.Sprintf("m/86'/1'/0'/%d/%d", chain, ref.n)})
	}
	return f, nil
}

// Encode returns the file's JSON.
func (f *UnsignedFile) Encode() []byte {
	b, _ := json.MarshalIndent(f, "", "  ")
	return append(b, '\n')
}

// DecodeUnsigned parses an unsigned-transaction file and checks that it is
// consistent: its transaction decodes, has empty signatures and the stated
// txid, and its inputs list exactly the transaction's inputs.
func DecodeUnsigned(data []byte) (*UnsignedFile, *tx.Tx, []tx.TxOut, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadUnsignedFile, fmt.Sprintf(format, args...))
	}
	if len(data) > maxUnsignedFileSize {
		return nil, nil, nil, bad("%d bytes, limit %d", len(data), maxUnsignedFileSize)
	}
	var f UnsignedFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, nil, bad("not JSON of the expected shape: %v", err)
	}
	if f.Version != unsignedFileVersion {
		return nil, nil, nil, bad("unknown version %d", f.Version)
	}
	raw, err := hex.DecodeString(f.Tx)
	if err != nil {
		return nil, nil, nil, bad("tx is not hex")
	}
	t, err := tx.Decode(raw)
	if err != nil {
		return nil, nil, nil, bad("tx does not decode: %v", err)
	}
	if t.IsCoinbase() {
		return nil, nil, nil, bad("tx is a coinbase")
	}
	if t.ID().String() != f.TxID {
		return nil, nil, nil, bad("txid %s does not match the transaction's %s", f.TxID, t.ID())
	}
	if len(f.Inputs) != len(t.Inputs) {
		return nil, nil, nil, bad("%d inputs described for %d in the transaction", len(f.Inputs), len(t.Inputs))
	}
	prevOuts := make([]tx.TxOut, len(t.Inputs))
	var in int64
	for i, d := range f.Inputs {
		id, err := chainhash.Parse(d.TxID)
		if err != nil || id != t.Inputs[i].Prev.TxID || d.Index != t.Inputs[i].Prev.Index {
			return nil, nil, nil, bad("input %d describes %s:%d, the transaction spends %s:%d", i, d.TxID, d.Index, t.Inputs[i].Prev.TxID, t.Inputs[i].Prev.Index)
		}
		key, err := hex.DecodeString(d.Key)
		if err != nil || len(key) != 32 {
			return nil, nil, nil, bad("input %d key is not 64 hex digits", i)
		}
		if d.Amount <= 0 || d.Amount > tx.MaxMoney {
			return nil, nil, nil, bad("input %d amount %d out of range", i, d.Amount)
		}
		in += d.Amount
		if in > tx.MaxMoney {
			return nil, nil, nil, bad("inputs total more than the money supply")
		}
		prevOuts[i] = tx.TxOut{Amount: d.Amount, PubKey: [32]byte(key)}
	}
	out, ok := t.OutputTotal()
	if !ok || out > in {
		return nil, nil, nil, bad("outputs exceed inputs")
	}
	if f.Fee != in-out {
		return nil, nil, nil, bad("fee %d, but inputs minus outputs is %d", f.Fee, in-out)
	}
	return &f, t, prevOuts, nil
}

// SignUnsigned signs the transaction of an unsigned-transaction file with
// the wallet's keys and returns it ready to broadcast. Every input's key
// must be the wallet's key at the stated place.
func (w *Wallet) SignUnsigned(data []byte) (*tx.Tx, *UnsignedFile, error) {
	if w.WatchOnly() {
		return nil, nil, fmt.Errorf("%w; sign with the wallet that holds the mnemonic", keystore.ErrWatchOnly)
	}
	f, t, prevOuts, err := DecodeUnsigned(data)
	if err != nil {
		return nil, nil, err
	}
	if f.Network != w.params.Name {
		return nil, nil, fmt.Errorf("%w: made for %s, this wallet is for %s", ErrBadUnsignedFile, f.Network, w.params.Name)
	}
	if f.XPub != "" && f.XPub != w.XPub() {
		return nil, nil, fmt.Errorf("%w: made by a watch-only wallet of another account (its xpub differs from this wallet's `export-xpub`)", ErrBadUnsignedFile)
	}
	for i, d := range f.Inputs {
		pub, err := w.keys.DerivePub(d.Change, d.KeyIndex)
		if err != nil {
			return nil, nil, err
		}
		if pub != prevOuts[i].PubKey {
			return nil, nil, fmt.Errorf("%w: input %d: key %s is not this wallet's key at %s", ErrBadUnsignedFile, i, d.Key, d.Path)
		}
		w.index[pub] = keyRef{change: d.Change, n: d.KeyIndex}
	}
	if err := w.signAll(t, prevOuts); err != nil {
		return nil, nil, err
	}
	return t, f, nil
}
