package explorer

import (
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/tx"
)

// Chain is the read side of the validated chain; *chain.Chain implements it.
type Chain interface {
	Params() *chaincfg.Params
	Tip() chain.TipInfo
	HashAtHeight(height uint64) (chainhash.Hash, error)
	BlockByHash(h chainhash.Hash) (*block.Block, chain.BlockInfo, error)
	// HeadersAfter returns up to max main-chain headers after the first
	// locator hash on the main chain, from the in-memory index.
	HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) []block.Header
	TxByID(id chainhash.Hash) (*tx.Tx, chain.TxInfo, error)
	MerkleProof(id chainhash.Hash) (*chain.TxProof, error)
	LookupUTXO(op tx.OutPoint) (*chain.UTXO, error)
	SummaryByKey(pub [32]byte) (chain.AddressSummary, error)
	// HistoryPage returns up to limit of pub's transactions, newest first,
	// after the offset newest, and how many there are.
	HistoryPage(pub [32]byte, offset, limit int) ([]chain.HistoryEntry, int, error)
}

// Mempool is the read side of the transaction pool; *mempool.Pool implements it.
type Mempool interface {
	Get(id chainhash.Hash) (mempool.Entry, bool)
	Transactions() []mempool.Entry
	SpentBy(op tx.OutPoint) (chainhash.Hash, bool)
	Count() int
	Bytes() int
}

// Node is what the explorer shows of the node beyond its chain and mempool.
type Node interface {
	// Peers lists the connected peers.
	Peers() []Peer
	// Sync reports how far the node has verified the best chain it knows.
	Sync() Sync
}

// Peer is one connected peer.
type Peer struct {
	ID   string
	Addr string
	// Height is the best height the peer has announced (0 when unknown).
	Height uint64
	// Since is when the connection opened.
	Since time.Time
}

// Sync is the node's sync position.
type Sync struct {
	// Syncing is true while the node downloads blocks from a peer ahead of it.
	Syncing bool
	// Blocks is the verified height; Headers the best height peers have shown.
	Blocks, Headers uint64
	// Progress is the share of the best known chain work verified (0-1).
	Progress float64
	// ETA estimates the time left to catch up (0 when synced or unknown).
	ETA time.Duration
}

// Source is everything the explorer reads.
type Source struct {
	Chain   Chain
	Mempool Mempool
	Node    Node
	// Events is the node's event bus, which /explorer/events streams.
	Events *events.Bus
}
