// Package session turns many message-oriented browser sessions (WebSocket
// connections, WebTransport sessions) into one transport.Transport.
//
// Each session is one peer with an address of its own. Session goroutines
// push what they receive into one bounded queue that ReadBatch empties
// without blocking; WriteBatch copies each packet into its session's
// bounded send queue, which the session's writer goroutine drains. The game
// thread never waits on a browser: a full queue drops and counts.
//
// These goroutines touch only the Hub's queues, never a netcode server,
// so protocol time stays host-driven (ARCHITECTURE.md, "The host owns
// time").
package session

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// DefaultMaxMessage is netcode's largest packet: a 1200-byte payload with
// its prefix byte, an 8-byte sequence and the 16-byte tag.
const DefaultMaxMessage = 1 + 8 + 1200 + 16

// Limits bound what browsers can make a Hub hold. The zero value gives
// the defaults.
type Limits struct {
	// MaxSessions open at once; default 1024. More are refused.
	MaxSessions int
	// MaxPerIP sessions from one IP address; default 16.
	MaxPerIP int
	// MaxMessage is the largest message passed on, both ways; default
	// DefaultMaxMessage. Larger ones are dropped and counted.
	MaxMessage int
	// RecvQueue bounds the messages waiting for ReadBatch, all sessions
	// together; default 4096. More are dropped and counted.
	RecvQueue int
	// SessionRecvQueue bounds one session's share of RecvQueue, so that
	// one flooding session cannot crowd the others out; default 256.
	SessionRecvQueue int
	// SendQueue bounds the messages waiting for one session's writer;
	// default 64. More are dropped and counted.
	SendQueue int
	// IdleTimeout closes a session that sent nothing this long, counted
	// as ClosedIdle; default 10 s. netcode clients send a keep-alive
	// every 0.1 s, so only a dead or hostile peer is this quiet.
	IdleTimeout time.Duration
	// WriteTimeout closes a session whose one write took this long (a
	// reader that stopped reading), counted as ClosedSlow; default 5 s.
	WriteTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxSessions, 1024)
	def(&l.MaxPerIP, 16)
	def(&l.MaxMessage, DefaultMaxMessage)
	def(&l.RecvQueue, 4096)
	def(&l.SendQueue, 64)
	def(&l.SessionRecvQueue, 256)
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 10 * time.Second
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 5 * time.Second
	}
	return l
}

// closeFlushTime bounds how long Close waits for queued packets.
const closeFlushTime = 200 * time.Millisecond

// Refusals of Admit, to be answered with an HTTP status before upgrading.
var (
	ErrFull   = errors.New("session: too many sessions")
	ErrPerIP  = errors.New("session: too many sessions from this address")
	ErrClosed = transport.ErrClosed
)

// Stats counts sessions and dropped messages. Every refusal, close and
// drop has a reason.
type Stats struct {
	Active   uint64 // sessions open now
	Accepted uint64 // sessions that completed their handshake

	RefusedFull      uint64 // MaxSessions reached
	RefusedPerIP     uint64 // MaxPerIP reached
	RefusedOrigin    uint64 // Origin not allowed
	RefusedHandshake uint64 // the upgrade failed (bad request, TLS, timeout)

	ClosedIdle   uint64 // silent for IdleTimeout
	ClosedSlow   uint64 // a write blocked for WriteTimeout
	ClosedPeer   uint64 // closed or broken by the peer
	ClosedServer uint64 // closed by the transport (Close)

	Received      uint64 // messages queued for ReadBatch
	RecvOversized uint64 // over MaxMessage
	RecvText      uint64 // WebSocket text messages: not netcode
	RecvQueueFull uint64 // RecvQueue, or the session's share of it, full

	Sent          uint64 // messages written to a session
	SendNoSession uint64 // to an address with no open session
	SendOversized uint64 // over MaxMessage, or over what the path carries
	SendQueueFull uint64 // the session's SendQueue full
	SendFailed    uint64 // lost with a failing or closing session
}

// DroppedRecv is every received message not passed on.
func (s Stats) DroppedRecv() uint64 { return s.RecvOversized + s.RecvText + s.RecvQueueFull }

// DroppedSend is every message WriteBatch took but did not deliver.
func (s Stats) DroppedSend() uint64 {
	return s.SendNoSession + s.SendOversized + s.SendQueueFull + s.SendFailed
}

type counters struct {
	accepted, refusedFull, refusedPerIP, refusedOrigin, refusedHandshake atomic.Uint64
	closedIdle, closedSlow, closedPeer, closedServer                     atomic.Uint64
	received, recvOversized, recvText, recvQueueFull                     atomic.Uint64
	sent, sendNoSession, sendOversized, sendQueueFull, sendFailed        atomic.Uint64
}

type rxSlot struct {
	buf  []byte // MaxMessage bytes, allocated on first use and kept
	n    int
	from *Session
}

// Hub is the Transport of a set of sessions. ReadBatch and WriteBatch
// follow transport.Transport's contract (one goroutine at a time, never
// blocking); Admit, the Session methods, Stats and Close are safe from
// any goroutine.
type Hub struct {
	local netip.AddrPort
	lim   Limits
	c     counters

	mu       sync.Mutex // guards the session table
	closed   bool
	closedA  atomic.Bool // closed, for ReadBatch without mu
	sessions map[netip.AddrPort]*Session
	perIP    map[netip.Addr]int
	nextPort uint16

	rxMu    sync.Mutex // guards the receive ring
	rx      []rxSlot
	rxHead  int
	rxLen   int
	drained bool // ReadBatch emptied the ring; read by the ReadBatch goroutine only

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

var (
	_ transport.Transport   = (*Hub)(nil)
	_ transport.ReadDrainer = (*Hub)(nil)
)

// NewHub makes a Hub whose LocalAddr is local. It starts the watchdog
// that closes idle and slow sessions; Close stops it.
func NewHub(local netip.AddrPort, lim Limits) *Hub {
	lim = lim.withDefaults()
	h := &Hub{
		local:    local,
		lim:      lim,
		sessions: make(map[netip.AddrPort]*Session),
		perIP:    make(map[netip.Addr]int),
		nextPort: 1,
		rx:       make([]rxSlot, lim.RecvQueue),
		stop:     make(chan struct{}),
	}
	h.wg.Add(1)
	go h.watch()
	return h
}

// Limits returns the limits in force, defaults filled in.
func (h *Hub) Limits() Limits { return h.lim }

// CountRefusedOrigin and CountRefusedHandshake record refusals the
// listener makes before a session exists.
func (h *Hub) CountRefusedOrigin()    { h.c.refusedOrigin.Add(1) }
func (h *Hub) CountRefusedHandshake() { h.c.refusedHandshake.Add(1) }

// Admit reserves a session for a peer at remote: it checks MaxSessions
// and MaxPerIP and gives the session its address, the peer's IP with a
// port the Hub numbers. Sessions sharing a connection, or a NAT, so never
// share an address, and a number comes back only after the other 65534
// were used. The caller then completes the upgrade and calls Start, or
// Abort if it fails.
func (h *Hub) Admit(remote netip.AddrPort) (*Session, error) {
	ip := remote.Addr().Unmap()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, ErrClosed
	case len(h.sessions) >= h.lim.MaxSessions:
		h.c.refusedFull.Add(1)
		return nil, ErrFull
	case h.perIP[ip] >= h.lim.MaxPerIP:
		h.c.refusedPerIP.Add(1)
		return nil, ErrPerIP
	}
	var addr netip.AddrPort
	for {
		addr = netip.AddrPortFrom(ip, h.nextPort)
		h.nextPort++
		if h.nextPort == 0 {
			h.nextPort = 1
		}
		if h.sessions[addr] == nil {
			break // MaxPerIP < 65535 sessions, so a free port exists
		}
	}
	s := newSession(h, addr)
	h.sessions[addr] = s
	h.perIP[ip]++
	return s, nil
}

// remove unregisters s; called once, by s.Close.
func (h *Hub) remove(s *Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sessions[s.addr] != s {
		return
	}
	delete(h.sessions, s.addr)
	ip := s.addr.Addr()
	if h.perIP[ip]--; h.perIP[ip] <= 0 {
		delete(h.perIP, ip)
	}
}

// deliver queues one received message from s.
func (h *Hub) deliver(from *Session, b []byte) {
	if len(b) > h.lim.MaxMessage {
		h.c.recvOversized.Add(1)
		return
	}
	h.rxMu.Lock()
	if h.rxLen == len(h.rx) || from.queued >= h.lim.SessionRecvQueue {
		h.rxMu.Unlock()
		h.c.recvQueueFull.Add(1)
		return
	}
	sl := &h.rx[(h.rxHead+h.rxLen)%len(h.rx)]
	if sl.buf == nil {
		sl.buf = make([]byte, h.lim.MaxMessage)
	}
	sl.n = copy(sl.buf, b)
	sl.from = from
	from.queued++
	h.rxLen++
	h.rxMu.Unlock()
	h.c.received.Add(1)
}

// ReadBatch returns the messages sessions received, oldest first.
func (h *Hub) ReadBatch(msgs []transport.Message) (int, error) {
	if h.closedA.Load() {
		return 0, ErrClosed
	}
	h.rxMu.Lock()
	defer h.rxMu.Unlock()
	n := 0
	for ; n < len(msgs) && h.rxLen > 0; n++ {
		sl := &h.rx[h.rxHead]
		m := &msgs[n]
		m.N = copy(m.Buf, sl.buf[:sl.n])
		m.Truncated = m.N < sl.n
		m.Addr = sl.from.addr
		sl.from.queued--
		sl.from = nil // a closed session is not kept alive by the ring
		h.rxHead = (h.rxHead + 1) % len(h.rx)
		h.rxLen--
	}
	h.drained = h.rxLen == 0
	return n, nil
}

// ReadDrained reports whether the last ReadBatch emptied the queue.
func (h *Hub) ReadDrained() bool { return h.drained }

// WriteBatch hands each message to its session's send queue. Messages to
// a closed or unknown session are dropped quietly and counted (as UDP
// would lose them); all count as written.
func (h *Hub) WriteBatch(msgs []transport.Message) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, ErrClosed
	}
	for i := range msgs {
		m := &msgs[i]
		if m.N < 0 || m.N > len(m.Buf) || m.N > h.lim.MaxMessage {
			h.c.sendOversized.Add(1)
			continue
		}
		s := h.sessions[m.Addr]
		if s == nil {
			h.c.sendNoSession.Add(1)
			continue
		}
		s.enqueue(m.Buf[:m.N])
	}
	return len(msgs), nil
}

// LocalAddr is the listener's address.
func (h *Hub) LocalAddr() netip.AddrPort { return h.local }

// Close closes every session and stops the watchdog. The listener that
// owns the Hub stops accepting first. Only the first call does anything.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.closedA.Store(true)
	open := make([]*Session, 0, len(h.sessions))
	for _, s := range h.sessions {
		open = append(open, s)
	}
	h.mu.Unlock()
	// The server's last packets (its disconnects, at Stop) are queued
	// now: give the writers a moment to send them, so that clients learn
	// of the stop instead of timing out.
	for end := time.Now().Add(closeFlushTime); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		busy := false
		for _, s := range open {
			busy = busy || s.busy()
		}
		if !busy {
			break
		}
	}
	for _, s := range open {
		s.close(closeServer)
	}
	h.stopOnce.Do(func() { close(h.stop) })
	h.wg.Wait()
	return nil
}

// NumSessions is the number of sessions admitted and not yet closed.
func (h *Hub) NumSessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// Stats returns the counters.
func (h *Hub) Stats() Stats {
	c := &h.c
	return Stats{
		Active:           uint64(h.NumSessions()),
		Accepted:         c.accepted.Load(),
		RefusedFull:      c.refusedFull.Load(),
		RefusedPerIP:     c.refusedPerIP.Load(),
		RefusedOrigin:    c.refusedOrigin.Load(),
		RefusedHandshake: c.refusedHandshake.Load(),
		ClosedIdle:       c.closedIdle.Load(),
		ClosedSlow:       c.closedSlow.Load(),
		ClosedPeer:       c.closedPeer.Load(),
		ClosedServer:     c.closedServer.Load(),
		Received:         c.received.Load(),
		RecvOversized:    c.recvOversized.Load(),
		RecvText:         c.recvText.Load(),
		RecvQueueFull:    c.recvQueueFull.Load(),
		Sent:             c.sent.Load(),
		SendNoSession:    c.sendNoSession.Load(),
		SendOversized:    c.sendOversized.Load(),
		SendQueueFull:    c.sendQueueFull.Load(),
		SendFailed:       c.sendFailed.Load(),
	}
}

// watch closes sessions that are idle or stuck in a write. One ticker for
// all sessions instead of a timer per message keeps the packet path free
// of timer allocations.
func (h *Hub) watch() {
	defer h.wg.Done()
	period := min(h.lim.IdleTimeout, h.lim.WriteTimeout) / 4
	period = max(period, 10*time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	var due []*Session
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		due = due[:0]
		h.mu.Lock()
		for _, s := range h.sessions {
			if !s.started.Load() {
				continue // the listener's handshake timeout covers it
			}
			if ws := s.writeStart.Load(); ws != 0 && now-ws > int64(h.lim.WriteTimeout) {
				s.reason.CompareAndSwap(0, int32(closeSlow))
				due = append(due, s)
			} else if now-s.lastRecv.Load() > int64(h.lim.IdleTimeout) {
				s.reason.CompareAndSwap(0, int32(closeIdle))
				due = append(due, s)
			}
		}
		h.mu.Unlock()
		for _, s := range due {
			s.close(closeReason(s.reason.Load()))
		}
	}
}
