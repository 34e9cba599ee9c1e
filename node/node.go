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
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chaincfg"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/mempool"
	"github.com/ledgerd/ledger/miner"
	"github.com/ledgerd/ledger/netproto"
	"github.com/ledgerd/ledger/netserve"
	"github.com/ledgerd/ledger/p2p"
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
	sync    *syncer
	metrics *metrics

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
	<-ctx.Done()
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
	n := &Node{cfg: cfg, params: params, log: cfg.Logger.With("network", params.Name)}
	var mineTo [32]byte
	if cfg.Mine {
		if mineTo, err = tx.DecodeAddress(params.AddressHRP, cfg.MineTo); err != nil {
			return nil, fmt.Errorf("--mine-to: %w", err)
		}
	}
	chainDir := filepath.Join(cfg.DataDir, ChainDir)
	n.chain, err = chain.Open(chainDir, params, chain.Options{Logger: n.log})
	if errors.Is(err, chain.ErrCorruptStore) {
		return nil, fmt.Errorf("%w (move %s aside and restart to download the chain again from peers; wallets are not stored there)", err, chainDir)
	}
	if err != nil {
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
		return nil, err
	}
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
	n.wg.Add(1)
	go func() { defer n.wg.Done(); n.sync.run(ctx) }()
	if n.rpcErr, err = n.startRPC(ctx); err != nil {
		n.stop()
		return nil, err
	}
	tip := n.chain.Tip()
	n.log.Info("node started", "height", tip.Height, "tip", tip.Hash, "peer_id", n.host.PeerID())
	return n, nil
}

func (n *Node) startNetwork(ctx context.Context) error {
	listen := n.cfg.P2PListen
	if len(listen) == 0 {
		listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", n.params.DefaultP2PPort)}
	}
	host, err := p2p.New(ctx, p2p.Config{
		DataDir:     n.cfg.DataDir,
		ListenAddrs: listen,
		Network:     n.params.Name,
		StaticPeers: n.cfg.Peers,
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
	n.sync = newSyncer(n)
	host.OnPeerConnected(func(id peer.ID) { n.sync.peerConnected(id) })
	host.OnPeerDisconnected(func(id peer.ID) { n.sync.peerDisconnected(id) })
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
	if n.rpcErr != nil {
		<-n.rpcErr
	}
	os.Remove(filepath.Join(n.cfg.DataDir, InfoFile))
	var errs []error
	if n.host != nil {
		errs = append(errs, n.host.Close())
	}
	n.saveMempool()
	errs = append(errs, n.chain.Close())
	n.log.Info("stopped")
	return errors.Join(errs...)
}

// now is the node's clock for consensus time checks.
func now() int64 { return time.Now().Unix() }
