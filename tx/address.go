package tx

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// addressVersion is the witness-style version number carried as the first
// data symbol of every address, leaving room for future output types.
const addressVersion = 1

// ErrInvalidAddress reports a string that is not a valid address.
var ErrInvalidAddress = errors.New("invalid address")

// ErrWrongNetwork reports a valid address of another network.
var ErrWrongNetwork = errors.New("address is for another network")

// EncodeAddress returns the bech32m address paying to pub on the network whose
// human-readable part is hrp.
func EncodeAddress(hrp string, pub [32]byte) string {
	data, err := bech32.ConvertBits(pub[:], 8, 5, true)
	if err != nil {
		panic("tx: converting 32 bytes to 5-bit groups cannot fail: " + err.Error())
	}
	s, err := bech32.EncodeM(hrp, append([]byte{addressVersion}, data...))
	if err != nil {
		panic("tx: encoding a fixed-size address cannot fail: " + err.Error())
	}
	return s
}

// DecodeAddress parses a bech32m address and returns the key it pays to. It
// fails with ErrWrongNetwork for an address of another network and with
// ErrInvalidAddress for a mistyped one (bad checksum, bech32 instead of bech32m,
// wrong version or length).
func DecodeAddress(hrp, s string) ([32]byte, error) {
	var pub [32]byte
	gotHRP, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return pub, fmt.Errorf("%w %q: %s", ErrInvalidAddress, s, decodeProblem(err))
	}
	if gotHRP != strings.ToLower(hrp) {
		return pub, fmt.Errorf("%w: %q is for network prefix %q, this network uses %q", ErrWrongNetwork, s, gotHRP, hrp)
	}
	if version != bech32.VersionM {
		return pub, fmt.Errorf("%w %q: bech32 checksum, want bech32m", ErrInvalidAddress, s)
	}
	if len(data) == 0 || data[0] != addressVersion {
		return pub, fmt.Errorf("%w %q: unknown address version", ErrInvalidAddress, s)
	}
	key, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil || len(key) != len(pub) {
		return pub, fmt.Errorf("%w %q: wrong key length", ErrInvalidAddress, s)
	}
	copy(pub[:], key)
	return pub, nil
}

// decodeProblem describes a bech32 decoding failure without ever repeating
// the checksum the address should have had: printing it would let a mistyped
// address be "fixed" by pasting the checksum back, sending to the typo.
func decodeProblem(err error) string {
	var checksum bech32.ErrInvalidChecksum
	if errors.As(err, &checksum) {
		return "checksum does not match: a character is mistyped, missing or swapped; copy the address again"
	}
	return err.Error()
}
