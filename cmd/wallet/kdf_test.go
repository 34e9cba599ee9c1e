package main

import "github.com/ledgerd/ledger/wallet/keystore"

// The in-process tests write wallets with a cheap KDF: it is tested in the keystore package.
func init() { kdfOptions = []keystore.Option{keystore.WithKDFParams(4, 1, 1)} }
