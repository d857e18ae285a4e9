//go:build !linux && !windows

package transport

import (
	"net"
	"net/netip"
)

// UDP is a UDP socket implementing Transport. Off Linux and Windows it is the
// portable implementation: a reader goroutine per socket feeding a fixed
// ring.
type UDP struct {
	p *portableUDP
}

// ListenUDPOptions is ListenUDP with explicit options.
func ListenUDPOptions(addr netip.AddrPort, opts UDPOptions) (*UDP, error) {
	p, err := listenPortable(addr, opts)
	if err != nil {
		return nil, err
	}
	return &UDP{p: p}, nil
}

// forceSocketBuffers has no privileged override off Linux.
func forceSocketBuffers(*net.UDPConn, int, int) {}

// LocalAddr returns the bound address; it keeps working after Close.
func (u *UDP) LocalAddr() netip.AddrPort { return u.p.LocalAddr() }

// Stats returns the drop counters.
func (u *UDP) Stats() UDPStats { return u.p.Stats() }

// ReadBatch implements Transport.
func (u *UDP) ReadBatch(msgs []Message) (int, error) { return u.p.ReadBatch(msgs) }

// WriteBatch implements Transport. Datagrams the network refuses and
// Messages with N outside Buf are skipped, counted in Stats, and reported as
// written.
func (u *UDP) WriteBatch(msgs []Message) (int, error) { return u.p.WriteBatch(msgs) }

// Close closes the socket and waits for its reader goroutine. Only the first
// call does anything; later calls return nil.
func (u *UDP) Close() error { return u.p.Close() }
