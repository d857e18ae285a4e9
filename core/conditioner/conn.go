package conditioner

import (
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// batch is how many datagrams a Conn moves per call to the inner
// transport: enough to amortise the call, small enough that the receive
// scratch (batch pooled buffers) stays under 64 KiB.
const batch = 32

// Stats counts what a Conn did in each direction.
type Stats struct {
	Send LinkStats // WriteBatch: host to network
	Recv LinkStats // ReadBatch: network to host
}

// Conn is a transport.Transport that conditions the traffic of the one it
// wraps. It keeps the Transport contract: ReadBatch and WriteBatch never
// block and allocate nothing in steady state, and Close may be called from
// any goroutine. One mutex serialises every method, because ReadBatch also
// flushes the send line that WriteBatch fills.
type Conn struct {
	inner transport.Transport
	now   func() time.Duration

	mu     sync.Mutex
	send   *Link               // nil: pass through
	recv   *Link               // nil: pass through
	out    []transport.Message // send flush scratch; Bufs borrowed from send
	in     []transport.Message // receive scratch; Bufs owned, from recv's pool
	sendPT LinkStats           // counters of a pass-through send side
	recvPT LinkStats           // counters of a pass-through receive side
	closed bool
}

var _ transport.Transport = (*Conn)(nil)

// Wrap returns a Transport that conditions what passes through tr: send
// applies to WriteBatch, recv to ReadBatch. A nil Config, or one that
// neither delays, drops, duplicates nor reorders, passes that direction
// through unchanged and without copying, though its Stats still count.
// now reports the host's current time, for example the accumulated dt of
// its Update calls; it must never run backwards or call into the Conn.
//
// A datagram's delay starts when the Conn sees it: at the WriteBatch that
// sends it, or at the ReadBatch that reads it from tr. So a host that
// polls every 16 ms adds up to 16 ms of its own to each received datagram,
// as it would on a real network.
func Wrap(tr transport.Transport, send, recv *Config, now func() time.Duration) (*Conn, error) {
	if tr == nil {
		return nil, fmt.Errorf("%w: nil transport", ErrInvalidConfig)
	}
	if now == nil {
		return nil, fmt.Errorf("%w: nil clock", ErrInvalidConfig)
	}
	c := &Conn{inner: tr, now: now}
	var err error
	if c.send, err = line(send, "send ", streamSend); err != nil {
		return nil, err
	}
	if c.recv, err = line(recv, "recv ", streamRecv); err != nil {
		return nil, err
	}
	if c.send != nil {
		c.out = make([]transport.Message, batch)
	}
	return c, nil
}

// line builds one direction's Link, or nil for pass-through.
func line(cfg *Config, dir string, stream uint64) (*Link, error) {
	if cfg == nil {
		return nil, nil
	}
	if err := cfg.validate(dir); err != nil {
		return nil, err
	}
	if cfg.passThrough() {
		return nil, nil
	}
	return newLink(*cfg, stream), nil
}

// WriteBatch offers every datagram to the send line, then writes those due
// to the inner transport in release order. It returns len(msgs): the line
// takes them all, as UDP would. An error is the inner transport's, while
// writing; the datagrams it failed to take are lost.
func (c *Conn) WriteBatch(msgs []transport.Message) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, transport.ErrClosed
	}
	if c.send == nil {
		n, err := c.inner.WriteBatch(msgs)
		c.sendPT.In += uint64(len(msgs))
		c.sendPT.Delivered += uint64(n)
		return n, err
	}
	now := c.now()
	for i := range msgs {
		m := &msgs[i]
		if m.N < 0 || m.N > len(m.Buf) {
			c.send.stats.In++
			c.send.stats.Invalid++
			continue
		}
		c.send.Push(now, m.Buf[:m.N], m.Addr)
	}
	return len(msgs), c.flush(now)
}

// flush writes the send line's due datagrams straight from its buffers.
// Called with mu held.
func (c *Conn) flush(now time.Duration) error {
	if c.send == nil {
		return nil
	}
	for c.send.due(now) {
		k := 0
		for k < len(c.out) && c.send.due(now) {
			p := c.send.take()
			c.out[k] = transport.Message{Buf: p.buf, N: p.n, Addr: p.addr}
			k++
		}
		_, err := c.inner.WriteBatch(c.out[:k])
		for i := range c.out[:k] {
			c.send.putBuf(c.out[i].Buf)
			c.out[i] = transport.Message{}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ReadBatch first writes the sends now due, so that a host which only
// reads still sends; then reads everything the inner transport has into
// the receive line; then fills msgs with the received datagrams now due,
// in release order. It never blocks. An error is the inner transport's,
// returned as is; what is due then waits for the next call.
func (c *Conn) ReadBatch(msgs []transport.Message) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, transport.ErrClosed
	}
	if c.send == nil && c.recv == nil {
		n, err := c.inner.ReadBatch(msgs)
		c.recvPT.In += uint64(n)
		c.recvPT.Delivered += uint64(n)
		return n, err
	}
	now := c.now()
	if err := c.flush(now); err != nil {
		return 0, err
	}
	if c.recv == nil {
		n, err := c.inner.ReadBatch(msgs)
		c.recvPT.In += uint64(n)
		c.recvPT.Delivered += uint64(n)
		return n, err
	}
	if err := c.fill(now); err != nil {
		return 0, err
	}
	return c.recv.Read(now, msgs), nil
}

// fill reads from the inner transport into the receive line, into pooled
// buffers that the line then owns. It stops once the inner transport runs
// dry (a read of 0: a short batch does not say so) or after Limit
// datagrams: under a flood the line is full anyway, and the bound keeps
// one call from reading forever. Called with mu held.
func (c *Conn) fill(now time.Duration) error {
	if c.in == nil {
		c.in = make([]transport.Message, batch)
		for i := range c.in {
			c.in[i].Buf = c.recv.getBuf(transport.MaxDatagram)
		}
	}
	for read := 0; read < c.recv.cfg.Limit; {
		n, err := c.inner.ReadBatch(c.in)
		for i := range c.in[:n] {
			m := &c.in[i]
			c.recv.pushOwned(now, datagram{buf: m.Buf, n: m.N, addr: m.Addr, truncated: m.Truncated})
			m.Buf = c.recv.getBuf(transport.MaxDatagram)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		read += n
	}
	return nil
}

// Drain writes everything the send line holds at once, without waiting
// for its delays: what a host does just before it closes the socket, when
// no later call would release them. Loss and duplication were decided as
// each datagram entered the line and still apply.
func (c *Conn) Drain() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return transport.ErrClosed
	}
	return c.flush(math.MaxInt64)
}

// LocalAddr returns the inner transport's address.
func (c *Conn) LocalAddr() netip.AddrPort { return c.inner.LocalAddr() }

// Close closes the inner transport and drops what the lines hold; delayed
// datagrams are never sent, as a closed socket's queue is lost. Only the
// first call does anything and reports the inner transport's error; later
// calls return nil.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	for _, l := range []*Link{c.send, c.recv} {
		if l != nil {
			l.Reset()
		}
	}
	c.out, c.in = nil, nil
	c.mu.Unlock()
	return c.inner.Close()
}

// Stats returns the counters of both directions.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{Send: c.sendPT, Recv: c.recvPT}
	if c.send != nil {
		s.Send = c.send.Stats()
	}
	if c.recv != nil {
		s.Recv = c.recv.Stats()
	}
	return s
}

// Next reports the earliest release time in either line; ok is false if
// both are empty. A host may use it to know when to poll again.
func (c *Conn) Next() (at time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range []*Link{c.send, c.recv} {
		if l == nil {
			continue
		}
		if t, has := l.Next(); has && (!ok || t < at) {
			at, ok = t, true
		}
	}
	return at, ok
}
