package p2p

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// The address book: peers this host has been connected to, kept in
// DataDir/peers.json so a restarted node finds its network again without
// being told, and peers an operator added at run time (`node peers add`).
const (
	AddrBookFile = "peers.json"
	// addrBookMax bounds the book; the least recently seen go first.
	addrBookMax = 256
	// addrBookDial is how many book entries a starting host dials at once.
	addrBookDial = 8
	// addrBookSave is how often the book is written while running.
	addrBookSave = time.Minute
	// addedTag protects connections to peers an operator added from trimming.
	addedTag = "ledger-added"
)

// bookEntry is one peer in the address book.
type bookEntry struct {
	ID    string   `json:"id"`
	Addrs []string `json:"addrs"`
	// Added marks a peer an operator added; it is redialled like a static peer.
	Added bool `json:"added,omitempty"`
	// Seen is when the host was last connected to it (Unix seconds).
	Seen int64 `json:"seen"`
}

// addrBook is the host's address book; the host owns it.
type addrBook struct {
	path    string
	mu      sync.Mutex
	entries map[peer.ID]*bookEntry
}

func loadAddrBook(dir string) (*addrBook, error) {
	b := &addrBook{path: filepath.Join(dir, AddrBookFile), entries: map[peer.ID]*bookEntry{}}
	data, err := os.ReadFile(b.path)
	if errors.Is(err, os.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read address book: %w", err)
	}
	var list []bookEntry
	if err := json.Unmarshal(data, &list); err != nil {
		// The book is a cache of what peers told us: a damaged one is set
		// aside (kept for inspection) and the host starts with an empty book.
		os.Rename(b.path, b.path+".bad")
		return b, nil
	}
	for _, e := range list {
		if id, err := peer.Decode(e.ID); err == nil && len(b.entries) < addrBookMax {
			e := e
			b.entries[id] = &e
		}
	}
	return b, nil
}

// put records a peer's addresses as seen now, keeping the Added mark.
func (b *addrBook) put(info peer.AddrInfo, added bool, now time.Time) {
	if len(info.Addrs) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[info.ID]
	if e == nil {
		e = &bookEntry{ID: info.ID.String()}
		b.entries[info.ID] = e
	}
	e.Addrs = e.Addrs[:0]
	for _, a := range info.Addrs {
		e.Addrs = append(e.Addrs, a.String())
	}
	e.Added = e.Added || added
	e.Seen = now.Unix()
	b.trimLocked()
}

func (b *addrBook) trimLocked() {
	for len(b.entries) > addrBookMax {
		var oldest peer.ID
		var seen int64 = 1<<63 - 1
		for id, e := range b.entries {
			if !e.Added && e.Seen < seen {
				oldest, seen = id, e.Seen
			}
		}
		if oldest == "" {
			return
		}
		delete(b.entries, oldest)
	}
}

// remove forgets a peer and reports whether it was there.
func (b *addrBook) remove(id peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.entries[id]
	delete(b.entries, id)
	return ok
}

// isAdded reports whether the book holds id as an operator-added peer.
func (b *addrBook) isAdded(id peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[id]
	return ok && e.Added
}

// has reports whether the book holds id.
func (b *addrBook) has(id peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.entries[id]
	return ok
}

// list returns the book's entries as dialable infos, operator-added first.
func (b *addrBook) list() (added, known []peer.AddrInfo) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, e := range b.entries {
		info := peer.AddrInfo{ID: id}
		for _, s := range e.Addrs {
			if a, err := ma.NewMultiaddr(s); err == nil {
				info.Addrs = append(info.Addrs, a)
			}
		}
		if e.Added {
			added = append(added, info)
		} else {
			known = append(known, info)
		}
	}
	return added, known
}

// save writes the book atomically.
func (b *addrBook) save() error {
	b.mu.Lock()
	list := make([]bookEntry, 0, len(b.entries))
	for _, e := range b.entries {
		list = append(list, *e)
	}
	b.mu.Unlock()
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(b.path, data, 0o600); err != nil {
		return fmt.Errorf("write address book: %w", err)
	}
	return nil
}

// startAddrBook loads the book, dials what it knows in the background and
// keeps it up to date while the host runs; Close writes it a last time.
func (h *Host) startAddrBook() error {
	book, err := loadAddrBook(h.cfg.DataDir)
	if err != nil {
		return err
	}
	h.book = book
	h.wg.Add(1)
	go h.addrBookLoop()
	return nil
}

func (h *Host) addrBookLoop() {
	defer h.wg.Done()
	added, known := h.book.list()
	for _, info := range added {
		h.h.ConnManager().Protect(info.ID, addedTag)
		h.goOwned(func() { h.keepAdded(info) })
	}
	sem := make(chan struct{}, addrBookDial)
	for _, info := range known {
		if len(h.h.Network().Peers()) >= pexLowWater {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-h.ctx.Done():
			return
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer func() { <-sem }()
			if h.gater.isBanned(info.ID) || h.h.Network().Connectedness(info.ID) == network.Connected {
				return
			}
			ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			defer cancel()
			if err := h.connectBooked(ctx, info, h.book.has); err == nil {
				h.log.Debug("connected to a peer from the address book", "peer", info.ID)
			}
		}()
	}
	t := time.NewTicker(addrBookSave)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.recordPeers()
			if err := h.book.save(); err != nil {
				h.log.Warn("save address book", "err", err)
			}
		}
	}
}

// recordPeers puts every connected peer that listens somewhere into the book.
func (h *Host) recordPeers() {
	now := time.Now()
	for _, id := range h.h.Network().Peers() {
		if h.h.Network().Connectedness(id) != network.Connected {
			continue
		}
		h.book.put(peer.AddrInfo{ID: id, Addrs: h.h.Peerstore().Addrs(id)}, false, now)
	}
}

// closeAddrBook records the peers connected at shutdown and writes the book.
func (h *Host) closeAddrBook() {
	if h.book == nil {
		return
	}
	h.recordPeers()
	if err := h.book.save(); err != nil {
		h.log.Warn("save address book", "err", err)
	}
}

// AddPeer connects to a full multiaddr now and keeps the peer in the
// address book, redialled after restarts like a static peer. It reports
// whether the connection is up.
func (h *Host) AddPeer(ctx context.Context, addr string) (peer.ID, bool, error) {
	info, err := parseAddr(addr)
	if err != nil {
		return "", false, err
	}
	if info.ID == h.h.ID() {
		return "", false, errors.New("that is this node's own address")
	}
	if h.gater.isBanned(info.ID) {
		return info.ID, false, fmt.Errorf("peer %s is banned; unban it first", info.ID)
	}
	if err := h.h.Connect(ctx, *info); err != nil {
		return info.ID, false, fmt.Errorf("connect %s: %w", addr, err)
	}
	h.h.ConnManager().Protect(info.ID, addedTag)
	if h.book != nil {
		wasAdded := h.book.isAdded(info.ID)
		h.book.put(*info, true, time.Now())
		if !wasAdded {
			h.goOwned(func() { h.keepAdded(*info) })
		}
		if err := h.book.save(); err != nil {
			return info.ID, true, err
		}
	}
	return info.ID, true, nil
}

// keepAdded redials an operator-added peer with backoff while it is
// disconnected, until it is removed from the book or the host closes.
func (h *Host) keepAdded(info peer.AddrInfo) {
	backoff := time.Second
	for h.book.isAdded(info.ID) {
		if h.h.Network().Connectedness(info.ID) != network.Connected && !h.gater.isBanned(info.ID) {
			ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
			err := h.connectBooked(ctx, info, h.book.isAdded)
			cancel()
			if err != nil {
				backoff = min(backoff*2, time.Minute)
			} else {
				backoff = time.Second
			}
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// RemovePeer disconnects a peer (given as a multiaddr ending in /p2p/ID or a
// bare peer ID) and forgets it; it reports whether the book held it. A peer
// may connect again later (it is not banned).
func (h *Host) RemovePeer(who string) (peer.ID, bool, error) {
	id, err := peer.Decode(who)
	if err != nil {
		info, perr := parseAddr(who)
		if perr != nil {
			return "", false, fmt.Errorf("%q is neither a peer ID nor a multiaddr ending in /p2p/ID", who)
		}
		id = info.ID
	}
	saved := false
	if h.book != nil {
		// Out of the book first, so that a dial from it that is under way
		// now drops the connection it makes (connectBooked).
		saved = h.book.remove(id)
	}
	h.h.ConnManager().Unprotect(id, addedTag)
	h.h.Network().ClosePeer(id)
	h.h.Peerstore().ClearAddrs(id)
	if h.book != nil {
		if err := h.book.save(); err != nil {
			return id, saved, err
		}
	}
	return id, saved, nil
}

// errLeftBook reports a dial whose peer was removed from the address book while it ran.
var errLeftBook = errors.New("removed from the address book while dialling")

// connectBooked dials a peer from the address book and closes the
// connection again when the peer is no longer wanted (wanted reports false)
// once the dial is done: RemovePeer may have run while it was under way, and
// its close may have come before the connection.
func (h *Host) connectBooked(ctx context.Context, info peer.AddrInfo, wanted func(peer.ID) bool) error {
	if err := h.h.Connect(ctx, info); err != nil {
		return err
	}
	if !wanted(info.ID) {
		h.h.Network().ClosePeer(info.ID)
		return errLeftBook
	}
	return nil
}

// InAddrBook reports whether the address book holds a peer.
func (h *Host) InAddrBook(id peer.ID) bool { return h.book != nil && h.book.has(id) }
