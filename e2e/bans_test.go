package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
)

var nextLoopback atomic.Int32

// ownLoopback returns a listen multiaddr on a loopback address no other test
// peer uses (127.0.0.10 and up; Linux routes all of 127.0.0.0/8 to lo), so
// that a peer banned by address does not take the nodes on 127.0.0.1 with it.
func ownLoopback() string {
	return fmt.Sprintf("/ip4/127.0.0.%d/tcp/0", 10+nextLoopback.Add(1)%240)
}

// rawHostOn starts a bare p2p host (no node behind it) listening on addr.
func rawHostOn(t *testing.T, addr string) *p2p.Host {
	t.Helper()
	h, err := p2p.New(context.Background(), p2p.Config{ListenAddrs: []string{addr}, Network: regtest.Name,
		NoPEX: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// peersCLI runs `node peers ARGS --datadir` against p and decodes its JSON into out.
func peersCLI(t *testing.T, p *proc, out any, args ...string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, nil, "node", append(append([]string{"peers"}, args...), "--datadir", p.dir)...)
	if code != 0 {
		t.Fatalf("node peers %v: exit %d: %s", args, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("node peers %v printed %q: %v", args, stdout, err)
	}
}

func TestOperatorBansSurviveARestart(t *testing.T) {
	n1 := startNode(t, "n1")
	ctx := context.Background()
	addr := ownLoopback()
	ip := strings.Split(addr, "/")[2]
	intruder := rawHostOn(t, addr)
	if err := intruder.Connect(ctx, n1.addr()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "intruder connected", func() bool { return n1.connectedTo(intruder.PeerID()) })
	var peers rpc.PeersResult
	peersCLI(t, n1, &peers) // `node peers` alone still lists peers
	if len(peers.Peers) != 1 || peers.Peers[0].ID != intruder.PeerID().String() {
		t.Fatalf("node peers: %+v", peers)
	}

	var ban rpc.BanResult
	before := time.Now().Unix()
	peersCLI(t, n1, &ban, "ban", ip, "--duration", "2h", "--reason", "intruder")
	if ban.Banned != ip || ban.Until < before+7200 || ban.Until > time.Now().Unix()+7200 {
		t.Fatalf("ban answer %+v", ban)
	}
	eventually(t, 10*time.Second, "intruder disconnected", func() bool { return !n1.connectedTo(intruder.PeerID()) })
	other := rawHostOn(t, ownLoopback())
	peersCLI(t, n1, &ban, "ban", other.PeerID().String())

	n1.stop()
	n1.restart()
	var banned rpc.BannedResult
	peersCLI(t, n1, &banned, "banned")
	if len(banned.Banned) != 2 || banned.Banned[0].Target != other.PeerID().String() ||
		banned.Banned[1].Target != ip || banned.Banned[1].Reason != "intruder" || banned.Banned[1].Until < before+7200 {
		t.Fatalf("bans after restart: %+v", banned)
	}
	// A fresh key from the banned address is refused by the restarted node.
	fresh := rawHostOn(t, addr)
	// (The address is refused before the handshake, so the dial itself fails.)
	if err := fresh.Connect(ctx, n1.addr()); err == nil {
		t.Fatal("a new key from the banned address connected after the restart")
	}
	var unban rpc.UnbanResult
	peersCLI(t, n1, &unban, "unban", ip)
	if unban.Unbanned != ip {
		t.Fatalf("unban answer %+v", unban)
	}
	again := rawHostOn(t, addr) // fresh's own dialler backs off from the failed dial
	if err := again.Connect(ctx, n1.addr()); err != nil {
		t.Fatalf("connect after unban: %v", err)
	}
	eventually(t, 10*time.Second, "connected after unban", func() bool { return n1.connectedTo(again.PeerID()) })

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"unban", ip}, 1, "not banned"},
		{[]string{"ban", "not-a-target"}, 2, "not a peer ID"},
		{[]string{"ban", n1.info.PeerID}, 1, "own peer ID"},
	} {
		_, stderr, code := runCLI(t, nil, "node", append(append([]string{"peers"}, tc.args...), "--datadir", n1.dir)...)
		if code != tc.code || !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, tc.want) {
			t.Errorf("node peers %v: exit %d %q, want exit %d with %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
