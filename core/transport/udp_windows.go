package transport

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// UDP is a UDP socket implementing Transport.
//
// On Windows it is a non-blocking winsock socket (ioctlsocket FIONBIO) that
// ReadBatch polls with recvfrom until WSAEWOULDBLOCK and WriteBatch feeds
// with sendto, straight through ws2_32: no goroutine, no netpoller, no
// overlapped I/O. Go's own UDP sockets cannot be used under wine 8.0 (their
// WSAIoctl SIO_UDP_CONNRESET fails with WSAEOPNOTSUPP, and a blocking
// WSARecvFrom crashes it), and polling from Update is the Linux
// transport's shape anyway. Each direction owns one sockaddr, allocated
// with the socket, so the packet path allocates nothing.
type UDP struct {
	sock  windows.Handle
	local netip.AddrPort
	is4   bool // AF_INET socket: destinations must be IPv4

	// mu orders Close after the calls in flight: ReadBatch and WriteBatch
	// hold it shared while they use sock, Close exclusively to close it,
	// so no call ever reaches a socket handle Windows has handed out again.
	mu        sync.RWMutex
	closed    atomic.Bool
	closeOnce sync.Once
	skipped   atomic.Uint64
	dropped   atomic.Uint64

	// Owned by ReadBatch.
	rdName    windows.RawSockaddrInet6 // large enough for either family
	rdDrained bool
	rdZones   zoneCache

	// Owned by WriteBatch.
	wrName  windows.RawSockaddrInet6
	wrZones zoneCache
}

// Winsock entry points, called through syscall.SyscallN: x/sys/windows's
// wrappers return the error as an interface, which allocates for
// WSAEWOULDBLOCK on every empty read.
var (
	ws2         = windows.NewLazySystemDLL("ws2_32.dll")
	procRecv    = ws2.NewProc("recvfrom")
	procSend    = ws2.NewProc("sendto")
	procIoctl   = ws2.NewProc("ioctlsocket")
	winsockOnce sync.Once
	winsockErr  error
)

const (
	fionbio          = 0x8004667e // ioctlsocket: non-blocking mode
	socketError      = ^uint32(0) // SOCKET_ERROR as the low 32 bits of a result
	sendRetryTimeout = 100 * time.Millisecond
)

// winsockInit starts winsock (reference counted: Go's net package starts it
// too) and resolves the entry points once.
func winsockInit() error {
	winsockOnce.Do(func() {
		var d windows.WSAData
		if err := windows.WSAStartup(0x202, &d); err != nil {
			winsockErr = os.NewSyscallError("WSAStartup", err)
			return
		}
		for _, p := range []*windows.LazyProc{procRecv, procSend, procIoctl} {
			if err := p.Find(); err != nil {
				winsockErr = err
				return
			}
		}
	})
	return winsockErr
}

// openSocket opens a UDP socket of the family network names: "udp4" IPv4,
// "udp6" IPv6 only, "udp" dual-stack IPv6. Like Go's own sockets it is not
// inherited by child processes (Windows sockets are by default). Tests
// replace it to act as a host without IPv6.
var openSocket = func(network string) (windows.Handle, error) {
	family := int32(windows.AF_INET6)
	if network == "udp4" {
		family = windows.AF_INET
	}
	s, err := windows.WSASocket(family, windows.SOCK_DGRAM, windows.IPPROTO_UDP, nil, 0,
		windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err == windows.WSAEINVAL {
		// Before Windows 7 SP1 the flag is unknown.
		s, err = windows.WSASocket(family, windows.SOCK_DGRAM, windows.IPPROTO_UDP, nil, 0, windows.WSA_FLAG_OVERLAPPED)
		if err == nil {
			_ = windows.SetHandleInformation(s, windows.HANDLE_FLAG_INHERIT, 0)
		}
	}
	if err != nil {
		return windows.InvalidHandle, os.NewSyscallError("socket", err)
	}
	return s, nil
}

// ListenUDPOptions is ListenUDP with explicit options.
func ListenUDPOptions(addr netip.AddrPort, opts UDPOptions) (*UDP, error) {
	if !addr.IsValid() {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAddr, addr)
	}
	if err := winsockInit(); err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	ip := addr.Addr().Unmap()
	network := "udp6"
	switch {
	case ip.Is4():
		network = "udp4"
	case ip.IsUnspecified():
		network = "udp"
	}
	u, err := bindUDP(network, netip.AddrPortFrom(ip, addr.Port()), opts)
	if err != nil && network == "udp" && familyUnavailable(err) {
		// No IPv6 on this host: a game server bound to [::] still serves
		// IPv4 clients, as it would on a dual-stack socket.
		u, err = bindUDP("udp4", netip.AddrPortFrom(netip.IPv4Unspecified(), addr.Port()), opts)
	}
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return u, nil
}

// bindUDP opens, configures and binds one socket.
func bindUDP(network string, addr netip.AddrPort, opts UDPOptions) (*UDP, error) {
	s, err := openSocket(network)
	if err != nil {
		return nil, err
	}
	u := &UDP{sock: s, is4: network == "udp4"}
	if err := u.setup(network, addr, opts); err != nil {
		windows.Closesocket(s)
		return nil, err
	}
	return u, nil
}

func (u *UDP) setup(network string, addr netip.AddrPort, opts UDPOptions) error {
	s := u.sock
	if network != "udp4" {
		// Windows makes IPv6 sockets IPv6-only by default; [::] serves both.
		v6only := 0
		if network == "udp6" {
			v6only = 1
		}
		if err := windows.SetsockoptInt(s, windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, v6only); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	on := uint32(1)
	if r, _, e := syscall.SyscallN(procIoctl.Addr(), uintptr(s), fionbio, uintptr(unsafe.Pointer(&on))); uint32(r) == socketError {
		return os.NewSyscallError("ioctlsocket FIONBIO", e)
	}
	// An ICMP port unreachable from an earlier sendto would fail a later
	// recvfrom with WSAECONNRESET (and TTL expiry with WSAENETRESET). Turn
	// both off where the system supports it (wine 8.0 does not: ReadBatch
	// skips them anyway).
	off := uint32(0)
	var ret uint32
	for _, code := range []uint32{windows.SIO_UDP_CONNRESET, windows.SIO_UDP_NETRESET} {
		_ = windows.WSAIoctl(s, code, (*byte)(unsafe.Pointer(&off)), 4, nil, 0, &ret, nil, 0)
	}
	setWinsockBuffers(s, opts)

	var sa windows.Sockaddr
	if network == "udp4" {
		sa = &windows.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	} else {
		var zones zoneCache
		sa6 := &windows.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
		if z := addr.Addr().Zone(); z != "" {
			sa6.ZoneId = zones.index(z)
		}
		sa = sa6
	}
	if err := windows.Bind(s, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	bound, err := windows.Getsockname(s)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	switch b := bound.(type) {
	case *windows.SockaddrInet4:
		u.local = netip.AddrPortFrom(netip.AddrFrom4(b.Addr), uint16(b.Port))
	case *windows.SockaddrInet6:
		ip := netip.AddrFrom16(b.Addr)
		if b.ZoneId != 0 {
			ip = ip.WithZone(u.rdZones.name(b.ZoneId))
		}
		u.local = unmapAddrPort(netip.AddrPortFrom(ip, uint16(b.Port)))
	}
	return nil
}

// setWinsockBuffers asks for bigger socket buffers. Failure is not an
// error: the socket still works, it just drops sooner under bursts.
func setWinsockBuffers(s windows.Handle, opts UDPOptions) {
	r, w := opts.ReadBuffer, opts.WriteBuffer
	if r == 0 {
		r = DefaultSocketBuffer
	}
	if w == 0 {
		w = DefaultSocketBuffer
	}
	if r > 0 {
		_ = windows.SetsockoptInt(s, windows.SOL_SOCKET, windows.SO_RCVBUF, r)
	}
	if w > 0 {
		_ = windows.SetsockoptInt(s, windows.SOL_SOCKET, windows.SO_SNDBUF, w)
	}
}

// forceSocketBuffers serves the portable transport, which Windows builds
// for its tests: there is no privileged override here.
func forceSocketBuffers(*net.UDPConn, int, int) {}

// LocalAddr returns the bound address; it keeps working after Close.
func (u *UDP) LocalAddr() netip.AddrPort { return u.local }

// Stats returns the drop counters.
func (u *UDP) Stats() UDPStats {
	return UDPStats{SendSkipped: u.skipped.Load(), RecvDropped: u.dropped.Load()}
}

// recvfrom reads one datagram into buf without waiting.
func (u *UDP) recvfrom(buf []byte) (int, int32, syscall.Errno) {
	var p *byte
	if len(buf) > 0 {
		p = unsafe.SliceData(buf)
	}
	u.rdName.Family = 0 // a failed read that reports no sender leaves none
	namelen := int32(unsafe.Sizeof(u.rdName))
	r, _, e := syscall.SyscallN(procRecv.Addr(), uintptr(u.sock), uintptr(unsafe.Pointer(p)), uintptr(len(buf)), 0,
		uintptr(unsafe.Pointer(&u.rdName)), uintptr(unsafe.Pointer(&namelen)))
	if uint32(r) == socketError {
		return 0, namelen, e
	}
	return int(int32(r)), namelen, 0
}

// ReadBatch implements Transport: recvfrom until msgs are full or the
// socket reports WSAEWOULDBLOCK. A datagram larger than its Buf fails
// recvfrom with WSAEMSGSIZE after filling the Buf; it is delivered with
// Truncated set (and the sender, when Windows reports one).
func (u *UDP) ReadBatch(msgs []Message) (int, error) {
	u.rdDrained = false
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed.Load() {
		return 0, ErrClosed
	}
	n, skips := 0, 0
	for n < len(msgs) {
		m := &msgs[n]
		size, namelen, errno := u.recvfrom(m.Buf)
		truncated := false
		switch {
		case errno == 0:
		case errno == windows.WSAEWOULDBLOCK:
			u.rdDrained = true
			return n, nil
		case errno == windows.WSAEMSGSIZE:
			size, truncated = len(m.Buf), true
		case transientWSA(errno):
			// ICMP feedback about an earlier send, reported once; the
			// datagrams queued behind it are intact. Bounded, so a socket
			// that keeps failing cannot hold the caller.
			if skips++; skips > 64 {
				return n, nil
			}
			continue
		default:
			if u.closed.Load() {
				return n, ErrClosed
			}
			return n, fmt.Errorf("transport: recvfrom: %w", errno)
		}
		addr, ok := decodeWinsockaddr(&u.rdName, namelen, &u.rdZones)
		if !ok && !truncated {
			// No IPv4 or IPv6 sender, which a UDP socket never reports.
			u.dropped.Add(1)
			continue
		}
		m.N = size
		m.Addr = addr
		m.Truncated = truncated
		n++
	}
	return n, nil
}

// ReadDrained implements ReadDrainer: the last ReadBatch stopped at
// WSAEWOULDBLOCK.
func (u *UDP) ReadDrained() bool { return u.rdDrained }

// WriteBatch implements Transport. Datagrams the network refuses, Messages
// with N outside Buf, and addresses this socket cannot reach (IPv6 from an
// IPv4 socket) are skipped, counted in Stats, and reported as written. A
// full send buffer (WSAEWOULDBLOCK) is waited out for up to 100 ms per
// batch, not per datagram, so one call never stalls an Update for longer;
// after that the batch's refused datagrams are skipped at once.
func (u *UDP) WriteBatch(msgs []Message) (int, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed.Load() {
		return 0, ErrClosed
	}
	var deadline time.Time // of the wait for a full send buffer, once one is met
	for i := range msgs {
		m := &msgs[i]
		namelen, ok := encodeWinsockaddr(&u.wrName, m.Addr, u.is4, &u.wrZones)
		if !ok || !validWrite(m) {
			u.skipped.Add(1)
			continue
		}
		if err := u.sendto(m.Buf[:m.N], namelen, &deadline); err != nil {
			if u.closed.Load() {
				return i, ErrClosed
			}
			return i, err
		}
	}
	return len(msgs), nil
}

// sendto sends one datagram to wrName, skipping it (counted) when the
// network refuses it; only an error of the socket itself is returned.
// deadline is the batch's: the first full send buffer sets it, and past
// it a full buffer skips the datagram without waiting.
func (u *UDP) sendto(b []byte, namelen int32, deadline *time.Time) error {
	var p *byte
	if len(b) > 0 {
		p = unsafe.SliceData(b)
	}
	for wait := 50 * time.Microsecond; ; {
		r, _, errno := syscall.SyscallN(procSend.Addr(), uintptr(u.sock), uintptr(unsafe.Pointer(p)), uintptr(len(b)), 0,
			uintptr(unsafe.Pointer(&u.wrName)), uintptr(namelen))
		switch {
		case uint32(r) != socketError:
			return nil
		case errno == windows.WSAEWOULDBLOCK:
			// The send buffer is full: wait for it to drain, a little.
			if u.closed.Load() {
				return ErrClosed
			}
			now := time.Now()
			if deadline.IsZero() {
				*deadline = now.Add(sendRetryTimeout)
			} else if now.After(*deadline) {
				u.skipped.Add(1)
				return nil
			}
			time.Sleep(wait)
			wait = min(2*wait, 5*time.Millisecond)
		case transientWSA(errno):
			// This datagram's peer is unreachable: skip it, keep the rest.
			u.skipped.Add(1)
			return nil
		default:
			return fmt.Errorf("transport: sendto: %w", errno)
		}
	}
}

// Close closes the socket once the calls in flight on other goroutines
// returned; later calls on it return ErrClosed. Only the first Close does
// anything; later calls return nil.
func (u *UDP) Close() error {
	var err error
	u.closeOnce.Do(func() {
		u.closed.Store(true)
		u.mu.Lock()
		defer u.mu.Unlock()
		if cerr := windows.Closesocket(u.sock); cerr != nil {
			err = fmt.Errorf("transport: %w", os.NewSyscallError("closesocket", cerr))
		}
	})
	return err
}

// decodeWinsockaddr turns a received sockaddr into an AddrPort, unmapping
// IPv4 peers of a dual-stack socket. zones names link-local scopes.
func decodeWinsockaddr(sa *windows.RawSockaddrInet6, namelen int32, zones *zoneCache) (netip.AddrPort, bool) {
	switch {
	case sa.Family == windows.AF_INET && namelen >= int32(unsafe.Sizeof(windows.RawSockaddrInet4{})):
		sa4 := (*windows.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port)), true
	case sa.Family == windows.AF_INET6 && namelen >= int32(unsafe.Sizeof(*sa)):
		ip := netip.AddrFrom16(sa.Addr)
		if ip.Is4In6() {
			ip = ip.Unmap()
		} else if sa.Scope_id != 0 {
			ip = ip.WithZone(zones.name(sa.Scope_id))
		}
		return netip.AddrPortFrom(ip, getPort(&sa.Port)), true
	}
	return netip.AddrPort{}, false
}

// encodeWinsockaddr writes ap for a socket of the given family and returns
// the sockaddr length, or false when this socket cannot reach ap. IPv4
// destinations are mapped for an IPv6 socket, which reaches them if it is
// dual-stack and refuses them (a skipped datagram) if not.
func encodeWinsockaddr(sa *windows.RawSockaddrInet6, ap netip.AddrPort, is4 bool, zones *zoneCache) (int32, bool) {
	ip := ap.Addr()
	if is4 {
		ip = ip.Unmap()
		if !ip.Is4() {
			return 0, false
		}
		sa4 := (*windows.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = windows.RawSockaddrInet4{Family: windows.AF_INET, Addr: ip.As4()}
		putPort(&sa4.Port, ap.Port())
		return int32(unsafe.Sizeof(*sa4)), true
	}
	if !ip.IsValid() {
		return 0, false
	}
	*sa = windows.RawSockaddrInet6{Family: windows.AF_INET6, Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		sa.Scope_id = zones.index(z)
	}
	putPort(&sa.Port, ap.Port())
	return int32(unsafe.Sizeof(*sa)), true
}

// transientWSA reports winsock errors that concern one peer or one
// datagram, not the socket: ICMP feedback from an earlier datagram, or a
// refusal of this one.
func transientWSA(errno syscall.Errno) bool {
	switch errno {
	case windows.WSAECONNRESET, windows.WSAENETRESET, windows.WSAECONNREFUSED, windows.WSAEHOSTUNREACH,
		windows.WSAEHOSTDOWN, windows.WSAENETUNREACH, windows.WSAENETDOWN, windows.WSAEMSGSIZE,
		windows.WSAEADDRNOTAVAIL, windows.WSAEAFNOSUPPORT, windows.WSAEACCES, windows.WSAENOBUFS,
		windows.WSAEINVAL, windows.WSAETIMEDOUT, windows.WSAEDESTADDRREQ:
		return true
	}
	return false
}
