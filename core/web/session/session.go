package session

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

type closeReason int32

const (
	closeNone closeReason = iota
	closeIdle
	closeSlow
	closePeer
	closeServer
	closeAbort // the upgrade failed: counted as RefusedHandshake
)

// ErrTooLarge is what a Sender returns for a message the path cannot carry
// now (a WebTransport datagram over the QUIC packet size): that message is
// dropped and counted, the session goes on.
var ErrTooLarge = errors.New("session: message too large for the path")

// Sender writes one message to the peer; it may block (the watchdog closes
// the session if it blocks for WriteTimeout) and must return once ctx is
// done or the closer given to Start was called.
type Sender func(ctx context.Context, b []byte) error

// Session is one peer of a Hub. Its methods are safe from any goroutine.
type Session struct {
	h      *Hub
	addr   netip.AddrPort
	ctx    context.Context
	cancel context.CancelFunc

	started    atomic.Bool
	lastRecv   atomic.Int64 // unix ns
	writeStart atomic.Int64 // unix ns while a write is in progress, else 0
	reason     atomic.Int32 // the first close reason decided
	queued     int          // messages in the Hub's receive ring; guarded by Hub.rxMu
	closeOnce  sync.Once
	closer     func()

	mu     sync.Mutex // guards the send ring and closed
	closed bool
	q      [][]byte // SendQueue slots; buffers allocated on first use and kept
	qn     []int
	head   int
	n      int
	wake   chan struct{}
}

func newSession(h *Hub, addr netip.AddrPort) *Session {
	ctx, cancel := context.WithCancel(context.Background())
	return &Session{
		h: h, addr: addr, ctx: ctx, cancel: cancel,
		q:    make([][]byte, h.lim.SendQueue),
		qn:   make([]int, h.lim.SendQueue),
		wake: make(chan struct{}, 1),
	}
}

// Addr is the session's address: what ReadBatch reports and WriteBatch
// takes.
func (s *Session) Addr() netip.AddrPort { return s.addr }

// Context is done once the session is closed.
func (s *Session) Context() context.Context { return s.ctx }

// Start marks the handshake complete and starts the writer goroutine.
// closer, called once when the session closes for any reason, must
// unblock send and the listener's reader (close the connection).
func (s *Session) Start(send Sender, closer func()) {
	h := s.h
	h.mu.Lock()
	s.mu.Lock()
	if h.closed || s.closed {
		s.mu.Unlock()
		h.mu.Unlock()
		closer()
		return
	}
	s.closer = closer
	s.lastRecv.Store(time.Now().UnixNano())
	s.started.Store(true)
	h.wg.Add(1) // under h.mu: Close sets closed there before it waits
	s.mu.Unlock()
	h.mu.Unlock()
	h.c.accepted.Add(1)
	go s.writeLoop(send)
}

// Abort gives the reservation back after a failed upgrade.
func (s *Session) Abort() { s.close(closeAbort) }

// Close ends the session; the listener calls it when its reader stops (the
// peer closed, or the connection broke). A reason the watchdog decided
// first (idle, slow) is the one counted.
func (s *Session) Close() { s.close(closePeer) }

// Receive passes one message from the peer on to ReadBatch.
func (s *Session) Receive(b []byte) {
	s.lastRecv.Store(time.Now().UnixNano())
	s.h.deliver(s, b)
}

// DropText counts a WebSocket text message: netcode is binary only. It
// does not count as activity.
func (s *Session) DropText() { s.h.c.recvText.Add(1) }

// DropOversized counts a message the listener discarded unread for its
// size.
func (s *Session) DropOversized() { s.h.c.recvOversized.Add(1) }

func (s *Session) close(r closeReason) {
	s.closeOnce.Do(func() {
		s.reason.CompareAndSwap(int32(closeNone), int32(r))
		c := &s.h.c
		switch closeReason(s.reason.Load()) {
		case closeIdle:
			c.closedIdle.Add(1)
		case closeSlow:
			c.closedSlow.Add(1)
		case closePeer:
			c.closedPeer.Add(1)
		case closeServer:
			c.closedServer.Add(1)
		case closeAbort:
			c.refusedHandshake.Add(1)
		}
		s.mu.Lock()
		s.closed = true
		lost := s.n
		s.n = 0
		closer := s.closer
		s.mu.Unlock()
		c.sendFailed.Add(uint64(lost))
		s.cancel()
		s.h.remove(s)
		if closer != nil {
			closer()
		}
	})
}

// enqueue copies b into the send ring. Called from WriteBatch.
func (s *Session) enqueue(b []byte) {
	c := &s.h.c
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		c.sendFailed.Add(1)
		return
	case s.n == len(s.q):
		s.mu.Unlock()
		c.sendQueueFull.Add(1)
		return
	}
	i := (s.head + s.n) % len(s.q)
	if s.q[i] == nil {
		s.q[i] = make([]byte, s.h.lim.MaxMessage)
	}
	s.qn[i] = copy(s.q[i], b)
	s.n++
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // already woken
	}
}

// busy reports whether s has queued packets or a write in progress.
func (s *Session) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.started.Load() && (s.n > 0 || s.writeStart.Load() != 0)
}

// pop copies the oldest queued message into buf.
func (s *Session) pop(buf []byte) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 || s.closed {
		return 0, false
	}
	n := copy(buf, s.q[s.head][:s.qn[s.head]])
	s.head = (s.head + 1) % len(s.q)
	s.n--
	return n, true
}

func (s *Session) writeLoop(send Sender) {
	defer s.h.wg.Done()
	c := &s.h.c
	buf := make([]byte, s.h.lim.MaxMessage)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		}
		for {
			n, ok := s.pop(buf)
			if !ok {
				break
			}
			s.writeStart.Store(time.Now().UnixNano())
			err := send(s.ctx, buf[:n])
			s.writeStart.Store(0)
			switch {
			case err == nil:
				c.sent.Add(1)
			case errors.Is(err, ErrTooLarge):
				c.sendOversized.Add(1)
			default:
				c.sendFailed.Add(1)
				s.close(closePeer)
				return
			}
		}
	}
}
