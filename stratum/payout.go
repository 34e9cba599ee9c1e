package stratum

import "github.com/ledgerd/ledger/tx"

// PayoutPolicy decides who a block found through the pool pays: the outputs
// of its coinbase, given the worker that found it and the reward (subsidy
// plus fees). The policy is asked once per job sent to a worker, so the
// coinbase a worker hashes already pays what the policy says; a policy
// sharing rewards among recent share finders (PPLNS and the like) would keep
// its own share ledger and return one output per payee.
type PayoutPolicy interface {
	Outputs(finder [32]byte, reward int64) []tx.TxOut
}

// Solo pays the whole reward to the worker that found the block, as solo
// pools do. It is the default policy.
type Solo struct{}

// Outputs returns one output paying reward to finder.
func (Solo) Outputs(finder [32]byte, reward int64) []tx.TxOut {
	return []tx.TxOut{{Amount: reward, PubKey: finder}}
}
