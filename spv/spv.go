// Package spv is the header-only client of the Bitcoin whitepaper's section
// 8: it keeps block headers alone, checks each as a full node would (links,
// proof of work, the required difficulty, timestamps), follows the most-work
// header chain across several peers, and verifies that a payment is buried
// in that chain with a Merkle proof.
package spv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/headerchain"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/p2p"
)

// Client is a header-only client with its own header store.
type Client struct {
	mu     sync.Mutex
	params *chaincfg.Params
	log    *slog.Logger
	index  *headerchain.Index
	store  *headerStore
	now    func() int64
	dir    string
	// perm returns a random permutation of [0, n): the order in which peers are tried.
	perm func(n int) []int
}

// Open opens the header store in dir (creating it) and reloads its headers.
func Open(dir string, params *chaincfg.Params, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spv: create %s: %w", dir, err)
	}
	store, headers, err := openHeaderStore(filepath.Join(dir, "headers-"+params.Name+".dat"))
	if err != nil {
		return nil, err
	}
	c := &Client{params: params, log: logger, index: headerchain.NewIndex(params), store: store, now: func() int64 { return time.Now().Unix() },
		dir: dir, perm: rand.Perm}
	for i := range headers {
		// Stored headers were checked when they arrived; the index only links them.
		if _, err := c.index.AddTrusted(headers[i], 0); err != nil {
			store.close()
			return nil, fmt.Errorf("spv: header store is inconsistent (delete %s to resync): %w", dir, err)
		}
	}
	return c, nil
}

// Close closes the header store.
func (c *Client) Close() error { return c.store.close() }

// SyncResult describes the most-work header chain.
type SyncResult struct {
	Height    uint64
	Tip       chainhash.Hash
	ChainWork *big.Int
	// Dropped lists the peers a sync stopped using, and why.
	Dropped []DroppedPeer
}

// Best returns the tip of the most-work header chain.
func (c *Client) Best() SyncResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.index.Best()
	return SyncResult{Height: b.Height, Tip: b.Hash, ChainWork: new(big.Int).Set(b.Work)}
}

// DroppedPeer is a peer a command stopped using, and why: unreachable, on
// another network, or caught serving bad data (those are also banned).
type DroppedPeer struct {
	Peer   string `json:"peer"`
	Reason string `json:"reason"`
	// Banned is true for a peer caught serving bad data.
	Banned bool `json:"banned"`
}

// session is a connection to a set of full nodes for one command.
type session struct {
	c       *Client
	host    *p2p.Host
	peers   []peer.ID
	claimed map[peer.ID]*big.Int // chain work each peer claimed in its handshake
	dropped []DroppedPeer
	// received counts the bytes of answers per protocol, for the figures.
	received map[string]int64
}

// drop reports that the session stops using who (a peer ID or address) for reason.
func (s *session) drop(who, reason string) {
	reason = strings.Join(strings.Fields(reason), " ") // dial errors span lines
	s.c.log.Warn("dropping peer", "peer", who, "reason", reason)
	s.dropped = append(s.dropped, DroppedPeer{Peer: who, Reason: reason})
}

// ban drops a peer that served bad data and penalises it to the ban threshold.
func (s *session) ban(id peer.ID, reason string) {
	s.drop(id.String(), reason)
	s.dropped[len(s.dropped)-1].Banned = true
	s.host.Penalize(id, p2p.BanThreshold, reason)
}

// connect starts an ephemeral p2p host and connects to the given peers,
// keeping those that answer the handshake for this network.
func (c *Client) connect(ctx context.Context, addrs []string) (*session, error) {
	if len(addrs) == 0 {
		return nil, errors.New("spv: no peers given (--peer MULTIADDR)")
	}
	h, err := p2p.New(ctx, p2p.Config{ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Network: c.params.Name, NoPEX: true, Logger: c.log})
	if err != nil {
		return nil, fmt.Errorf("spv: start p2p: %w", err)
	}
	s := &session{c: c, host: h, claimed: map[peer.ID]*big.Int{}, received: map[string]int64{}}
	for _, a := range addrs {
		info, err := peer.AddrInfoFromString(a)
		if err != nil {
			s.drop(a, fmt.Sprintf("not a multiaddr ending in /p2p/ID: %v", err))
			continue
		}
		if err := h.Connect(ctx, a); err != nil {
			s.drop(info.ID.String(), fmt.Sprintf("unreachable: %v", err))
			continue
		}
		if err := s.handshake(ctx, info.ID); err != nil {
			s.ban(info.ID, err.Error())
			continue
		}
		s.peers = append(s.peers, info.ID)
	}
	if len(s.peers) == 0 {
		h.Close()
		return nil, fmt.Errorf("spv: none of the given peers could be used (%s)", s.droppedSummary())
	}
	return s, nil
}

// droppedSummary lists the dropped peers and their reasons on one line.
func (s *session) droppedSummary() string {
	var why []string
	for _, d := range s.dropped {
		why = append(why, d.Peer+": "+d.Reason)
	}
	return strings.Join(why, "; ")
}

func (s *session) close() { s.host.Close() }

func (s *session) handshake(ctx context.Context, id peer.ID) error {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := s.host.Request(rctx, id, netproto.ProtoStatus, nil, netproto.MaxStatusSize)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	st, err := netproto.DecodeStatus(raw)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if st.Network != s.c.params.Name || st.Genesis != s.c.params.GenesisHash() {
		return fmt.Errorf("peer is on network %q with another genesis", st.Network)
	}
	s.claimed[id] = st.Work
	return nil
}

// syncHeaders downloads headers from every peer in turn; a peer serving an
// invalid header is reported and dropped.
func (s *session) syncHeaders(ctx context.Context) {
	var good []peer.ID
	for _, id := range s.peers {
		err := s.syncFrom(ctx, id)
		var bad *badHeaders
		switch {
		case errors.As(err, &bad):
			s.ban(id, "served bad headers: "+err.Error())
			continue
		case err != nil:
			s.drop(id.String(), "failed during header sync: "+err.Error())
			continue
		}
		good = append(good, id)
	}
	// A peer that claimed more work than any header chain it served is
	// reported and dropped. (A peer claiming less may simply have been
	// behind a moment ago; its proofs are checked against the best chain.)
	best := s.c.Best().ChainWork
	s.peers = s.peers[:0]
	for _, id := range good {
		if claim := s.claimed[id]; claim != nil && claim.Cmp(best) > 0 {
			s.drop(id.String(), fmt.Sprintf("claimed chain work %s but served no chain beyond %s", claim.Text(16), best.Text(16)))
			continue
		}
		s.peers = append(s.peers, id)
	}
}

func (s *session) syncFrom(ctx context.Context, id peer.ID) error {
	for ctx.Err() == nil {
		s.c.mu.Lock()
		loc := headerchain.Locator(s.c.index.Best())
		s.c.mu.Unlock()
		if len(loc) > netproto.MaxLocator {
			loc = loc[:netproto.MaxLocator]
		}
		req := netproto.HeadersRequest{Locator: loc, Max: netproto.MaxHeaders}
		raw, err := s.request(ctx, id, netproto.ProtoHeaders, req.Encode(), netproto.MaxHeadersSize)
		if err != nil {
			return fmt.Errorf("headers: %w", err)
		}
		headers, err := netproto.DecodeHeaders(raw)
		if err != nil {
			return &badHeaders{err}
		}
		added, err := s.c.addHeaders(headers)
		if err != nil {
			return &badHeaders{err}
		}
		if len(headers) < netproto.MaxHeaders || added == 0 {
			return nil
		}
	}
	return ctx.Err()
}

// addHeaders validates and stores headers, returning how many were new.
func (c *Client) addHeaders(headers []block.Header) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var fresh []block.Header
	for i := range headers {
		_, _, err := c.index.Add(&headers[i], c.now())
		if errors.Is(err, headerchain.ErrDuplicate) {
			continue
		}
		if err != nil {
			c.store.append(fresh)
			return len(fresh), fmt.Errorf("header %s: %w", headers[i].Hash(), err)
		}
		fresh = append(fresh, headers[i])
	}
	return len(fresh), c.store.append(fresh)
}

// badHeaders marks a sync failure that is the peer's fault (invalid or malformed headers).
type badHeaders struct{ err error }

func (b *badHeaders) Error() string { return b.err.Error() }
func (b *badHeaders) Unwrap() error { return b.err }

// Sync brings the header chain up to date from the given peers.
func (c *Client) Sync(ctx context.Context, peers []string) (SyncResult, error) {
	s, err := c.connect(ctx, peers)
	if err != nil {
		return SyncResult{}, err
	}
	defer s.close()
	s.syncHeaders(ctx)
	res := c.Best()
	res.Dropped = s.dropped
	if len(s.peers) == 0 {
		return res, fmt.Errorf("spv: no peer served a usable header chain (%s)", s.droppedSummary())
	}
	return res, nil
}
