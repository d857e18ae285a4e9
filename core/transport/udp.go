package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"syscall"
)

// DefaultSocketBuffer is the SO_RCVBUF and SO_SNDBUF size ListenUDP asks
// for. A server that drains its socket once per tick must hold a tick's worth
// of datagrams from every client; the OS may grant less, which is not an
// error.
const DefaultSocketBuffer = 4 << 20

// UDPOptions tunes ListenUDPOptions. The zero value gives the defaults.
type UDPOptions struct {
	// ReadBuffer and WriteBuffer are the socket buffer sizes to request, in
	// bytes: 0 means DefaultSocketBuffer, a negative value keeps the OS
	// default.
	ReadBuffer  int
	WriteBuffer int
}

// UDPStats counts datagrams a UDP transport dropped on purpose. Both
// counters only move on rare paths.
type UDPStats struct {
	// SendSkipped counts datagrams WriteBatch skipped: refused by the network,
	// a Message with N outside Buf, or an address the socket cannot reach.
	SendSkipped uint64
	// RecvDropped counts received datagrams discarded because the kernel
	// reported no IPv4 or IPv6 sender, which it should never do. A datagram
	// too big for the caller's buffer is not dropped here: it is delivered
	// with Message.Truncated set.
	RecvDropped uint64
}

var _ Transport = (*UDP)(nil)

// ListenUDP binds a UDP transport to addr with default options.
//
// An IPv4 address binds an IPv4 socket and an IPv6 address an IPv6-only one,
// except the unspecified [::], which binds a dual-stack socket serving IPv4
// and IPv6 peers, or, on a host whose kernel has no IPv6, an IPv4 socket on
// 0.0.0.0 (LocalAddr says which). Peers are always reported as plain IPv4
// or IPv6 addresses (never IPv4-mapped), and IPv4 destinations work on a
// dual-stack socket. Port 0 picks a free port; LocalAddr reports it.
func ListenUDP(addr netip.AddrPort) (*UDP, error) {
	return ListenUDPOptions(addr, UDPOptions{})
}

// listenUDPConn binds the socket both UDP implementations wrap.
func listenUDPConn(addr netip.AddrPort, opts UDPOptions) (*net.UDPConn, error) {
	if !addr.IsValid() {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAddr, addr)
	}
	ip := addr.Addr().Unmap()
	network := "udp6" // Go sets IPV6_V6ONLY for "udp6"
	switch {
	case ip.Is4():
		network = "udp4"
	case ip.IsUnspecified():
		network = "udp" // a wildcard listen on "udp" is dual-stack
	}
	conn, err := listenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, addr.Port())))
	if err != nil && network == "udp" && ip.Is6() && familyUnavailable(err) {
		// No IPv6 in this kernel: a game server bound to [::] still
		// serves IPv4 clients, as it would on a dual-stack socket.
		conn, err = listenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero, Port: int(addr.Port())})
	}
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	setSocketBuffers(conn, opts)
	return conn, nil
}

// listenUDP is net.ListenUDP; tests replace it to act as a host without
// IPv6.
var listenUDP = net.ListenUDP

// familyUnavailable reports whether err says the socket's address family
// is not in this kernel: EAFNOSUPPORT, or winsock's WSAEAFNOSUPPORT (10047),
// which Go does not map to it. Only this error falls back: [::] already in
// use, say, must not quietly become an IPv4-only server.
func familyUnavailable(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == syscall.EAFNOSUPPORT || runtime.GOOS == "windows" && errno == 10047
}

// setSocketBuffers asks for bigger socket buffers. Failure is not an error:
// the socket still works, it just drops sooner under bursts.
func setSocketBuffers(conn *net.UDPConn, opts UDPOptions) {
	r, w := opts.ReadBuffer, opts.WriteBuffer
	if r == 0 {
		r = DefaultSocketBuffer
	}
	if w == 0 {
		w = DefaultSocketBuffer
	}
	if r > 0 {
		_ = conn.SetReadBuffer(r)
	}
	if w > 0 {
		_ = conn.SetWriteBuffer(w)
	}
	forceSocketBuffers(conn, r, w)
}

// localAddrPort is the bound address in the form callers compare against:
// IPv4 sockets report plain IPv4.
func localAddrPort(conn *net.UDPConn) netip.AddrPort {
	ua, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	return unmapAddrPort(ua.AddrPort())
}

// unmapAddrPort turns an IPv4-mapped IPv6 address into plain IPv4.
func unmapAddrPort(ap netip.AddrPort) netip.AddrPort {
	if ap.Addr().Is4In6() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}

// validWrite reports whether m can be sent at all; anything else is skipped.
func validWrite(m *Message) bool {
	return m.N >= 0 && m.N <= len(m.Buf) && m.Addr.IsValid()
}
