package conditioner

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// maxPayload is the largest IPv4 UDP datagram. A larger one could never be
// sent, so the line refuses it rather than copying it.
const maxPayload = 65507

// Generator streams. Each line draws from PCG(Seed, stream), so a Conn
// whose send and receive Configs share a Seed still loses and delays
// different packets in each direction.
const (
	streamLink uint64 = 0x6c696e6b // "link": NewLink
	streamSend uint64 = 0x73656e64 // "send": Wrap's send line
	streamRecv uint64 = 0x72656376 // "recv": Wrap's receive line
)

// LinkStats counts what one direction did. Every datagram offered, and
// every copy, is accounted for: In + Duplicated = Delivered + Lost +
// Overflowed + Invalid + Held (until Close drops what is held).
type LinkStats struct {
	In         uint64 // datagrams offered to the line
	Delivered  uint64 // datagrams handed on, copies included
	Lost       uint64 // dropped by Loss or Burst
	Duplicated uint64 // extra copies made by Duplicate
	Reordered  uint64 // held back by ReorderDelay
	Overflowed uint64 // dropped because the line held Limit datagrams
	Invalid    uint64 // N outside Buf or over 65507 bytes when offered
	Held       int    // datagrams in the line now
}

// Link is one direction's delay line: a min-heap of datagrams by release
// time, ties in arrival order. Buffers come from the Link's own pool, so
// once the line has reached its peak depth it allocates nothing. A Link is
// unsafe for concurrent use.
type Link struct {
	cfg   Config // withDefaults applied
	rng   *rand.Rand
	line  delayLine
	seq   uint64
	free  [][]byte // pooled MaxDatagram buffers
	bad   bool     // the Burst chain is in its Bad state
	stats LinkStats
}

// NewLink returns an empty line conditioning by cfg.
func NewLink(cfg Config) (*Link, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newLink(cfg, streamLink), nil
}

func newLink(cfg Config, stream uint64) *Link {
	return &Link{cfg: cfg.withDefaults(), rng: rand.New(rand.NewPCG(cfg.Seed, stream))}
}

// Push offers b, bound for or coming from addr, to the line at time now.
// The line copies what it keeps; b is free again when Push returns.
func (l *Link) Push(now time.Duration, b []byte, addr netip.AddrPort) {
	l.stats.In++
	if len(b) > maxPayload {
		l.stats.Invalid++
		return
	}
	if l.lose() {
		return
	}
	buf := l.getBuf(len(b))
	copy(buf, b)
	l.admit(now, datagram{buf: buf, n: len(b), addr: addr})
}

// pushOwned is Push for a datagram in a buffer from getBuf, which the line
// takes over: the receive path reads straight into pooled buffers and so
// copies only duplicates. A truncated datagram keeps its flag, so that the
// reader still sees it for what it is.
func (l *Link) pushOwned(now time.Duration, p datagram) {
	l.stats.In++
	if l.lose() {
		l.putBuf(p.buf)
		return
	}
	l.admit(now, p)
}

// lose steps the Burst chain, then rolls for Loss if the chain kept the
// packet. A probability of 0 or 1 costs no draw, so GilbertElliott with
// LossGood 0 and LossBad 1 draws exactly as Gilbert does.
func (l *Link) lose() bool {
	lost := l.cfg.Burst.Model != NoBurst && l.burst()
	if !lost {
		lost = l.cfg.Loss > 0 && l.rng.Float64() < l.cfg.Loss
	}
	if lost {
		l.stats.Lost++
	}
	return lost
}

// burst decides the packet's fate in the current state, then moves the
// chain.
func (l *Link) burst() bool {
	b := &l.cfg.Burst
	var p float64 // loss probability in this state
	switch {
	case b.Model == Gilbert && l.bad:
		p = 1
	case b.Model == GilbertElliott && l.bad:
		p = b.LossBad
	case b.Model == GilbertElliott:
		p = b.LossGood
	}
	lost := p >= 1 || p > 0 && l.rng.Float64() < p
	move := b.P // Good to Bad
	if l.bad {
		move = b.R
	}
	if move >= 1 || move > 0 && l.rng.Float64() < move {
		l.bad = !l.bad
	}
	return lost
}

// admit rolls for duplication and holds the datagram and any copy, each
// with its own delay.
func (l *Link) admit(now time.Duration, p datagram) {
	dup := l.cfg.Duplicate > 0 && l.rng.Float64() < l.cfg.Duplicate
	l.hold(now, p)
	if dup {
		l.stats.Duplicated++
		c := p
		c.buf = l.getBuf(p.n)
		copy(c.buf, p.buf[:p.n])
		l.hold(now, c)
	}
}

// hold delays one datagram. The delay is drawn before the capacity check,
// so a full line does not shift the random stream of later packets.
func (l *Link) hold(now time.Duration, p datagram) {
	d, reordered := l.delay()
	if l.line.len() >= l.cfg.Limit {
		l.stats.Overflowed++
		l.putBuf(p.buf)
		return
	}
	if reordered {
		l.stats.Reordered++
	}
	l.line.push(core.AdvanceClock(now, d), l.seq, p)
	l.seq++
}

// delay draws one datagram's delay: Latency, uniform jitter clamped at 0,
// then the reorder hold-back.
func (l *Link) delay() (d time.Duration, reordered bool) {
	d = l.cfg.Latency
	if j := l.cfg.Jitter; j > 0 {
		d += time.Duration(l.rng.Int64N(2*int64(j)+1)) - j
		d = max(d, 0)
	}
	if l.cfg.Reorder > 0 && l.rng.Float64() < l.cfg.Reorder {
		d += l.cfg.ReorderDelay
		reordered = true
	}
	return d, reordered
}

// Read moves the datagrams due at now (release time <= now) into msgs, in
// release order, and returns how many it filled. As a transport does, it
// cuts a datagram larger than its Message's Buf to it and sets Truncated.
func (l *Link) Read(now time.Duration, msgs []transport.Message) int {
	n := 0
	for n < len(msgs) && l.due(now) {
		p := l.line.pop()
		m := &msgs[n]
		m.N = copy(m.Buf, p.buf[:p.n])
		m.Addr = p.addr
		m.Truncated = p.truncated || m.N < p.n
		n++
		l.stats.Delivered++
		l.putBuf(p.buf)
	}
	return n
}

// due reports whether the earliest datagram is released at now.
func (l *Link) due(now time.Duration) bool {
	return l.line.len() > 0 && l.line.first().at <= now
}

// take removes the earliest datagram, which the caller must return with
// putBuf; the send path writes it from the line's own buffer.
func (l *Link) take() datagram {
	l.stats.Delivered++
	return l.line.pop()
}

// Next reports when the earliest datagram in the line is released; ok is
// false if the line is empty. A host may use it to schedule its next poll.
func (l *Link) Next() (at time.Duration, ok bool) {
	if l.line.len() == 0 {
		return 0, false
	}
	return l.line.first().at, true
}

// Len returns how many datagrams the line holds.
func (l *Link) Len() int { return l.line.len() }

// Stats returns the line's counters.
func (l *Link) Stats() LinkStats {
	s := l.stats
	s.Held = l.line.len()
	return s
}

// Reset drops every datagram held, uncounted, and frees the pool, so that
// an idle Link holds no buffers. The counters and the random stream go on.
func (l *Link) Reset() {
	l.line.reset()
	clear(l.free)
	l.free = nil
}

// getBuf returns a buffer of at least n bytes: from the pool when n fits a
// MaxDatagram buffer, which every datagram read from a transport does.
func (l *Link) getBuf(n int) []byte {
	if n > transport.MaxDatagram {
		return make([]byte, n) // rare; not pooled
	}
	if k := len(l.free); k > 0 {
		b := l.free[k-1]
		l.free[k-1] = nil
		l.free = l.free[:k-1]
		return b
	}
	return make([]byte, transport.MaxDatagram)
}

// putBuf recycles a buffer from getBuf.
func (l *Link) putBuf(b []byte) {
	if len(b) == transport.MaxDatagram {
		l.free = append(l.free, b)
	}
}
