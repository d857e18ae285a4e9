package transport

import (
	"fmt"
	"net/netip"
	"sync"
)

// Limits of the in-memory network, mirroring what a UDP socket would do.
const (
	memQueueLimit = 4096  // datagrams queued per endpoint, like a socket buffer
	maxUDPPayload = 65507 // larger datagrams are refused, as by IPv4 UDP
	memFirstPort  = 49152 // ports handed out for port 0: the IANA dynamic range
)

// MemNetwork is an in-memory datagram network: the deterministic test
// fixture for everything above the transport. Datagrams are copied into the
// destination's queue at WriteBatch time and delivered in send order; those
// to an address nobody listens on vanish, as with UDP. One mutex guards the
// whole network, so every endpoint may be used from any goroutine.
//
// Routing: an exact address match wins; otherwise a datagram to port P
// reaches an endpoint on the unspecified address of its family (0.0.0.0:P,
// then [::]:P, which like a dual-stack socket also takes IPv4). An endpoint
// bound to an unspecified address sends from the loopback address of the
// destination's family.
type MemNetwork struct {
	mu       sync.Mutex
	conns    map[netip.AddrPort]*MemConn
	nextPort uint16
	filter   func(from, to netip.AddrPort, b []byte) bool
	stats    MemStats
	free     [][]byte // pooled MaxDatagram buffers
}

// MemStats counts what a MemNetwork did with datagrams.
type MemStats struct {
	Sent       uint64 // datagrams given to WriteBatch
	Delivered  uint64 // queued at their destination
	Filtered   uint64 // dropped by the filter
	Unroutable uint64 // nobody listening at the destination
	Invalid    uint64 // a Message with N outside Buf or over 65507 bytes
	Overflowed uint64 // destination queue full
	Truncated  uint64 // larger than the reader's Buf: read cut, flagged Truncated
}

// Dropped is every datagram sent but not read whole.
func (s MemStats) Dropped() uint64 {
	return s.Filtered + s.Unroutable + s.Invalid + s.Overflowed + s.Truncated
}

// NewMemNetwork returns an empty network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{conns: make(map[netip.AddrPort]*MemConn), nextPort: memFirstPort}
}

// SetFilter installs f, called for every datagram sent (before routing);
// returning false drops it. Use it for partitions and loss. f runs with the
// network locked, so it must not call into the network or its endpoints; b
// is only valid during the call. nil removes the filter.
func (nw *MemNetwork) SetFilter(f func(from, to netip.AddrPort, b []byte) bool) {
	nw.mu.Lock()
	nw.filter = f
	nw.mu.Unlock()
}

// Stats returns the network's counters.
func (nw *MemNetwork) Stats() MemStats {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.stats
}

// Listen opens an endpoint at addr. Port 0 allocates a free port from 49152
// up; an address already open is ErrAddrInUse.
func (nw *MemNetwork) Listen(addr netip.AddrPort) (*MemConn, error) {
	if !addr.Addr().IsValid() {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAddr, addr)
	}
	addr = unmapAddrPort(addr)
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if addr.Port() == 0 {
		port, ok := nw.allocPort(addr.Addr())
		if !ok {
			return nil, fmt.Errorf("%w: no free port on %v", ErrAddrInUse, addr.Addr())
		}
		addr = netip.AddrPortFrom(addr.Addr(), port)
	} else if _, taken := nw.conns[addr]; taken {
		return nil, fmt.Errorf("%w: %v", ErrAddrInUse, addr)
	}
	c := &MemConn{nw: nw, local: addr}
	nw.conns[addr] = c
	return c, nil
}

// allocPort walks the dynamic range from where it last stopped, so a
// closed port is not handed out again at once. Called with mu held.
func (nw *MemNetwork) allocPort(ip netip.Addr) (uint16, bool) {
	const n = 65536 - memFirstPort
	for range n {
		p := nw.nextPort
		nw.nextPort++
		if nw.nextPort == 0 {
			nw.nextPort = memFirstPort
		}
		if _, taken := nw.conns[netip.AddrPortFrom(ip, p)]; !taken {
			return p, true
		}
	}
	return 0, false
}

// route finds the endpoint for to. Called with mu held.
func (nw *MemNetwork) route(to netip.AddrPort) *MemConn {
	if c := nw.conns[to]; c != nil {
		return c
	}
	if to.Addr().Is4() {
		if c := nw.conns[netip.AddrPortFrom(netip.IPv4Unspecified(), to.Port())]; c != nil {
			return c
		}
	}
	return nw.conns[netip.AddrPortFrom(netip.IPv6Unspecified(), to.Port())]
}

// send moves one datagram. Called with mu held.
func (nw *MemNetwork) send(from netip.AddrPort, m *Message) {
	nw.stats.Sent++
	if m.N < 0 || m.N > len(m.Buf) || m.N > maxUDPPayload || !m.Addr.IsValid() {
		nw.stats.Invalid++
		return
	}
	to := unmapAddrPort(m.Addr)
	if from.Addr().IsUnspecified() {
		lo := netip.IPv6Loopback()
		if to.Addr().Is4() {
			lo = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		from = netip.AddrPortFrom(lo, from.Port())
	}
	b := m.Buf[:m.N]
	if nw.filter != nil && !nw.filter(from, to, b) {
		nw.stats.Filtered++
		return
	}
	dst := nw.route(to)
	if dst == nil {
		nw.stats.Unroutable++
		return
	}
	if dst.queue.len() >= memQueueLimit {
		nw.stats.Overflowed++
		return
	}
	buf := nw.getBuf(len(b))
	copy(buf, b)
	dst.queue.push(memPacket{buf: buf, n: len(b), from: from})
	nw.stats.Delivered++
}

// getBuf returns a buffer of at least n bytes. Called with mu held.
func (nw *MemNetwork) getBuf(n int) []byte {
	if n > MaxDatagram {
		return make([]byte, n) // rare; not pooled
	}
	if k := len(nw.free); k > 0 {
		b := nw.free[k-1]
		nw.free = nw.free[:k-1]
		return b
	}
	return make([]byte, MaxDatagram)
}

// putBuf recycles a buffer from getBuf. Called with mu held.
func (nw *MemNetwork) putBuf(b []byte) {
	if len(b) == MaxDatagram {
		nw.free = append(nw.free, b)
	}
}
