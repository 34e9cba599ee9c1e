package keystore

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
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
// nonce[24] | XChaCha20-Poly1305(JSON of Data) | SHA-256 of all before, with
// everything before the ciphertext as associated data, so no header byte can
// be changed unnoticed. The trailing checksum (version 2; version 1 files
// have none and are still read) tells a damaged or truncated file apart from
// a wrong passphrase, which the AEAD alone cannot.
//
// The key comes from scrypt, a memory-hard KDF: N=2^15, r=8 costs 32 MiB and
// about 100 ms per guess, which makes offline passphrase guessing expensive.
// It is in golang.org/x/crypto, well reviewed, and its parameters are bounded
// before use so a hostile file cannot make us allocate gigabytes.

var magic = []byte("LGRWALLET")

const (
	fileVersion = 2
	// fileVersionNoChecksum is the first format, without the trailing checksum.
	fileVersionNoChecksum = 1
	saltSize              = 16
	headerSize            = 9 + 1 + 3 + saltSize + chacha20poly1305.NonceSizeX
	// Bounds on KDF parameters read from a file, so a tampered header cannot
	// make opening cost gigabytes or minutes: scrypt needs 128*r*N bytes and
	// does work proportional to 128*r*N*p. The default (N=2^15, r=8, p=1) uses 32 MiB.
	maxLogN      = 20
	maxR         = 16
	maxP         = 4
	maxKDFMemory = 64 << 20
	maxKDFWork   = 128 << 20
)

// kdfInBounds reports whether k costs at most maxKDFMemory and maxKDFWork.
func kdfInBounds(k kdf) bool {
	if k.logN < 1 || k.logN > maxLogN || k.r < 1 || k.r > maxR || k.p < 1 || k.p > maxP {
		return false
	}
	mem := uint64(128) * uint64(k.r) << k.logN
	return mem <= maxKDFMemory && mem*uint64(k.p) <= maxKDFWork
}

// Errors of the wallet file.
var (
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrCorrupt         = errors.New("wallet file is corrupt")
	ErrExists          = errors.New("wallet file already exists")
)

// Data is what a wallet file holds once decrypted.
type Data struct {
	Version  int    `json:"version"`
	Network  string `json:"network"`
	Mnemonic string `json:"mnemonic,omitempty"`
	// BIP39Passphrase is the optional mnemonic extension the seed was made with.
	BIP39Passphrase string `json:"bip39_passphrase,omitempty"`
	// XPub is set instead of Mnemonic in a watch-only wallet: its account public key.
	XPub        string    `json:"xpub,omitempty"`
	NextReceive uint32    `json:"next_receive"`
	NextChange  uint32    `json:"next_change"`
	Created     time.Time `json:"created"`
}

// Keys derives the key chains of the wallet's mnemonic.
func (d *Data) Keys() (*Keys, error) {
	if d.XPub != "" {
		return KeysFromXPub(d.XPub)
	}
	return KeysFromSeedWords(d.Mnemonic, d.BIP39Passphrase)
}

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
	sum := sha256.Sum256(out)
	out = append(out, sum[:]...)
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
	body := raw
	switch h[0] {
	case fileVersionNoChecksum:
	case fileVersion:
		if len(raw) < headerSize+chacha20poly1305.Overhead+sha256.Size {
			return nil, fmt.Errorf("%w: truncated", ErrCorrupt)
		}
		body = raw[:len(raw)-sha256.Size]
		if sum := sha256.Sum256(body); !bytes.Equal(sum[:], raw[len(body):]) {
			return nil, fmt.Errorf("%w: checksum mismatch (truncated or altered)", ErrCorrupt)
		}
	default:
		return nil, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, h[0])
	}
	k := kdf{logN: h[1], r: h[2], p: h[3]}
	if !kdfInBounds(k) {
		return nil, fmt.Errorf("%w: key derivation parameters N=2^%d r=%d p=%d out of range", ErrCorrupt, k.logN, k.r, k.p)
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
	plain, err := aead.Open(nil, nonce, body[headerSize:], raw[:headerSize])
	if err != nil {
		if h[0] == fileVersionNoChecksum {
			// Authentication failure: a wrong passphrase, or bytes changed after writing.
			return nil, fmt.Errorf("%w (or the file was altered)", ErrWrongPassphrase)
		}
		return nil, ErrWrongPassphrase // the checksum says the bytes are as written
	}
	var d Data
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &d, nil
}
