package keystore

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// File format: magic | version u8 | log2(N) u8 | r u8 | p u8 | salt[16] |
// nonce[24] | XChaCha20-Poly1305(JSON of Data), with everything before the
// ciphertext as associated data, so no header byte can be changed unnoticed.
//
// The key comes from scrypt, a memory-hard KDF: N=2^15, r=8 costs 32 MiB and
// about 100 ms per guess, which makes offline passphrase guessing expensive.
// It is in golang.org/x/crypto, well reviewed, and its parameters are bounded
// before use so a hostile file cannot make us allocate gigabytes.

var magic = []byte("LGRWALLET")

const (
	fileVersion = 1
	saltSize    = 16
	headerSize  = 9 + 1 + 3 + saltSize + chacha20poly1305.NonceSizeX
	// Bounds on KDF parameters read from a file.
	maxLogN = 20
	maxR    = 16
	maxP    = 4
)

// Errors of the wallet file.
var (
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrCorrupt         = errors.New("wallet file is corrupt")
	ErrExists          = errors.New("wallet file already exists")
)

// Data is what a wallet file holds once decrypted.
type Data struct {
	Version     int       `json:"version"`
	Network     string    `json:"network"`
	Mnemonic    string    `json:"mnemonic"`
	NextReceive uint32    `json:"next_receive"`
	NextChange  uint32    `json:"next_change"`
	Created     time.Time `json:"created"`
}

// Keys derives the key chains of the wallet's mnemonic.
func (d *Data) Keys() (*Keys, error) { return KeysFromMnemonic(d.Mnemonic) }

// kdf holds scrypt parameters.
type kdf struct{ logN, r, p uint8 }

var defaultKDF = kdf{logN: 15, r: 8, p: 1}

// Option adjusts how a file is written.
type Option func(*kdf)

// WithKDFParams sets the scrypt cost (tests use cheap ones).
func WithKDFParams(logN, r, p uint8) Option {
	return func(k *kdf) { *k = kdf{logN: logN, r: r, p: p} }
}

func deriveKey(pass []byte, salt []byte, k kdf) ([]byte, error) {
	return scrypt.Key(pass, salt, 1<<k.logN, int(k.r), int(k.p), chacha20poly1305.KeySize)
}

// Exists reports whether a file is at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Create writes a new wallet file and refuses to replace an existing one.
func Create(path string, d *Data, pass []byte, opts ...Option) error {
	if Exists(path) {
		return fmt.Errorf("%w: %s (use another --wallet path, or restore into a new file)", ErrExists, path)
	}
	return Save(path, d, pass, opts...)
}

// Save encrypts d with pass and replaces the file at path atomically: it
// writes a temporary file in the same directory, syncs it, renames it over
// path and syncs the directory, so a crash leaves either the old or the new file.
func Save(path string, d *Data, pass []byte, opts ...Option) error {
	k := defaultKDF
	for _, o := range opts {
		o(&k)
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return err
	}
	header := make([]byte, 0, headerSize)
	header = append(header, magic...)
	header = append(header, fileVersion, k.logN, k.r, k.p)
	salt := make([]byte, saltSize+chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("wallet: random salt: %w", err)
	}
	header = append(header, salt...)
	key, err := deriveKey(pass, salt[:saltSize], k)
	if err != nil {
		return fmt.Errorf("wallet: derive key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return err
	}
	out := aead.Seal(append([]byte(nil), header...), salt[saltSize:], plain, header)
	return writeAtomic(path, out)
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("wallet: create directory: %w", err)
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return nil
}

// Load reads and decrypts the wallet file at path.
func Load(path string, pass []byte) (*Data, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open wallet %s: %w", path, err)
	}
	return decrypt(raw, pass)
}

func decrypt(raw, pass []byte) (*Data, error) {
	if len(raw) < headerSize+chacha20poly1305.Overhead || !bytes.Equal(raw[:len(magic)], magic) {
		return nil, fmt.Errorf("%w: not a wallet file or truncated", ErrCorrupt)
	}
	h := raw[len(magic):headerSize]
	if h[0] != fileVersion {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, h[0])
	}
	k := kdf{logN: h[1], r: h[2], p: h[3]}
	if k.logN < 1 || k.logN > maxLogN || k.r < 1 || k.r > maxR || k.p < 1 || k.p > maxP {
		return nil, fmt.Errorf("%w: key derivation parameters out of range", ErrCorrupt)
	}
	salt := h[4 : 4+saltSize]
	nonce := h[4+saltSize:]
	key, err := deriveKey(pass, salt, k)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nonce, raw[headerSize:], raw[:headerSize])
	if err != nil {
		// Authentication failure: a wrong passphrase, or bytes changed after writing.
		return nil, fmt.Errorf("%w (or the file was altered)", ErrWrongPassphrase)
	}
	var d Data
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &d, nil
}
