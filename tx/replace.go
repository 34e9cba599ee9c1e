package tx

// FlagReplaceable is the bit of a transaction's Version by which it opts in
// to replacement while unconfirmed, in the spirit of BIP125: a pool keeps the
// first transaction it sees spending an output, unless that transaction (or
// an unconfirmed ancestor) sets this bit and a replacement pays more. The
// bit is policy only; consensus ignores the version.
const FlagReplaceable uint32 = 1 << 31

// SignalsReplaceable reports whether t opts in to replacement itself.
func (t *Tx) SignalsReplaceable() bool { return t.Version&FlagReplaceable != 0 }
