// Package chaincfg holds the consensus parameters of each network: genesis
// block, block interval and retargeting, subsidy schedule, coinbase maturity
// and size limits, plus the per-network defaults a node starts with.
package chaincfg

import (
	"fmt"
	"sort"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/tx"
)

// Params are the consensus rules and defaults of one network.
type Params struct {
	// Name identifies the network on the command line, in gossip topics and in signature hashes.
	Name string
	// AddressHRP is the bech32m human-readable part of this network's addresses.
	AddressHRP string
	// DefaultP2PPort and DefaultRPCPort are where a node listens unless told otherwise.
	DefaultP2PPort int
	DefaultRPCPort int

	// GenesisTime and GenesisDifficulty define the genesis block; GenesisDifficulty
	// is also the difficulty of block 1, the anchor of retargeting.
	GenesisTime       int64
	GenesisDifficulty pow.Difficulty
	// Retarget sets the block interval and how difficulty follows it.
	Retarget pow.RetargetParams
	// MaxFutureDrift is how many seconds ahead of the local clock a block's time may be.
	// Where difficulty retargets it is at most Retarget.HalfLife, so that one
	// block's timestamp moves the next block's difficulty by at most one bit.
	MaxFutureDrift int64

	// InitialSubsidy is the first blocks' reward in units; it halves every SubsidyHalvingInterval blocks.
	InitialSubsidy         int64
	SubsidyHalvingInterval uint64
	// CoinbaseMaturity is how many blocks must follow a coinbase before it can be spent:
	// an output of the coinbase at height h is spendable in a block at height h+CoinbaseMaturity or later.
	CoinbaseMaturity uint64
	// MaxBlockSize bounds a block's encoding in bytes (it fits one gossip message).
	MaxBlockSize int
}

// Regtest is the local regression-test network: a fixed, trivial difficulty
// so blocks are mined on demand, and bitcoind's regtest subsidy schedule.
var Regtest = &Params{
	Name:              "regtest",
	AddressHRP:        "lrt",
	DefaultP2PPort:    19444,
	DefaultRPCPort:    19443,
	GenesisTime:       1767225600, // 2026-01-01T00:00:00Z
	GenesisDifficulty: pow.One,    // 1 bit: two hashes per block on average
	Retarget: pow.RetargetParams{
		TargetSpacing: 1,
		HalfLife:      3600,
		Min:           pow.One,
		Max:           pow.One,
		NoRetarget:    true,
	},
	MaxFutureDrift:         2 * 60 * 60,
	InitialSubsidy:         50 * tx.UnitsPerCoin,
	SubsidyHalvingInterval: 150,
	CoinbaseMaturity:       100,
	MaxBlockSize:           1_000_000,
}

// Testnet is the network `make run` and the local testnet scripts use:
// difficulty retargets every block (ASERT) toward a 5-second interval. It
// starts at 16 bits, low enough that a laptop CPU mines its first hundreds
// of blocks in a minute or two (so coinbases mature quickly on a fresh
// network) before the difficulty climbs to match the hash rate.
var Testnet = &Params{
	Name:              "testnet",
	AddressHRP:        "ltn",
	DefaultP2PPort:    19333,
	DefaultRPCPort:    19332,
	GenesisTime:       1767225600, // 2026-01-01T00:00:00Z
	GenesisDifficulty: 16 * pow.One,
	Retarget: pow.RetargetParams{
		TargetSpacing: 5,
		HalfLife:      5 * 60,
		Min:           12 * pow.One,
		Max:           pow.MaxDifficulty,
	},
	// No longer than the half-life: a block dated at the future limit can
	// lower the next block's difficulty by at most one bit (time warp bound).
	MaxFutureDrift:         5 * 60,
	InitialSubsidy:         50 * tx.UnitsPerCoin,
	SubsidyHalvingInterval: 210_000,
	CoinbaseMaturity:       100,
	MaxBlockSize:           1_000_000,
}

var networks = map[string]*Params{Regtest.Name: Regtest, Testnet.Name: Testnet}

// ByName returns the parameters of the named network.
func ByName(name string) (*Params, error) {
	if p, ok := networks[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown network %q (known: %v)", name, Names())
}

// Names lists the known networks.
func Names() []string {
	var out []string
	for n := range networks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Subsidy returns the block reward in units at the given height.
func (p *Params) Subsidy(height uint64) int64 {
	halvings := height / p.SubsidyHalvingInterval
	if halvings >= 63 {
		return 0
	}
	return p.InitialSubsidy >> halvings
}

// Genesis returns the network's genesis block, built from the parameters (a
// new copy each call). Its single coinbase pays to an all-zero key, which is
// not a point on the curve, so it can never be spent, and it is not added to
// the UTXO set. The genesis block is fixed by these parameters rather than validated.
func (p *Params) Genesis() *block.Block {
	cb := &tx.Tx{
		Version:  1,
		Coinbase: &tx.Coinbase{Height: 0},
		Outputs:  []tx.TxOut{{Amount: p.InitialSubsidy}},
	}
	b := &block.Block{
		Header: block.Header{Version: 1, Time: p.GenesisTime, Difficulty: p.GenesisDifficulty},
		Txs:    []*tx.Tx{cb},
	}
	b.Header.MerkleRoot = block.ComputeMerkleRoot(b.Txs)
	return b
}

// GenesisHash returns the hash of the genesis block.
func (p *Params) GenesisHash() chainhash.Hash {
	return p.Genesis().Hash()
}

// RequiredDifficulty returns the difficulty a block at height must carry,
// given its parent's height and time, and the time of block 1 (the
// retargeting anchor; unused for heights below 2). Block 1's time, not the
// genesis time, anchors the schedule, so a network started long after its
// genesis date does not spend its first blocks catching up with the calendar.
func (p *Params) RequiredDifficulty(parentHeight uint64, parentTime, anchorTime int64) pow.Difficulty {
	if parentHeight < 1 || p.Retarget.NoRetarget {
		return p.GenesisDifficulty
	}
	return pow.NextDifficulty(p.Retarget, p.GenesisDifficulty, anchorTime, parentHeight-1, parentTime)
}
