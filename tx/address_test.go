package tx_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ledgerd/ledger/tx"
)

func TestMistypedAddressNeverShowsTheChecksum(t *testing.T) {
	var pub [32]byte
	pub[0] = 7
	addr := tx.EncodeAddress("lrt", pub)
	// Change one data character; the real checksum is the last 6 characters.
	i := len(addr) - 10
	typo := []byte(addr)
	if typo[i] == 'q' {
		typo[i] = 'p'
	} else {
		typo[i] = 'q'
	}
	_, err := tx.DecodeAddress("lrt", string(typo))
	if !errors.Is(err, tx.ErrInvalidAddress) {
		t.Fatalf("mistyped address: %v, want ErrInvalidAddress", err)
	}
	if sum := addr[len(addr)-6:]; strings.Contains(strings.ReplaceAll(err.Error(), string(typo), ""), sum) {
		t.Fatalf("error %q repeats the correct checksum %q", err, sum)
	}
	if !strings.Contains(err.Error(), "checksum does not match") {
		t.Fatalf("error %q does not say the checksum failed", err)
	}
}
