package p2p

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestIdentityKeyByteFlipIsRefused(t *testing.T) {
	dir := t.TempDir()
	key, err := loadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantID, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reloaded, err := loadOrCreateIdentity(dir)
	if err != nil {
		t.Fatalf("reload of an intact key: %v", err)
	}
	if id, _ := peer.IDFromPrivateKey(reloaded); id != wantID {
		t.Fatalf("reloaded peer ID %s, want %s", id, wantID)
	}
	// Every offset: the protobuf framing, the seed and the stored public half.
	for off := range good {
		for _, mask := range []byte{0x01, 0x80} {
			bad := bytes.Clone(good)
			bad[off] ^= mask
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadOrCreateIdentity(dir)
			if err == nil {
				t.Fatalf("byte %d of %d flipped by %#x: key accepted", off, len(good), mask)
			}
			if !strings.Contains(err.Error(), "move it aside") {
				t.Fatalf("byte %d: error %q does not say what to do", off, err)
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(after, bad) {
				t.Fatalf("byte %d: refused load changed the key file", off)
			}
		}
	}
}

func TestIdentityKeyPublicHalfMismatch(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadOrCreateIdentity(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Replace the stored public half (the last 32 bytes) with another key's.
	other := t.TempDir()
	if _, err := loadOrCreateIdentity(other); err != nil {
		t.Fatal(err)
	}
	otherData, err := os.ReadFile(filepath.Join(other, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	copy(data[len(data)-32:], otherData[len(otherData)-32:])
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadOrCreateIdentity(dir)
	if err == nil || !strings.Contains(err.Error(), "public half does not match") {
		t.Fatalf("swapped public half: err = %v, want a public/private mismatch", err)
	}
}
