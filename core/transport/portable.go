package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ringSlots is how many datagrams the portable reader holds ahead of
// ReadBatch. When the ring is full the reader stops reading and lets the
// kernel's (much larger) socket buffer absorb the burst.
const ringSlots = 128

// errReaderStopped is returned by ReadBatch once the reader goroutine died
// of a panic and every datagram it had read was drained.
var errReaderStopped = errors.New("transport: udp reader stopped")

// portableUDP is the UDP transport for systems without recvmmsg/sendmmsg.
//
// The standard library offers no non-blocking read, so one goroutine per
// socket blocks in ReadFromUDPAddrPort, straight into the next free slot of
// a fixed ring; ReadBatch copies filled slots out and never waits. The ring
// is single-producer (the reader) single-consumer (ReadBatch, which the
// contract keeps off concurrent use with itself), so it needs no lock: the
// reader owns the slot at tail until it publishes it by advancing tail, and
// ReadBatch owns the slots in [head, tail). A lock here would also hurt: a
// caller polling ReadBatch in a loop hands the mutex's waiter to its own P
// and starves the reader.
type portableUDP struct {
	conn  *net.UDPConn
	local netip.AddrPort
	read  func([]byte) (int, netip.AddrPort, error) // conn.ReadFromUDPAddrPort; tests replace it

	slots *[ringSlots]ringSlot
	head  atomic.Uint64 // next slot to read; advanced by ReadBatch
	tail  atomic.Uint64 // next slot to fill; advanced by the reader

	waiting atomic.Bool   // the reader found the ring full and waits on space
	space   chan struct{} // ReadBatch -> reader: slots were freed (cap 1)

	stopped atomic.Bool // the reader died; readErr says why
	readErr error       // written before stopped is set

	done   chan struct{} // closed by Close
	exited chan struct{} // closed by the reader on exit

	closed    atomic.Bool
	closeOnce sync.Once

	skipped atomic.Uint64
}

type ringSlot struct {
	n         int
	addr      netip.AddrPort
	truncated bool                  // the datagram was longer than n
	buf       [MaxDatagram + 1]byte // one spare byte detects oversized datagrams
}

// wsaEMsgSize is Windows' WSAEMSGSIZE. A Windows read whose datagram was
// larger than the buffer fills the buffer and fails with it, without the
// sender's address; no other system has an errno this large.
const wsaEMsgSize = syscall.Errno(10040)

var _ Transport = (*portableUDP)(nil)

// listenPortable binds a socket and wraps it in the portable implementation.
// It exists on every platform so the Linux tests exercise it too.
func listenPortable(addr netip.AddrPort, opts UDPOptions) (*portableUDP, error) {
	conn, err := listenUDPConn(addr, opts)
	if err != nil {
		return nil, err
	}
	return newPortable(conn), nil
}

// newPortable takes ownership of conn and starts its reader goroutine.
func newPortable(conn *net.UDPConn) *portableUDP {
	return startPortable(conn, conn.ReadFromUDPAddrPort)
}

// startPortable is newPortable with the blocking read supplied, so tests
// can make it misbehave.
func startPortable(conn *net.UDPConn, read func([]byte) (int, netip.AddrPort, error)) *portableUDP {
	p := &portableUDP{
		conn:   conn,
		local:  localAddrPort(conn),
		read:   read,
		slots:  new([ringSlots]ringSlot),
		space:  make(chan struct{}, 1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go p.readLoop()
	return p
}

func (p *portableUDP) LocalAddr() netip.AddrPort { return p.local }

func (p *portableUDP) Stats() UDPStats {
	return UDPStats{SendSkipped: p.skipped.Load()} // it drops nothing it reads
}

// readLoop fills the ring until Close. It must never take the process down:
// a panic stops the reader and surfaces through ReadBatch.
func (p *portableUDP) readLoop() {
	defer close(p.exited)
	defer func() {
		if r := recover(); r != nil {
			p.readErr = fmt.Errorf("%w: panic: %v", errReaderStopped, r)
			p.stopped.Store(true)
		}
	}()
	failures := 0
	for {
		tail := p.tail.Load()
		if tail-p.head.Load() == ringSlots && !p.waitForSpace(tail) {
			return
		}
		s := &p.slots[tail%ringSlots]
		n, addr, err := p.read(s.buf[:])
		truncated := false
		switch {
		case err == nil:
		case p.closed.Load() || errors.Is(err, net.ErrClosed):
			return
		case errors.Is(err, wsaEMsgSize):
			// An oversized datagram, not a failure: it goes to the caller
			// flagged, so that it is counted.
			n, addr, truncated = len(s.buf), netip.AddrPort{}, true
		default:
			// Transient: Windows, for one, reports an ICMP port unreachable
			// from an earlier send as a read error. Back off if it persists
			// so a broken socket cannot spin a core.
			failures++
			if failures > 8 && !p.sleep(10*time.Millisecond) {
				return
			}
			continue
		}
		failures = 0
		// Other systems cut a longer datagram to the buffer without an
		// error; the spare byte past MaxDatagram shows it.
		if n > MaxDatagram {
			n, truncated = MaxDatagram, true
		}
		s.n = n
		s.truncated = truncated
		s.addr = unmapAddrPort(addr)
		p.tail.Store(tail + 1) // publishes the slot
	}
}

// waitForSpace blocks while the ring is full, leaving further datagrams in
// the kernel's buffer. It reports false when Close came first. Setting
// waiting before re-checking head pairs with ReadBatch advancing head before
// checking waiting, so a wakeup cannot be lost.
func (p *portableUDP) waitForSpace(tail uint64) bool {
	for {
		p.waiting.Store(true)
		if tail-p.head.Load() < ringSlots {
			p.waiting.Store(false)
			return true
		}
		select {
		case <-p.space:
		case <-p.done:
			return false
		}
	}
}

// sleep waits d unless Close comes first; it reports whether to go on.
func (p *portableUDP) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.done:
		return false
	}
}

func (p *portableUDP) ReadBatch(msgs []Message) (int, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	head, tail := p.head.Load(), p.tail.Load()
	if head == tail {
		if p.stopped.Load() && p.tail.Load() == head {
			return 0, p.readErr
		}
		return 0, nil
	}
	n := 0
	for n < len(msgs) && head != tail {
		s := &p.slots[head%ringSlots]
		head++
		m := &msgs[n]
		m.N = copy(m.Buf, s.buf[:s.n])
		m.Addr = s.addr
		m.Truncated = s.truncated || m.N < s.n
		n++
	}
	p.head.Store(head) // hands the slots back to the reader
	if p.waiting.Load() {
		select {
		case p.space <- struct{}{}:
		default:
		}
	}
	return n, nil
}

func (p *portableUDP) WriteBatch(msgs []Message) (int, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	for i := range msgs {
		m := &msgs[i]
		if !validWrite(m) {
			p.skipped.Add(1)
			continue
		}
		// Unmapped so an IPv4 socket accepts it; Go maps it back for an
		// IPv6 socket.
		if _, err := p.conn.WriteToUDPAddrPort(m.Buf[:m.N], unmapAddrPort(m.Addr)); err != nil {
			if p.closed.Load() || errors.Is(err, net.ErrClosed) {
				return i, ErrClosed
			}
			p.skipped.Add(1) // unreachable, wrong family, too big: skip this peer only
		}
	}
	return len(msgs), nil
}

// Close stops the reader and waits for it, so no goroutine outlives the
// transport. Only the first call does anything; later calls return nil.
func (p *portableUDP) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		close(p.done)
		if cerr := p.conn.Close(); cerr != nil {
			err = fmt.Errorf("transport: %w", cerr)
		}
		<-p.exited
	})
	return err
}
