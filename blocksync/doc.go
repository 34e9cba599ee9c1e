// Package blocksync keeps a full node on the most-work chain that its peers
// can prove, without letting any one peer stall it, frame another peer, or
// make it store what it did not pay for in work.
//
// It is a deterministic state machine in the style of etcd raft: it has no
// goroutines, clocks or sockets. The node feeds it events (a peer connected,
// a response arrived, a request failed, a block was processed, time passed)
// and drains the actions it decided on (send a request, penalise a peer,
// process a block in order, fetch a peer's mempool) with Ready. Every hostile
// peer scenario is therefore a plain unit test with scripted peers.
//
// The rules it enforces:
//   - Headers first. A peer's headers are validated (proof of work, the
//     difficulty floor, every contextual rule, no known-invalid ancestor)
//     and kept as detached nodes, bounded per peer; block bodies are
//     downloaded only for a header chain with more work than the tip.
//   - Blocks are requested only from peers that announced them (their
//     headers or their status tip). A peer that announced a block and then
//     does not serve it in time, or says it lacks it, is the one penalised;
//     an honest peer that never announced it is never asked.
//   - A claim of more work that the peer's headers do not back is penalised
//     and discarded at once, and sync goes on with the other peers: headers
//     are fetched from every peer that claims more work, in parallel, and
//     blocks of one chain from all of its announcers.
//   - Blocks are handed to the chain strictly in order, downloaded ahead
//     within a window bounded in count and bytes, so validation overlaps
//     the download. The bytes include the most each request in flight may
//     be answered with; a longer response is refused unread.
package blocksync
