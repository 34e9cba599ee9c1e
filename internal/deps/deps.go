//go:build tools

// Package deps pins the modules the project depends on while the packages that
// import them are being written, so go mod tidy keeps them.
package deps

import (
	_ "github.com/btcsuite/btcd/btcec/v2/schnorr"
	_ "github.com/btcsuite/btcd/btcutil/bech32"
	_ "github.com/btcsuite/btcd/btcutil/hdkeychain"
	_ "github.com/btcsuite/btcd/chaincfg"
	_ "github.com/libp2p/go-libp2p"
	_ "github.com/libp2p/go-libp2p-pubsub"
	_ "github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	_ "github.com/libp2p/go-libp2p/p2p/net/connmgr"
	_ "github.com/multiformats/go-multiaddr"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/spf13/cobra"
	_ "github.com/syndtr/goleveldb/leveldb"
	_ "github.com/tyler-smith/go-bip39"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/crypto/chacha20poly1305"
	_ "golang.org/x/crypto/scrypt"
	_ "golang.org/x/sys/cpu"
)
