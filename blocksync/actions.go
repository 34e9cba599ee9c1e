package blocksync

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chainhash"
)

// ActionKind says what an Action asks the node to do.
type ActionKind int

// The actions.
const (
	// SendStatus asks Peer for its status (request Req).
	SendStatus ActionKind = iota + 1
	// SendHeaders asks Peer for the headers after Locator (request Req).
	SendHeaders
	// SendBlocks asks Peer for the blocks Hashes (request Req); a response
	// over MaxBytes is refused unread and reported as Oversize.
	SendBlocks
	// Process hands Block, received from Peer, to the chain; the node
	// reports the outcome with BlockProcessed. Blocks come in chain order.
	Process
	// Penalize adds Points of misbehaviour to Peer for Reason.
	Penalize
	// Disconnect closes the connection to Peer.
	Disconnect
	// FetchMempool reconciles our mempool with Peer's.
	FetchMempool
)

var kindNames = map[ActionKind]string{
	SendStatus: "send-status", SendHeaders: "send-headers", SendBlocks: "send-blocks",
	Process: "process", Penalize: "penalize", Disconnect: "disconnect", FetchMempool: "fetch-mempool",
}

func (k ActionKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("action(%d)", int(k))
}

// Action is one thing the machine decided the node should do.
type Action struct {
	Kind    ActionKind
	Peer    peer.ID
	Req     uint64
	Locator []chainhash.Hash
	// Stop, in SendHeaders, is the block whose branch is asked for: the
	// orphan the peer relayed, or zero for its main chain.
	Stop   chainhash.Hash
	Hashes []chainhash.Hash
	// MaxBytes bounds the response to SendBlocks: the most the blocks asked
	// for can take, reserved in the machine's byte window while in flight.
	MaxBytes int
	Block    *block.Block
	Points   int
	Reason   string
}

func (a Action) String() string {
	switch a.Kind {
	case Penalize:
		return fmt.Sprintf("%s %s %d: %s", a.Kind, a.Peer, a.Points, a.Reason)
	case SendBlocks:
		return fmt.Sprintf("%s %s #%d (%d blocks)", a.Kind, a.Peer, a.Req, len(a.Hashes))
	case Process:
		return fmt.Sprintf("%s %s from %s", a.Kind, a.Block.Hash(), a.Peer)
	}
	return fmt.Sprintf("%s %s #%d", a.Kind, a.Peer, a.Req)
}

// Failure says why a request produced no response.
type Failure int

// The failures.
const (
	// Transport: the stream or connection failed; nobody is at fault.
	Transport Failure = iota + 1
	// Unsupported: the peer does not speak the protocol (a light client).
	Unsupported
	// Remote: the peer answered with an error.
	Remote
	// Oversize: the response was longer than the request allows; it was
	// refused without being read.
	Oversize
)
