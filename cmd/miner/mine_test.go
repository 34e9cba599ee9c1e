package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/internal/wait"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/pow"
	"github.com/ledgerd/ledger/stratum"
	"github.com/ledgerd/ledger/tx"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixedTip struct{ tip chain.TipInfo }

func (f fixedTip) Tip() chain.TipInfo { return f.tip }

// servePool runs a pool on ln over a fixed tip whose blocks need 40 bits,
// so every share the miner finds is only a share, with the share difficulty
// pinned at 8 bits: a retarget storm would queue notifications faster than a
// loaded machine's miner reads them. It returns a stop function.
func servePool(t *testing.T, ln net.Listener) func() {
	p := chaincfg.Regtest
	tip := fixedTip{chain.TipInfo{Hash: chainhash.Hash{1}, Height: 1, MedianTime: 1_800_000_000, NextDifficulty: 40 * pow.One}}
	srv := stratum.NewServer(stratum.Config{
		Params:      p,
		Template:    func(now time.Time) *miner.Template { return miner.NewTemplate(p, tip, nil, [32]byte{}, 0, now.Unix()) },
		SubmitBlock: func(*block.Block) error { t.Error("no share should make a block"); return nil },
		Vardiff:     stratum.VardiffConfig{Initial: 8 * pow.One, Min: 8 * pow.One, Max: 8 * pow.One, TargetInterval: time.Millisecond},
		Logger:      quiet,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	return func() { cancel(); <-done }
}

func TestMinerSharesAndReconnects(t *testing.T) {
	ln, err := stratum.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	stop := servePool(t, ln)
	user := tx.EncodeAddress(chaincfg.Regtest.AddressHRP, [32]byte{5})
	m := newMiner(addr, user, 1, time.Hour, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- m.run(ctx) }()
	wait.For(t, 20*time.Second, "accepted shares", func() bool { return m.accepted.Load() >= 2 })
	stop() // the pool goes away
	ln2, err := stratum.Listen(addr, false)
	if err != nil {
		t.Fatal(err)
	}
	stop2 := servePool(t, ln2)
	defer stop2()
	before := m.accepted.Load()
	wait.For(t, 20*time.Second, "a second connection and more shares", func() bool { return m.connects.Load() >= 2 && m.accepted.Load() > before })
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("miner stopped with %v", err)
	}
	s := m.summary()
	if s.Connects < 2 || s.Accepted < 3 || s.Hashes == 0 || s.ExtraNonce1 == "" || s.Blocks != 0 {
		t.Fatalf("summary %+v", s)
	}
}
