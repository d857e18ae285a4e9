package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// UDP is a UDP socket implementing Transport.
//
// On Linux it moves up to 64 datagrams per system call with recvmmsg and
// sendmmsg, issued through the socket's RawConn so that Go's poller still
// owns the descriptor (and Close stays safe from any goroutine). The read
// callback always reports done, so ReadBatch never parks. All kernel-facing
// scratch and both callbacks are allocated once, here, so the packet path
// allocates nothing. A kernel or sandbox that refuses the two calls gets the
// portable implementation instead.
type UDP struct {
	conn     *net.UDPConn
	raw      syscall.RawConn
	local    netip.AddrPort
	is4      bool         // AF_INET socket: destinations must be IPv4
	portable *portableUDP // set when recvmmsg/sendmmsg are unavailable

	closed    atomic.Bool
	closeOnce sync.Once
	skipped   atomic.Uint64
	dropped   atomic.Uint64

	// Owned by ReadBatch.
	rd      mmsgBatch
	rdCount int           // headers prepared for this call
	rdN     int           // datagrams the kernel filled
	rdErr   syscall.Errno // fatal error from the callback
	rdEmpty bool          // the last recvmmsg stopped short: see ReadDrained
	rdZones zoneCache
	readFn  func(fd uintptr) bool

	// Owned by WriteBatch.
	wr      mmsgBatch
	wrMsg   [maxBatch]int // wr.hdrs[j] carries chunk[wrMsg[j]]
	wrCount int           // headers prepared for this chunk
	wrPos   int           // headers sent or skipped so far
	wrErr   syscall.Errno // fatal error from the callback
	wrZones zoneCache
	writeFn func(fd uintptr) bool
}

// ListenUDPOptions is ListenUDP with explicit options.
func ListenUDPOptions(addr netip.AddrPort, opts UDPOptions) (*UDP, error) {
	conn, err := listenUDPConn(addr, opts)
	if err != nil {
		return nil, err
	}
	u, err := newUDP(conn, false)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return u, nil
}

// newUDP takes ownership of conn. forcePortable lets tests exercise the
// fallback.
func newUDP(conn *net.UDPConn, forcePortable bool) (*UDP, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	u := &UDP{conn: conn, raw: raw, local: localAddrPort(conn)}
	u.rd.init()
	u.wr.init()
	var domain int
	supported := false
	cerr := raw.Control(func(fd uintptr) {
		// The real family, not the requested one: a [::] bind falls back
		// to IPv4 on a host without IPv6 (listenUDPConn).
		domain, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		supported = mmsgSupported(fd, &u.rd)
	})
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	u.is4 = domain == unix.AF_INET
	if forcePortable || !supported {
		u.portable = newPortable(conn)
		return u, nil
	}
	u.readFn = u.readCallback
	u.writeFn = u.writeCallback
	return u, nil
}

// forceSocketBuffers lets a privileged process exceed net.core.rmem_max and
// wmem_max, which often sit far below DefaultSocketBuffer.
func forceSocketBuffers(conn *net.UDPConn, r, w int) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		if r > 0 {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, r)
		}
		if w > 0 {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, w)
		}
	})
}

// LocalAddr returns the bound address; it keeps working after Close.
func (u *UDP) LocalAddr() netip.AddrPort { return u.local }

// Stats returns the drop counters.
func (u *UDP) Stats() UDPStats {
	if u.portable != nil {
		return u.portable.Stats()
	}
	return UDPStats{SendSkipped: u.skipped.Load(), RecvDropped: u.dropped.Load()}
}

// ReadBatch implements Transport. It returns at most 64 datagrams per call.
func (u *UDP) ReadBatch(msgs []Message) (int, error) {
	if u.portable != nil {
		return u.portable.ReadBatch(msgs)
	}
	u.rdEmpty = false
	if u.closed.Load() {
		return 0, ErrClosed
	}
	if len(msgs) > maxBatch {
		msgs = msgs[:maxBatch]
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	r := &u.rd
	for i := range msgs {
		buf := msgs[i].Buf
		r.iovs[i].Base = unsafe.SliceData(buf)
		r.iovs[i].SetLen(len(buf))
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].Hdr.Flags = 0
	}
	u.rdCount, u.rdN, u.rdErr = len(msgs), 0, 0
	err := u.raw.Read(u.readFn)
	if err == nil && u.rdErr != 0 {
		err = u.rdErr
	}
	if err != nil {
		if u.closed.Load() || errors.Is(err, net.ErrClosed) {
			return 0, ErrClosed
		}
		return 0, fmt.Errorf("transport: recvmmsg: %w", err)
	}
	u.rdEmpty = u.rdN < u.rdCount

	n := 0
	for i := 0; i < u.rdN; i++ {
		h := &r.hdrs[i]
		addr, ok := decodeSockaddr(&r.names[i], h.Hdr.Namelen, &u.rdZones)
		if !ok {
			// No IPv4 or IPv6 sender, which a UDP socket never reports:
			// dropped, and later datagrams shift down into its Message.
			u.dropped.Add(1)
			continue
		}
		// Without MSG_TRUNC in the call's flags, Len is what the kernel
		// stored, at most the Buf's length; MSG_TRUNC in the message's
		// flags says the datagram was longer.
		size := int(h.Len)
		m := &msgs[n]
		m.N = size
		if n != i {
			m.N = copy(m.Buf, msgs[i].Buf[:size])
		}
		m.Addr = addr
		m.Truncated = h.Hdr.Flags&unix.MSG_TRUNC != 0 || m.N < size
		n++
	}
	return n, nil
}

// ReadDrained implements ReadDrainer. A non-blocking recvmmsg fills every
// header it is given unless receiving the next datagram fails: with EAGAIN
// when the queue is empty, or with an error the kernel then keeps for the
// next call (ReadBatch retries the transient ones). So a short count means
// an empty socket, and the caller saves the read that would return 0. A
// truncated datagram does not end the kernel's batch (MSG_TRUNC is only a
// flag). The portable fallback cannot tell and reports false.
func (u *UDP) ReadDrained() bool { return u.portable == nil && u.rdEmpty }

// readCallback runs under the poller's read lock. Returning true always
// means the poller never parks us: no data is a zero count, not a wait.
func (u *UDP) readCallback(fd uintptr) bool {
	for tries := 0; ; tries++ {
		n, errno := recvmmsg(fd, u.rd.hdrs[:u.rdCount])
		switch {
		case errno == 0:
			u.rdN = n
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN:
			// Nothing pending.
		case transientErrno(errno):
			// ICMP feedback about an earlier send (ECONNREFUSED for a
			// closed port), reported once; the queue behind it is intact.
			if tries < 4 {
				continue
			}
		default:
			u.rdErr = errno
		}
		return true
	}
}

// WriteBatch implements Transport. Datagrams the network refuses, Messages
// with N outside Buf, and addresses this socket cannot reach (IPv6 from an
// IPv4 socket) are skipped, counted in Stats, and reported as written.
func (u *UDP) WriteBatch(msgs []Message) (int, error) {
	if u.portable != nil {
		return u.portable.WriteBatch(msgs)
	}
	if u.closed.Load() {
		return 0, ErrClosed
	}
	w := &u.wr
	for done := 0; done < len(msgs); {
		chunk := msgs[done:min(len(msgs), done+maxBatch)]
		k := 0
		for i := range chunk {
			m := &chunk[i]
			namelen, ok := encodeSockaddr(&w.names[k], m.Addr, u.is4, &u.wrZones)
			if !ok || !validWrite(m) {
				u.skipped.Add(1)
				continue
			}
			w.iovs[k].Base = unsafe.SliceData(m.Buf)
			w.iovs[k].SetLen(m.N)
			w.hdrs[k].Hdr.Namelen = namelen
			u.wrMsg[k] = i
			k++
		}
		u.wrCount, u.wrPos, u.wrErr = k, 0, 0
		if k > 0 {
			err := u.raw.Write(u.writeFn)
			if err == nil && u.wrErr != 0 {
				err = u.wrErr
			}
			if err != nil {
				sent := done + len(chunk)
				if u.wrPos < k {
					sent = done + u.wrMsg[u.wrPos]
				}
				if u.closed.Load() || errors.Is(err, net.ErrClosed) {
					return sent, ErrClosed
				}
				return sent, fmt.Errorf("transport: sendmmsg: %w", err)
			}
		}
		done += len(chunk)
	}
	return len(msgs), nil
}

// writeCallback runs under the poller's write lock and sends from wrPos on.
// Returning false parks WriteBatch until the socket is writable again.
func (u *UDP) writeCallback(fd uintptr) bool {
	for u.wrPos < u.wrCount {
		n, errno := sendmmsg(fd, u.wr.hdrs[u.wrPos:u.wrCount])
		switch {
		case errno == 0 && n > 0:
			u.wrPos += n
		case errno == unix.EINTR:
		case errno == unix.EAGAIN:
			return false // send buffer full
		case errno == 0 || transientErrno(errno):
			// This datagram's peer is unreachable: skip it, keep the rest.
			u.wrPos++
			u.skipped.Add(1)
		default:
			u.wrErr = errno
			return true
		}
	}
	return true
}

// Close closes the socket. Only the first call does anything; later calls
// return nil. Calls in flight on other goroutines return ErrClosed.
func (u *UDP) Close() error {
	if u.portable != nil {
		return u.portable.Close()
	}
	var err error
	u.closeOnce.Do(func() {
		u.closed.Store(true)
		if cerr := u.conn.Close(); cerr != nil {
			err = fmt.Errorf("transport: %w", cerr)
		}
	})
	return err
}
