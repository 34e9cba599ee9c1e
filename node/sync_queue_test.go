package node

import (
	"context"
	"testing"

	"github.com/ledgerd/ledger/blocksync"
	"github.com/ledgerd/ledger/chaincfg"
)

// TestApplyQueuePeekShowsWhatPopReturnsNext: the apply loop prepares the
// block it will process next, so peek must show that block and leave it queued.
func TestApplyQueuePeekShowsWhatPopReturnsNext(t *testing.T) {
	q := newApplyQueue()
	if _, ok := q.peek(); ok {
		t.Fatal("peek on an empty queue found an action")
	}
	first, second := blocksync.Action{Block: chaincfg.Regtest.Genesis()}, blocksync.Action{}
	q.push(first)
	q.push(second)
	for _, want := range []blocksync.Action{first, second} {
		got, ok := q.peek()
		if !ok || got.Block != want.Block {
			t.Fatalf("peek: %v %v, want block %v", got.Block, ok, want.Block)
		}
		popped, ok := q.pop(context.Background())
		if !ok || popped.Block != want.Block {
			t.Fatalf("pop after peek: %v %v, want block %v", popped.Block, ok, want.Block)
		}
	}
	if _, ok := q.peek(); ok {
		t.Fatal("peek after popping everything found an action")
	}
}
