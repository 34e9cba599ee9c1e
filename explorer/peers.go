package explorer

import (
	"net/http"
	"sort"
	"time"
)

// peersData is the peers page.
type peersData struct {
	Peers []peerRow
}

type peerRow struct {
	Peer
	Connected time.Duration
}

func (e *Explorer) peers(w http.ResponseWriter, r *http.Request) {
	now := e.now()
	var d peersData
	for _, p := range e.src.Node.Peers() {
		d.Peers = append(d.Peers, peerRow{Peer: p, Connected: now.Sub(p.Since)})
	}
	sort.Slice(d.Peers, func(i, j int) bool { return d.Peers[i].ID < d.Peers[j].ID })
	e.render(w, r, http.StatusOK, "peers", view{Title: "Peers", Nav: "peers", Data: d})
}
