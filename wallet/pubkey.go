package wallet

// PubKey derives the public key at index of the receive chain, or of the
// change chain when change is true, whether or not it is watched yet. Light
// (SPV) syncs use it to look for the wallet's keys past the gap limit.
func (w *Wallet) PubKey(change bool, index uint32) ([32]byte, error) {
	_, pub, err := w.keys.Derive(change, index)
	return pub, err
}
