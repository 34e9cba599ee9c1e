package e2e

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/chain/chaintest"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/rpc"
)

// syncDeadline is how long after the honest node connects the victim may
// take to reach its tip, whatever the attacker does.
const syncDeadline = 10 * time.Second

// penalized reports whether the node's log shows a penalty for id.
func penalized(p *proc, id peer.ID) bool {
	for _, line := range strings.Split(p.logText(), "\n") {
		if strings.Contains(line, "peer misbehaved") && strings.Contains(line, id.String()) {
			return true
		}
	}
	return false
}

// bannedTargets lists the node's bans through `node peers banned`.
func bannedTargets(t *testing.T, p *proc) []string {
	var res rpc.BannedResult
	peersCLI(t, p, &res, "banned")
	out := make([]string, len(res.Banned))
	for i, b := range res.Banned {
		out[i] = b.Target
	}
	return out
}

// procMB reads a field of a process's /proc status in MB (VmRSS, VmHWM).
func procMB(t *testing.T, pid int, field string) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// punishment is what the victim must do to an attacker.
type punishment int

const (
	// unpunished: the attack shows nothing the victim can hold against it.
	unpunished punishment = iota
	penalised
	banned
)

// hostileScenario is a victim with 5 blocks of its own, an honest node 30
// blocks ahead on another branch, and the hostile peer attacking the victim.
type hostileScenario struct {
	honest, victim *proc
	attacker       *hostile
	// idleMB is the victim's resident memory before the attack.
	idleMB int
}

// runHostile starts the scenario with the attacker connected to the victim
// first; once engaged says the attack is under way, it connects the honest
// node and requires the victim to reach the honest tip within syncDeadline.
func runHostile(t *testing.T, attack string, engaged func(h *hostile), extra ...string) *hostileScenario {
	s := &hostileScenario{honest: startNode(t, "honest"), victim: startNode(t, "victim")}
	s.victim.generate(5, addressOf(chaintest.NewKey(1)))
	s.honest.generate(30, addressOf(chaintest.NewKey(2)))
	s.idleMB = procMB(t, s.victim.cmd.Process.Pid, "VmRSS")
	s.attacker = startHostile(t, s.victim, attack, extra...)
	engaged(s.attacker)

	honestTip := s.honest.status().Tip
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := s.victim.client.AddPeer(ctx, s.honest.addr()); err != nil {
		t.Fatalf("connect the honest node: %v", err)
	}
	if !wait.Until(syncDeadline, func() bool { return s.victim.status().Tip == honestTip }) {
		t.Fatalf("victim at height %d, not at the honest tip %s, %s after the honest node connected; log:\n%s",
			s.victim.status().Height, honestTip, syncDeadline, s.victim.logTail())
	}
	t.Logf("%s: victim at the honest tip %s after the honest node connected", attack, time.Since(start).Round(time.Millisecond))
	return s
}

// requirePunished waits up to timeout for the victim to punish the attacker
// as want says, and checks that it never penalised or banned the honest node.
func (s *hostileScenario) requirePunished(t *testing.T, want punishment, timeout time.Duration) {
	t.Helper()
	bannedIncludes := func(target string) bool {
		for _, b := range bannedTargets(t, s.victim) {
			if b == target {
				return true
			}
		}
		return false
	}
	if want >= penalised {
		eventually(t, timeout, "the attacker penalised", func() bool { return penalized(s.victim, s.attacker.id) })
	}
	if want >= banned {
		eventually(t, timeout, "the attacker banned", func() bool { return bannedIncludes(s.attacker.id.String()) })
		if !bannedIncludes(s.attacker.ip) {
			t.Fatalf("attacker's address %s not banned: %v", s.attacker.ip, bannedTargets(t, s.victim))
		}
	}
	honestID := peerIDOf(t, s.honest.addr())
	if penalized(s.victim, honestID) {
		t.Fatalf("victim penalised the honest node; log:\n%s", s.victim.logTail())
	}
	for _, target := range bannedTargets(t, s.victim) {
		if target == honestID.String() || target == "127.0.0.1" || strings.HasPrefix(target, "127.0.0.0/") {
			t.Fatalf("victim banned %s, which covers the honest node", target)
		}
	}
	if !s.victim.connectedTo(honestID) {
		t.Fatal("victim is not connected to the honest node")
	}
}

// waitHeadersAndBlocks waits until the attacker has shown its 2,000 headers
// and the victim has asked it for their blocks.
func waitHeadersAndBlocks(h *hostile) {
	h.waitFor(20*time.Second, "headers", 2000)
	h.waitFor(20*time.Second, "blocks", 1)
}

// A hostile peer process, connected to the victim before the honest node,
// cannot keep the victim from the honest chain for more than syncDeadline,
// cannot get the honest node penalised, and is punished when its
// misbehaviour shows. The scenarios run in parallel: a silent withholder is
// found out only when the victim's block requests time out (20 s).
func TestHostilePeerCannotEclipseStallOrFillTheNode(t *testing.T) {
	for _, tc := range []struct {
		attack  string
		engaged func(h *hostile)
		punish  punishment
		within  time.Duration
		check   func(t *testing.T, s *hostileScenario)
		extra   []string
	}{
		// Attack 1: 2,000 valid headers on the victim's tip, more work than
		// the honest chain, whose blocks it withholds however it can.
		// (The silent one, the slowest, first: parallel subtests start in order.)
		{attack: "framing-silent", engaged: waitHeadersAndBlocks, punish: banned, within: 40 * time.Second},
		{attack: "framing-notfound", engaged: waitHeadersAndBlocks, punish: banned, within: 15 * time.Second},
		{attack: "framing-oversize", engaged: waitHeadersAndBlocks, punish: banned, within: 15 * time.Second},
		// Attack 2: claims more work than anyone and answers every headers
		// request with no headers, or with headers the victim has. Each status
		// poll (5 s) repeats the claim and the penalty, which bans it in about
		// 20 s (blocksync's unit tests check that); here the first penalty will do.
		{attack: "stall-empty", engaged: func(h *hostile) { h.waitFor(20*time.Second, "headers", 0) }, punish: penalised, within: 10 * time.Second},
		{attack: "stall-known", engaged: func(h *hostile) { h.waitFor(20*time.Second, "headers", 5) }, punish: penalised, within: 10 * time.Second},
		// Attack 4: junk 900 kB blocks at the difficulty floor on parents
		// nobody has. An attacker that answers the headers request with
		// nothing is banned; a silent one keeps flooding, which costs the
		// victim no more than its steady memory.
		{attack: "orphans", engaged: func(h *hostile) { h.waitFor(20*time.Second, "published", 10) }, punish: banned, within: 15 * time.Second,
			check: func(t *testing.T, s *hostileScenario) {
				if peak := procMB(t, s.victim.cmd.Process.Pid, "VmHWM"); peak >= 2*s.idleMB {
					t.Fatalf("victim's peak RSS %d MB is at least twice its idle %d MB", peak, s.idleMB)
				}
			}},
		{attack: "orphans-silent", engaged: func(h *hostile) { h.waitFor(20*time.Second, "published", 10) }, punish: unpunished, within: 15 * time.Second,
			check: requireFloodLeavesMemoryFlat, extra: []string{"--rate", "25"}},
	} {
		t.Run(tc.attack, func(t *testing.T) {
			t.Parallel()
			s := runHostile(t, tc.attack, tc.engaged, tc.extra...)
			if tc.check != nil {
				tc.check(t, s)
			}
			s.requirePunished(t, tc.punish, tc.within)
		})
	}
}

// requireFloodLeavesMemoryFlat checks that the rest of a junk orphan flood
// (at least 60 blocks, 54 MB, after the honest sync) does not raise the
// victim's peak memory, that every junk block reached it and none is kept.
func requireFloodLeavesMemoryFlat(t *testing.T, s *hostileScenario) {
	early := procMB(t, s.victim.cmd.Process.Pid, "VmHWM")
	sent := s.attacker.last("published").N
	if sent > 90 {
		t.Fatalf("%d of 150 junk blocks sent by the time the victim synced; too few left to measure", sent)
	}
	s.attacker.waitFor(30*time.Second, "done", 150)
	const reason = `ledger_rejects_total{reason="unknown-parent"}`
	eventually(t, 20*time.Second, "all 150 junk blocks received", func() bool { return metric(t, s.victim, reason) >= 150 })
	peak := procMB(t, s.victim.cmd.Process.Pid, "VmHWM")
	t.Logf("victim RSS: idle %d MB; peak %d MB after %d junk blocks, %d MB after 150", s.idleMB, early, sent, peak)
	if peak-early > 16 {
		t.Fatalf("victim's peak RSS rose from %d to %d MB over the last %d junk blocks: it keeps them", early, peak, 150-sent)
	}
	if got := metric(t, s.victim, "ledger_orphan_blocks"); got != 0 {
		t.Fatalf("victim holds %v orphan blocks", got)
	}
}
