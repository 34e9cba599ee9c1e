package p2p

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Peer exchange: a peer that knows one other learns of the rest.
const (
	pexProtocol  = "pex/1"
	pexMaxPeers  = 32
	pexMaxBytes  = 64 << 10
	pexInterval  = 30 * time.Second
	pexDialLimit = 4
	// pexMaxDials bounds the peer-exchange dials under way at once, all exchanges together.
	pexMaxDials = 8
	// pexLowWater is the peer count under which the host looks for more.
	pexLowWater = 8
)

type pexEntry struct {
	ID    string   `json:"id"`
	Addrs []string `json:"addrs"`
}

func (h *Host) registerPEX() {
	h.Handle(pexProtocol, 0, func(ctx context.Context, from peer.ID, _ []byte) ([]byte, error) {
		var out []pexEntry
		for _, id := range h.h.Network().Peers() {
			if id == from || len(out) >= pexMaxPeers {
				continue
			}
			var addrs []string
			for _, a := range h.h.Peerstore().Addrs(id) {
				addrs = append(addrs, a.String())
			}
			if len(addrs) > 0 {
				out = append(out, pexEntry{ID: id.String(), Addrs: addrs})
			}
		}
		return json.Marshal(out)
	})
	h.OnPeerConnected(func(id peer.ID) {
		if len(h.h.Network().Peers()) < pexLowWater {
			h.exchange(id)
		}
	})
}

// exchange asks id for its peers and dials a few we are not connected to, in
// goroutines the host owns, at most pexMaxDials at once host-wide.
func (h *Host) exchange(id peer.ID) {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	raw, err := h.Request(ctx, id, pexProtocol, nil, pexMaxBytes)
	if err != nil {
		return
	}
	var entries []pexEntry
	if err := json.Unmarshal(raw, &entries); err != nil || len(entries) > pexMaxPeers {
		h.Penalize(id, oversizePenalty, "malformed peer exchange")
		return
	}
	dialled := 0
	for _, e := range entries {
		if dialled >= pexDialLimit {
			return
		}
		info, err := entryInfo(e)
		if err != nil || info.ID == h.h.ID() || h.gater.isBanned(info.ID) ||
			h.h.Network().Connectedness(info.ID) == network.Connected {
			continue
		}
		dialled++
		select {
		case h.pexDials <- struct{}{}:
		case <-h.ctx.Done():
			return
		}
		started := h.goOwned(func() {
			defer func() { <-h.pexDials }()
			dctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			defer cancel()
			if err := h.pexDial(dctx, info); err == nil {
				h.log.Debug("connected through peer exchange", "peer", info.ID)
			}
		})
		if !started {
			<-h.pexDials
			return
		}
	}
}

func entryInfo(e pexEntry) (peer.AddrInfo, error) {
	id, err := peer.Decode(e.ID)
	if err != nil {
		return peer.AddrInfo{}, err
	}
	info := peer.AddrInfo{ID: id}
	for _, s := range e.Addrs {
		if a, err := ma.NewMultiaddr(s); err == nil {
			info.Addrs = append(info.Addrs, a)
		}
	}
	if len(info.Addrs) == 0 {
		return info, fmt.Errorf("no usable address for %s", id)
	}
	return info, nil
}

// pexLoop periodically asks peers for more peers while we have few.
func (h *Host) pexLoop() {
	defer h.wg.Done()
	t := time.NewTicker(pexInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			peers := h.h.Network().Peers()
			if len(peers) >= pexLowWater {
				continue
			}
			for _, id := range peers {
				h.exchange(id)
			}
		}
	}
}
