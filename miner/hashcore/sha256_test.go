package hashcore

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"testing"
)

// implementations lists every compression function this machine can run.
func implementations() map[string]blockFunc {
	impls := map[string]blockFunc{"generic": blockGeneric}
	if implName != "generic" {
		impls[implName] = compress
	}
	return impls
}

func TestCompressionMatchesFIPS180Vectors(t *testing.T) {
	vectors := map[string]string{
		"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	}
	for name, block := range implementations() {
		for msg, want := range vectors {
			if got := sum256([]byte(msg), block); hex.EncodeToString(got[:]) != want {
				t.Errorf("%s: SHA-256(%q) = %x, want %s", name, msg, got, want)
			}
		}
	}
}

func TestCompressionMatchesCryptoSHA256(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for name, block := range implementations() {
		for n := 0; n < 300; n++ {
			msg := make([]byte, n)
			r.Read(msg)
			if sum256(msg, block) != sha256.Sum256(msg) {
				t.Fatalf("%s: %d-byte message hashes differently from crypto/sha256", name, n)
			}
		}
	}
}

func BenchmarkCompress(b *testing.B) {
	for name, block := range implementations() {
		b.Run(name, func(b *testing.B) {
			state := iv
			var p [64]byte
			b.SetBytes(64)
			for b.Loop() {
				block(&state, &p)
			}
		})
	}
}
