package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/blocksync"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/events"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/netserve"
	"github.com/ledgerd/ledger/p2p"
	"github.com/ledgerd/ledger/stratum"
	"github.com/ledgerd/ledger/tx"
)

// Node is a running full node.
type Node struct {
	cfg     Config
	params  *chaincfg.Params
	log     *slog.Logger
	chain   *chain.Chain
	pool    *mempool.Pool
	host    *p2p.Host
	blocks  *p2p.Topic
	txs     *p2p.Topic
	miner   *miner.Miner
	stratum *stratum.Server
	// stratumAddr is where the Stratum server listens ("" when off).
	stratumAddr string
	sync        *syncer
	metrics     *metrics

	// Operator side: the event bus, notification hooks, progress and disk figures.
	events     *events.Bus
	blockHook  *events.Hook
	walletHook *events.Hook
	progress   progressEstimator
	disk       *diskUsage
	ibdDone    atomic.Bool
	lock       *dirLock
	stopReq    chan struct{}
	stopOnce   sync.Once
	metricsErr <-chan error
	metricsURL string

	// submitMu serialises block submission so that tip changes reach the
	// mempool and the miner in the order the chain made them.
	submitMu sync.Mutex

	cancel context.CancelFunc
	wg     sync.WaitGroup
	rpcErr <-chan error
}

// Run starts a node with cfg and blocks until ctx is cancelled, then shuts
// it down cleanly: the miner and RPC stop, peers are closed, and the chain
// store is flushed and closed.
func Run(ctx context.Context, cfg Config) error {
	n, err := start(ctx, cfg)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-n.stopReq:
	}
	n.log.Info("shutting down")
	return n.stop()
}

func start(parent context.Context, cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("a data directory is required (--datadir)")
	}
	if cfg.Network == "" {
		cfg.Network = "testnet"
	}
	params, err := chaincfg.ByName(cfg.Network)
	if err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	n := &Node{cfg: cfg, params: params, log: cfg.Logger.With("network", params.Name),
		events: &events.Bus{}, stopReq: make(chan struct{}), disk: &diskUsage{dir: cfg.DataDir}}
	var mineTo [32]byte
	if cfg.Mine {
		if mineTo, err = tx.DecodeAddress(params.AddressHRP, cfg.MineTo); err != nil {
			return nil, fmt.Errorf("--mine-to: %w", err)
		}
	}
	if n.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if err := n.checkPorts(); err != nil {
		n.lock.release()
		return nil, err
	}
	if n.chain, err = openChain(cfg.DataDir, params, n.log); err != nil {
		n.lock.release()
		return nil, err
	}
	n.pool = mempool.New(params, n.chain, mempool.Config{})
	n.loadMempool()
	n.metrics = newMetrics()
	ctx, cancel := context.WithCancel(parent)
	n.cancel = cancel
	if err := n.startNetwork(ctx); err != nil {
		cancel()
		n.chain.Close()
		n.lock.release()
		return nil, err
	}
	n.startOperator(ctx)
	if cfg.Mine {
		threads := cfg.Threads
		if threads <= 0 {
			threads = runtime.NumCPU()
		}
		n.miner = miner.New(miner.Config{
			Params: params, Chain: n.chain, Pool: n.pool, PayTo: mineTo, Threads: threads,
			Submit: func(b *block.Block) error { return n.submitLocalBlock(ctx, b) },
			Logger: n.log,
		})
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.miner.Run(ctx) }()
		n.log.Info("mining", "threads", threads, "to", cfg.MineTo)
	}
	if err := n.startStratum(ctx); err != nil {
		n.stop()
		return nil, err
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.sync.run(ctx, &n.wg) }()
	if err := n.startMetrics(ctx); err != nil {
		n.stop()
		return nil, err
	}
	if n.rpcErr, err = n.startRPC(ctx); err != nil {
		n.stop()
		return nil, err
	}
	tip := n.chain.Tip()
	n.log.Info("node started", "version", cfg.Version, "height", tip.Height, "tip", tip.Hash, "peer_id", n.host.PeerID(), "datadir", cfg.DataDir)
	return n, nil
}

func (n *Node) startNetwork(ctx context.Context) error {
	listen := n.p2pListen()
	host, err := p2p.New(ctx, p2p.Config{
		DataDir:     n.cfg.DataDir,
		ListenAddrs: listen,
		Network:     n.params.Name,
		StaticPeers: n.cfg.Peers,
		Metrics:     n.metrics.reg,
		MDNS:        n.cfg.MDNS,
		MaxPeers:    n.cfg.MaxPeers,
		Logger:      n.log,

		MaxPeersPerIP: n.cfg.MaxPeersPerIP,
	})
	if err != nil {
		return fmt.Errorf("start p2p: %w", err)
	}
	n.host = host
	srv := &netserve.Server{Chain: n.chain, Pending: func(id chainhash.Hash) (*tx.Tx, bool) {
		e, ok := n.pool.Get(id)
		return e.Tx, ok
	}, PendingIDs: n.pool.IDs}
	srv.Register(host)
	n.sync = newSyncer(n, blocksync.Config{})
	host.OnPeerConnected(n.sync.peerChanged)
	host.OnPeerDisconnected(n.sync.peerChanged)
	if n.blocks, err = host.JoinTopic(netproto.TopicBlocks, n.validateBlockMsg); err != nil {
		return fmt.Errorf("join blocks topic: %w", err)
	}
	if n.txs, err = host.JoinTopic(netproto.TopicTxs, n.validateTxMsg); err != nil {
		return fmt.Errorf("join txs topic: %w", err)
	}
	return nil
}

func (n *Node) stop() error {
	n.cancel()
	n.wg.Wait()
	n.events.Close() // ends event streams, so the RPC can shut down
	if n.rpcErr != nil {
		<-n.rpcErr
	}
	if n.metricsErr != nil {
		<-n.metricsErr
	}
	os.Remove(filepath.Join(n.cfg.DataDir, InfoFile))
	var errs []error
	if n.host != nil {
		errs = append(errs, n.host.Close())
	}
	n.saveMempool()
	errs = append(errs, n.chain.Close())
	n.lock.release()
	n.log.Info("stopped")
	return errors.Join(errs...)
}

// now is the node's clock for consensus time checks.
func now() int64 { return time.Now().Unix() }
