package p2p

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Verdict is a validator's judgement of a gossip message.
type Verdict int

const (
	// Accept delivers and relays the message.
	Accept Verdict = iota
	// Ignore drops the message without blaming the sender (duplicate, not useful now).
	Ignore
	// Reject drops the message and penalises the sender for invalid data.
	Reject
)

// MaxMessageSize bounds a gossip message.
const MaxMessageSize = 2 << 20

// rejectPenalty is the misbehaviour score a rejected gossip message costs its sender:
// the third invalid message within minutes bans the peer, before gossipsub's own
// score (P4 = -2 per invalid message squared) graylists it at -80.
const rejectPenalty = 34

// Validator judges a message from a peer before it is delivered or relayed.
type Validator func(ctx context.Context, from peer.ID, data []byte) Verdict

// Topic is a gossip topic joined by the host.
type Topic struct {
	h     *Host
	name  string
	topic *pubsub.Topic
	sub   *pubsub.Subscription
}

func newPubSub(ctx context.Context, h host.Host, mesh *meshTracer) (*pubsub.PubSub, error) {
	params := &pubsub.PeerScoreParams{
		AppSpecificScore:            func(peer.ID) float64 { return 0 },
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		BehaviourPenaltyWeight:      -1,
		BehaviourPenaltyDecay:       0.9,
		IPColocationFactorWeight:    0,
		Topics:                      map[string]*pubsub.TopicScoreParams{},
		SkipAtomicValidation:        false,
		TopicScoreCap:               0,
		RetainScore:                 time.Hour,
		BehaviourPenaltyThreshold:   0,
		IPColocationFactorThreshold: 1,
	}
	thresholds := &pubsub.PeerScoreThresholds{
		GossipThreshold:   -10,
		PublishThreshold:  -50,
		GraylistThreshold: -80,
		AcceptPXThreshold: 10,
	}
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithPeerScore(params, thresholds),
		pubsub.WithMessageIdFn(func(m *pb.Message) string {
			sum := sha256.Sum256(m.Data)
			return string(sum[:])
		}),
		pubsub.WithPeerOutboundQueueSize(256),
		pubsub.WithValidateQueueSize(256),
		pubsub.WithMaxMessageSize(MaxMessageSize),
		pubsub.WithPeerExchange(false),
		pubsub.WithRawTracer(mesh),
	)
	if err != nil {
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	return ps, nil
}

// topicScore makes invalid messages on a topic cost the sender score (P4).
func topicScore() *pubsub.TopicScoreParams {
	return &pubsub.TopicScoreParams{
		TopicWeight:                    1,
		TimeInMeshQuantum:              time.Second,
		InvalidMessageDeliveriesWeight: -2,
		InvalidMessageDeliveriesDecay:  0.99,
		SkipAtomicValidation:           true,
	}
}

// JoinTopic joins the named topic; validate runs on every message, including
// our own publications, before delivery or relay.
func (h *Host) JoinTopic(name string, validate Validator) (*Topic, error) {
	full := "/ledger/" + h.cfg.Network + "/" + name
	err := h.ps.RegisterTopicValidator(full, h.topicValidator(name, validate), pubsub.WithValidatorTimeout(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("register validator for %s: %w", name, err)
	}
	t, err := h.ps.Join(full)
	if err != nil {
		return nil, fmt.Errorf("join topic %s: %w", name, err)
	}
	if err := t.SetScoreParams(topicScore()); err != nil {
		h.log.Debug("topic score params not applied", "topic", name, "err", err)
	}
	sub, err := t.Subscribe(pubsub.WithBufferSize(256))
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", name, err)
	}
	tp := &Topic{h: h, name: name, topic: t, sub: sub}
	h.mu.Lock()
	h.topics[name] = tp
	h.mu.Unlock()
	return tp, nil
}

// topicValidator wraps the node's validator for a topic. A message from a
// banned peer (the peer that relayed it to us, or its author) is dropped
// without being validated: the ban may have come while it waited in the queue.
// A rejected message costs its sender rejectPenalty.
func (h *Host) topicValidator(name string, validate Validator) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		sender := m.ReceivedFrom
		if sender == "" {
			sender = from
		}
		if h.fromBanned(from, sender, m.GetFrom()) {
			return pubsub.ValidationIgnore
		}
		switch validate(ctx, sender, m.Data) {
		case Accept:
			return pubsub.ValidationAccept
		case Reject:
			if sender != h.h.ID() {
				h.Penalize(sender, rejectPenalty, "invalid gossip on "+name)
			}
			return pubsub.ValidationReject
		default:
			return pubsub.ValidationIgnore
		}
	}
}

// fromBanned reports whether any of the peers a message came through is banned.
func (h *Host) fromBanned(ids ...peer.ID) bool {
	for _, id := range ids {
		if id != "" && id != h.h.ID() && h.gater.isBanned(id) {
			return true
		}
	}
	return false
}

// Subscribe delivers every validated message from other peers to fn (except
// those from a peer banned since it was validated), in a goroutine that drains the subscription promptly until the host closes.
func (t *Topic) Subscribe(fn func(from peer.ID, data []byte)) {
	t.h.wg.Add(1)
	go func() {
		defer t.h.wg.Done()
		for {
			m, err := t.sub.Next(t.h.ctx)
			if err != nil {
				return
			}
			if m.ReceivedFrom == t.h.h.ID() || t.h.fromBanned(m.ReceivedFrom, m.GetFrom()) {
				continue
			}
			fn(m.ReceivedFrom, m.Data)
		}
	}()
}

// Publish sends data to the topic.
func (t *Topic) Publish(ctx context.Context, data []byte) error {
	if err := t.topic.Publish(ctx, data); err != nil {
		return fmt.Errorf("publish on %s: %w", t.name, err)
	}
	return nil
}

// PublishInBackground publishes data in a goroutine the host owns (Close
// waits for it), for callers that must not wait on gossip; once the host is
// closing, data is dropped. A failure is logged at debug level.
func (t *Topic) PublishInBackground(data []byte) {
	t.h.goOwned(func() {
		if err := t.Publish(t.h.ctx, data); err != nil {
			t.h.log.Debug("background publish failed", "topic", t.name, "err", err)
		}
	})
}

// Peers lists the peers known to be subscribed to the topic.
func (t *Topic) Peers() []peer.ID { return t.topic.ListPeers() }

// WaitForPeers blocks until at least n peers are subscribed to the topic or
// ctx ends. It wakes on the topic's join events rather than polling.
func (t *Topic) WaitForPeers(ctx context.Context, n int) error {
	events, err := t.topic.EventHandler()
	if err != nil {
		return fmt.Errorf("watch peers on %s: %w", t.name, err)
	}
	defer events.Cancel()
	// The handler is registered before the count is read, so no join is missed.
	for len(t.topic.ListPeers()) < n {
		if _, err := events.NextPeerEvent(ctx); err != nil {
			return fmt.Errorf("waiting for %d peers on %s: %w", n, t.name, err)
		}
	}
	return nil
}

// MeshPeers lists the peers in the host's mesh for the topic: those it
// pushes every message to.
func (t *Topic) MeshPeers() []peer.ID { return t.h.mesh.peers(t.topic.String()) }

// PeerMesh maps each peer in the host's mesh for one of its topics to the
// names of those topics, sorted.
func (h *Host) PeerMesh() map[peer.ID][]string {
	h.mu.Lock()
	topics := make([]*Topic, 0, len(h.topics))
	for _, t := range h.topics {
		topics = append(topics, t)
	}
	h.mu.Unlock()
	out := map[peer.ID][]string{}
	for _, t := range topics {
		for _, id := range t.MeshPeers() {
			out[id] = append(out[id], t.name)
		}
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out
}
