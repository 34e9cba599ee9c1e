package tx

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// ErrBadSignature reports a signature that does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// PubKeyOf returns the 32-byte x-only public key of priv, the form outputs pay to.
func PubKeyOf(priv *btcec.PrivateKey) [32]byte {
	var k [32]byte
	copy(k[:], schnorr.SerializePubKey(priv.PubKey()))
	return k
}

// SignInput signs input index of t with priv and stores the signature in the input.
func SignInput(network string, t *Tx, prevOuts []TxOut, index int, priv *btcec.PrivateKey) error {
	msg, err := SigHash(network, t, prevOuts, index)
	if err != nil {
		return err
	}
	sig, err := schnorr.Sign(priv, msg[:])
	if err != nil {
		return fmt.Errorf("sign input %d: %w", index, err)
	}
	copy(t.Inputs[index].Signature[:], sig.Serialize())
	return nil
}

// VerifyInput checks the signature of input index of t against the key of the
// output it spends, prevOuts[index].
func VerifyInput(network string, t *Tx, prevOuts []TxOut, index int) error {
	msg, err := SigHash(network, t, prevOuts, index)
	if err != nil {
		return err
	}
	return VerifySignature(prevOuts[index].PubKey, msg[:], t.Inputs[index].Signature)
}

// VerifySignature checks a BIP340 signature of msg by the x-only key pub.
func VerifySignature(pub [32]byte, msg []byte, sig [64]byte) error {
	key, err := schnorr.ParsePubKey(pub[:])
	if err != nil {
		return fmt.Errorf("%w: public key: %v", ErrBadSignature, err)
	}
	s, err := schnorr.ParseSignature(sig[:])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if !s.Verify(msg, key) {
		return ErrBadSignature
	}
	return nil
}
