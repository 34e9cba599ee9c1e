package node

import (
	"context"
	"errors"

	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/rpc"
)

// defaultBanReason is recorded for an operator's ban given no reason.
const defaultBanReason = "banned by the operator"

func (b *backend) Ban(_ context.Context, req rpc.BanRequest) (*rpc.BanResult, error) {
	target, err := p2p.ParseBanTarget(req.Target)
	if err != nil {
		return nil, rpc.BadRequest("%v", err)
	}
	d, err := req.Duration()
	if err != nil {
		return nil, err
	}
	reason := req.Reason
	if reason == "" {
		reason = defaultBanReason
	}
	ban, err := b.n.host.Ban(target, d, reason)
	if errors.Is(err, p2p.ErrBadBan) {
		return nil, rpc.BadRequest("%v", err)
	}
	if err != nil {
		return nil, err
	}
	return &rpc.BanResult{Banned: ban.Target.String(), Until: ban.Until.Unix()}, nil
}

func (b *backend) Unban(_ context.Context, req rpc.UnbanRequest) (*rpc.UnbanResult, error) {
	target, err := p2p.ParseBanTarget(req.Target)
	if err != nil {
		return nil, rpc.BadRequest("%v", err)
	}
	if err := b.n.host.Unban(target); errors.Is(err, p2p.ErrNotBanned) {
		return nil, rpc.NotFound("%s is not banned (see `node peers banned`)", target)
	} else if err != nil {
		return nil, err
	}
	return &rpc.UnbanResult{Unbanned: target.String()}, nil
}

func (b *backend) Banned(context.Context) (*rpc.BannedResult, error) {
	res := &rpc.BannedResult{Banned: []rpc.BannedEntry{}}
	for _, ban := range b.n.host.Banned() {
		r := ban.Record()
		res.Banned = append(res.Banned, rpc.BannedEntry{Target: r.Target, Until: r.Until, Reason: r.Reason})
	}
	return res, nil
}
