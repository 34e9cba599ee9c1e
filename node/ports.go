package node

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// ErrPortInUse reports a listen address another process already holds.
var ErrPortInUse = errors.New("port in use")

// probeListen checks that a TCP address is free by listening on it without
// SO_REUSEPORT and closing again. libp2p's TCP transport listens with
// SO_REUSEPORT, which would let a second node share a port silently; a plain
// listen is refused while any other socket holds the port.
func probeListen(what, addr, flag string) error {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln.Close()
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: %s address %s is already in use (another node running?); pass %s with a free port, or port 0 to pick one", ErrPortInUse, what, addr, flag)
	}
	return fmt.Errorf("%s address %s: %w", what, addr, err)
}

// probeP2P checks every TCP listen multiaddr with a fixed port.
func probeP2P(listen []string) error {
	for _, s := range listen {
		m, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("--p2p %q is not a multiaddr: %w", s, err)
		}
		if _, err := m.ValueForProtocol(ma.P_TCP); err != nil {
			continue // not TCP (e.g. QUIC): libp2p reports its own errors
		}
		na, err := manet.ToNetAddr(m)
		if err != nil {
			continue
		}
		if tcp, ok := na.(*net.TCPAddr); ok && tcp.Port != 0 {
			if err := probeListen("p2p", tcp.String(), "--p2p /ip4/HOST/tcp/PORT"); err != nil {
				return err
			}
		}
	}
	return nil
}
