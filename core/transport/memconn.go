package transport

import "net/netip"

// MemConn is one endpoint of a MemNetwork. It implements Transport and, as
// everything on a MemNetwork, is safe for concurrent use.
type MemConn struct {
	nw     *MemNetwork
	local  netip.AddrPort
	queue  memQueue // guarded by nw.mu
	closed bool     // guarded by nw.mu
}

var _ Transport = (*MemConn)(nil)

// LocalAddr returns the endpoint's address; it keeps working after Close.
func (c *MemConn) LocalAddr() netip.AddrPort { return c.local }

// Pending returns how many datagrams wait to be read.
func (c *MemConn) Pending() int {
	c.nw.mu.Lock()
	defer c.nw.mu.Unlock()
	return c.queue.len()
}

// ReadBatch implements Transport. A datagram larger than its Message's Buf
// is delivered cut to it, flagged Truncated, and counted as Truncated.
func (c *MemConn) ReadBatch(msgs []Message) (int, error) {
	nw := c.nw
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	n := 0
	for n < len(msgs) && c.queue.len() > 0 {
		p := c.queue.pop()
		m := &msgs[n]
		m.N = copy(m.Buf, p.buf[:p.n])
		m.Addr = p.from
		m.Truncated = m.N < p.n
		if m.Truncated {
			nw.stats.Truncated++
		}
		n++
		nw.putBuf(p.buf)
	}
	return n, nil
}

// WriteBatch implements Transport. Every datagram counts as written, even
// one the filter dropped or nobody was listening for.
func (c *MemConn) WriteBatch(msgs []Message) (int, error) {
	nw := c.nw
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	for i := range msgs {
		nw.send(c.local, &msgs[i])
	}
	return len(msgs), nil
}

// Close frees the address and drops anything queued. Later calls return nil.
func (c *MemConn) Close() error {
	nw := c.nw
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if nw.conns[c.local] == c {
		delete(nw.conns, c.local)
	}
	for c.queue.len() > 0 {
		nw.putBuf(c.queue.pop().buf)
	}
	c.queue = memQueue{}
	return nil
}

type memPacket struct {
	buf  []byte
	n    int
	from netip.AddrPort
}

// memQueue is a FIFO ring that grows by doubling, so once it has reached a
// connection's peak depth it stops allocating.
type memQueue struct {
	items []memPacket
	head  int
	count int
}

func (q *memQueue) len() int { return q.count }

func (q *memQueue) push(p memPacket) {
	if q.count == len(q.items) {
		grown := make([]memPacket, max(16, 2*len(q.items)))
		for i := range q.count {
			grown[i] = q.items[(q.head+i)%len(q.items)]
		}
		q.items, q.head = grown, 0
	}
	q.items[(q.head+q.count)%len(q.items)] = p
	q.count++
}

func (q *memQueue) pop() memPacket {
	p := q.items[q.head]
	q.items[q.head] = memPacket{} // drop the buffer reference
	q.head = (q.head + 1) % len(q.items)
	q.count--
	return p
}
