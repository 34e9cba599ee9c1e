package rpc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// WriteCookie writes a fresh random cookie to path (mode 0600, replaced
// atomically) as "__cookie__:<hex>" and returns the password part.
func WriteCookie(path string) (string, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", fmt.Errorf("generate rpc cookie: %w", err)
	}
	password := hex.EncodeToString(secret[:])
	if err := atomicfile.WriteFile(path, []byte(CookieUser+":"+password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write rpc cookie: %w", err)
	}
	return password, nil
}

// ReadCookie returns the password in a cookie file, written either as
// "__cookie__:<hex>" or as the bare hex.
func ReadCookie(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read rpc cookie %s (is the node running, and is this its data directory?): %w", path, err)
	}
	s := strings.TrimSpace(string(data))
	s = strings.TrimPrefix(s, CookieUser+":")
	if s == "" || strings.ContainsAny(s, " :\n") {
		return "", fmt.Errorf("rpc cookie %s is malformed (restart the node to write a new one)", path)
	}
	return s, nil
}
