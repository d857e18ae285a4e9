package transport

import (
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
// sendmmsg on a non-blocking descriptor of its own, outside Go's network
// poller: nothing ever waits for it to be readable (a game polls its
// socket once per tick), and a descriptor the poller watches wakes a
// runtime thread parked in epoll_wait for every datagram that arrives, to
// find nobody waiting: context switches a small server pays for every
// packet (DESIGN.md, "The Go runtime between ticks"). The socket is made
// with the net package (binding rules, dual stack, buffers), then its
// descriptor is duplicated and the net.UDPConn closed, which takes the
// original out of the poller. A count of calls in flight keeps Close from
// closing the descriptor under one of them. All kernel-facing scratch is
// allocated once, here, so the packet path allocates nothing. A kernel or
// sandbox that refuses the two calls gets the portable implementation
// instead.
type UDP struct {
	fd       int // ours, non-blocking, not in Go's poller; -1 with portable
	local    netip.AddrPort
	is4      bool         // AF_INET socket: destinations must be IPv4
	portable *portableUDP // set when recvmmsg/sendmmsg are unavailable

	closed    atomic.Bool
	inFlight  atomic.Int32 // ReadBatch and WriteBatch calls using fd
	closeOnce sync.Once
	closeErr  error
	skipped   atomic.Uint64
	dropped   atomic.Uint64

	// Owned by ReadBatch.
	rd      mmsgBatch
	rdCount int           // headers prepared for this call
	rdN     int           // datagrams the kernel filled
	rdErr   syscall.Errno // fatal error from the callback
	rdEmpty bool          // the last recvmmsg stopped short: see ReadDrained
	rdZones zoneCache
	// Datagrams a driver read from fd itself and handed back (Requeue),
	// returned by the next ReadBatch calls before the socket is read.
	requeued []requeued
	rqNext   int

	// Owned by WriteBatch.
	wr      mmsgBatch
	wrMsg   [maxBatch]int // wr.hdrs[j] carries chunk[wrMsg[j]]
	wrCount int           // headers prepared for this chunk
	wrPos   int           // headers sent or skipped so far
	wrErr   syscall.Errno // fatal error from the callback
	wrZones zoneCache
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
	u := &UDP{fd: -1, local: localAddrPort(conn)}
	u.rd.init()
	u.wr.init()
	var domain, dup int
	supported := false
	cerr := raw.Control(func(fd uintptr) {
		// The real family, not the requested one: a [::] bind falls back
		// to IPv4 on a host without IPv6 (listenUDPConn).
		domain, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		supported = mmsgSupported(fd, &u.rd)
		if err == nil && supported && !forcePortable {
			// Shares the open file: bound, non-blocking, same buffers.
			dup, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
		}
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
	// Closing the net.UDPConn removes its descriptor from the poller
	// (EPOLL_CTL_DEL) and closes it; the duplicate keeps the socket.
	conn.Close()
	u.fd = dup
	return u, nil
}

// acquire marks a call using fd; false once the socket is closed.
func (u *UDP) acquire() bool {
	u.inFlight.Add(1)
	if u.closed.Load() {
		u.release()
		return false
	}
	return true
}

// release ends a call using fd; the last one out after Close closes it.
func (u *UDP) release() {
	if u.inFlight.Add(-1) == 0 && u.closed.Load() {
		u.closeFD()
	}
}

func (u *UDP) closeFD() {
	u.closeOnce.Do(func() {
		if err := unix.Close(u.fd); err != nil {
			u.closeErr = fmt.Errorf("transport: %w", err)
		}
	})
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

// PollFD returns the socket's descriptor, for a caller that polls it for
// readability between reads (netcode.Server.Idle); false with the
// portable fallback or once closed. The descriptor is closed by Close.
func (u *UDP) PollFD() (int, bool) {
	if u.portable != nil || u.closed.Load() {
		return -1, false
	}
	return u.fd, true
}

// requeued is one datagram handed back with Requeue.
type requeued struct {
	buf       [MaxDatagram]byte
	n         int
	name      unix.RawSockaddrInet6
	namelen   uint32
	truncated bool
}

// Requeue hands back a datagram that a driver read from the descriptor
// PollFD returned: capi's C packet path reads the socket itself and
// returns what only the Go server can handle. The next ReadBatch calls
// return requeued datagrams first, in the order given, then read the
// socket. name is the sender's sockaddr as recvmmsg filled it
// (sockaddr_in or sockaddr_in6); data beyond MaxDatagram is cut and
// reported truncated, as is a datagram the kernel cut (truncated). Not
// safe to call concurrently with ReadBatch.
func (u *UDP) Requeue(data, name []byte, truncated bool) {
	if u.rqNext == len(u.requeued) {
		u.requeued, u.rqNext = u.requeued[:0], 0
	}
	if len(u.requeued) < cap(u.requeued) {
		u.requeued = u.requeued[:len(u.requeued)+1]
	} else {
		u.requeued = append(u.requeued, requeued{})
	}
	r := &u.requeued[len(u.requeued)-1]
	r.n = copy(r.buf[:], data)
	r.namelen = uint32(copy(unsafe.Slice((*byte)(unsafe.Pointer(&r.name)), unsafe.Sizeof(r.name)), name))
	r.truncated = truncated || r.n < len(data)
}

// Requeued reports whether datagrams handed back with Requeue are still
// waiting for ReadBatch: until they are read, a driver must not read the
// descriptor itself, or it would take later datagrams before them.
func (u *UDP) Requeued() bool { return u.rqNext < len(u.requeued) }

// readRequeued fills msgs from the requeued datagrams.
func (u *UDP) readRequeued(msgs []Message) int {
	n := 0
	for n < len(msgs) && u.rqNext < len(u.requeued) {
		r := &u.requeued[u.rqNext]
		u.rqNext++
		addr, ok := decodeSockaddr(&r.name, r.namelen, &u.rdZones)
		if !ok {
			u.dropped.Add(1)
			continue
		}
		m := &msgs[n]
		m.N = copy(m.Buf, r.buf[:r.n])
		m.Addr = addr
		m.Truncated = r.truncated || m.N < r.n
		n++
	}
	return n
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
	if u.rqNext < len(u.requeued) {
		if n := u.readRequeued(msgs); n > 0 {
			return n, nil
		}
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
	if !u.acquire() {
		return 0, ErrClosed
	}
	u.read()
	u.release()
	if u.rdErr != 0 {
		return 0, fmt.Errorf("transport: recvmmsg: %w", u.rdErr)
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

// read receives what is queued: no data is a zero count, never a wait.
func (u *UDP) read() {
	for tries := 0; ; tries++ {
		n, errno := recvmmsg(uintptr(u.fd), u.rd.hdrs[:u.rdCount])
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
		return
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
			if err := u.writeAll(); err != nil {
				sent := done + len(chunk)
				if u.wrPos < k {
					sent = done + u.wrMsg[u.wrPos]
				}
				if err == ErrClosed {
					return sent, ErrClosed
				}
				return sent, fmt.Errorf("transport: sendmmsg: %w", err)
			}
		}
		done += len(chunk)
	}
	return len(msgs), nil
}

// writeAll sends the prepared headers, waiting in poll(2) while the send
// buffer is full: the only place this socket ever waits, and a short one.
func (u *UDP) writeAll() error {
	if !u.acquire() {
		return ErrClosed
	}
	defer u.release()
	for !u.write() {
		pfd := []unix.PollFd{{Fd: int32(u.fd), Events: unix.POLLOUT}}
		// A bounded wait, so a Close on another goroutine is seen.
		if _, err := unix.Poll(pfd, 100); err != nil && err != unix.EINTR {
			return err
		}
		if u.closed.Load() {
			return ErrClosed
		}
	}
	if u.wrErr != 0 {
		return u.wrErr
	}
	return nil
}

// write sends from wrPos on; false means the send buffer is full.
func (u *UDP) write() bool {
	for u.wrPos < u.wrCount {
		n, errno := sendmmsg(uintptr(u.fd), u.wr.hdrs[u.wrPos:u.wrCount])
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
	if u.closed.Swap(true) {
		return nil
	}
	if u.inFlight.Load() == 0 {
		u.closeFD()
		return u.closeErr
	}
	// A call in flight on another goroutine closes it as it returns.
	return nil
}
