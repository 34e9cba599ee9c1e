package p2p

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestPublishInBackground(t *testing.T) {
	a := newHostWith(t, Config{NoPEX: true})
	b := newHostWith(t, Config{NoPEX: true, StaticPeers: a.Addrs()})
	accept := func(context.Context, peer.ID, []byte) Verdict { return Accept }
	ta, err := a.JoinTopic("t", accept)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.JoinTopic("t", accept)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Value
	got.Store("")
	tb.Subscribe(func(_ peer.ID, data []byte) { got.Store(string(data)) })
	waitUntil(t, "a-b mesh", func() bool { return inMesh(ta, b) && inMesh(tb, a) })
	ta.PublishInBackground([]byte("hello"))
	waitUntil(t, "the message at b", func() bool { return got.Load() == "hello" })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	ta.PublishInBackground([]byte("after close")) // dropped: nothing starts once Close has begun
}
