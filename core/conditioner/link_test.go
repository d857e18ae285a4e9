package conditioner

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var peer = netip.MustParseAddrPort("10.0.0.1:4000")

func newLinkT(t *testing.T, cfg Config) *Link {
	t.Helper()
	l, err := NewLink(cfg)
	require.NoError(t, err)
	return l
}

// The heap releases by time, and datagrams due at the same instant in the
// order they arrived, while pushes and pops interleave as in a live line.
func TestHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var d delayLine
	var ref []entry // what the line holds, unordered
	popCheck := func() {
		require.Equal(t, len(ref), d.len())
		best := 0
		for i := range ref {
			if ref[i].before(ref[best]) {
				best = i
			}
		}
		require.Equal(t, ref[best].at, d.first().at)
		got := d.pop()
		require.Equal(t, ref[best].seq, uint64(got.n), "earliest is %+v", ref[best])
		ref = append(ref[:best], ref[best+1:]...)
	}
	for i := range 3000 {
		at := time.Duration(rng.IntN(50))
		d.push(at, uint64(i), datagram{n: i})
		ref = append(ref, entry{at: at, seq: uint64(i)})
		if rng.IntN(3) == 0 {
			popCheck()
		}
	}
	for d.len() > 0 {
		popCheck()
	}
	assert.Empty(t, ref)
	assert.Len(t, d.free, len(d.slots), "every slot is free again")
}

// With a fixed delay the line is a FIFO, even for datagrams that arrive at
// the same instant.
func TestLinkFIFO(t *testing.T) {
	l := newLinkT(t, Config{Latency: 10 * time.Millisecond})
	for i := range 100 {
		l.Push(time.Duration(i/10)*time.Millisecond, []byte{byte(i)}, peer)
	}
	msgs := newMsgs(8)
	got := []byte{}
	for now := time.Duration(0); l.Len() > 0; now += time.Millisecond {
		for {
			n := l.Read(now, msgs)
			for _, m := range msgs[:n] {
				require.Equal(t, 1, m.N)
				require.Equal(t, peer, m.Addr)
				require.GreaterOrEqual(t, now, time.Duration(m.Buf[0]/10)*time.Millisecond+10*time.Millisecond)
				got = append(got, m.Buf[0])
			}
			if n == 0 {
				break
			}
		}
	}
	for i := range got {
		require.Equal(t, byte(i), got[i])
	}
	assert.Len(t, got, 100)
}

// A datagram is held until exactly its release time.
func TestLinkReleaseTime(t *testing.T) {
	l := newLinkT(t, Config{Latency: 30 * time.Millisecond})
	l.Push(5*time.Millisecond, []byte("x"), peer)
	at, ok := l.Next()
	require.True(t, ok)
	assert.Equal(t, 35*time.Millisecond, at)
	msgs := newMsgs(1)
	assert.Zero(t, l.Read(35*time.Millisecond-1, msgs))
	assert.Equal(t, 1, l.Read(35*time.Millisecond, msgs))
	_, ok = l.Next()
	assert.False(t, ok)
}

// Push copies: the caller may reuse its buffer at once.
func TestLinkCopies(t *testing.T) {
	l := newLinkT(t, Config{Latency: time.Millisecond})
	b := []byte("hello")
	l.Push(0, b, peer)
	copy(b, "XXXXX")
	msgs := newMsgs(1)
	require.Equal(t, 1, l.Read(time.Millisecond, msgs))
	assert.Equal(t, "hello", string(msgs[0].Buf[:msgs[0].N]))
}

func TestLinkOverflow(t *testing.T) {
	l := newLinkT(t, Config{Latency: time.Second, Limit: 10})
	for i := range 25 {
		l.Push(0, []byte{byte(i)}, peer)
	}
	s := l.Stats()
	assert.Equal(t, 10, s.Held)
	assert.Equal(t, uint64(15), s.Overflowed)
	msgs := newMsgs(32)
	n := l.Read(time.Second, msgs)
	require.Equal(t, 10, n)
	for i, m := range msgs[:n] {
		assert.Equal(t, byte(i), m.Buf[0], "the first ten are kept")
	}
	s = l.Stats()
	assert.Equal(t, s.In+s.Duplicated, s.Delivered+s.Lost+s.Overflowed+s.Invalid+uint64(s.Held))
}

// Datagrams over MaxDatagram bytes pass in unpooled buffers; over UDP's
// limit they are refused; a reader's buffer too small for one cuts it and
// flags it Truncated.
func TestLinkSizes(t *testing.T) {
	l := newLinkT(t, Config{})
	l.Push(0, make([]byte, 3000), peer)
	l.Push(0, make([]byte, maxPayload+1), peer)
	l.Push(0, make([]byte, 200), peer)
	l.Push(0, []byte{}, peer)
	msgs := []transport.Message{{Buf: make([]byte, 3000)}, {Buf: make([]byte, 100)}, {Buf: make([]byte, 100)}}
	n := l.Read(0, msgs)
	require.Equal(t, 3, n)
	assert.Equal(t, 3000, msgs[0].N)
	assert.False(t, msgs[0].Truncated)
	assert.Equal(t, 100, msgs[1].N, "the 200-byte one, cut to the reader's Buf")
	assert.True(t, msgs[1].Truncated)
	assert.Equal(t, 0, msgs[2].N, "the empty datagram")
	assert.False(t, msgs[2].Truncated)
	s := l.Stats()
	assert.Equal(t, uint64(4), s.In)
	assert.Equal(t, uint64(1), s.Invalid)
	assert.Equal(t, uint64(3), s.Delivered)
	assert.Len(t, l.free, 2, "only MaxDatagram buffers are pooled")
}

// Identical Links give identical results; the streams of a Conn's two
// directions and of another seed differ.
func TestLinkStreams(t *testing.T) {
	cfg := Config{Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.1, Duplicate: 0.1, Reorder: 0.1, Seed: 3}
	trace := func(l *Link) []uint64 {
		var out []uint64
		msgs := newMsgs(16)
		for i := range 2000 {
			now := time.Duration(i) * time.Millisecond
			l.Push(now, []byte{byte(i), byte(i >> 8)}, peer)
			for n := l.Read(now, msgs); n > 0; n = l.Read(now, msgs) {
				for _, m := range msgs[:n] {
					out = append(out, uint64(now)<<16|uint64(m.Buf[0])|uint64(m.Buf[1])<<8)
				}
			}
		}
		return out
	}
	other := cfg
	other.Seed = 4
	a := trace(newLink(cfg, streamSend))
	assert.Equal(t, a, trace(newLink(cfg, streamSend)))
	assert.NotEqual(t, a, trace(newLink(cfg, streamRecv)))
	assert.NotEqual(t, a, trace(newLink(other, streamSend)))
}

func TestLinkReset(t *testing.T) {
	l := newLinkT(t, Config{Latency: time.Second})
	for range 5 {
		l.Push(0, []byte{1}, peer)
	}
	l.Reset()
	assert.Zero(t, l.Len())
	assert.Nil(t, l.free)
	assert.Zero(t, l.Read(time.Hour, newMsgs(8)))
	l.Push(0, []byte{2}, peer) // still usable
	assert.Equal(t, 1, l.Read(time.Second, newMsgs(8)))
}

// A delay is never negative: jitter wider than the latency clamps at 0, so
// the datagrams due at once leave in the order they came, and none is due
// before it arrived.
func TestLinkClamp(t *testing.T) {
	l := newLinkT(t, Config{Latency: time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 5})
	const now = time.Second
	for i := range 1000 {
		l.Push(now, []byte{byte(i), byte(i >> 8)}, peer)
		at, ok := l.Next()
		require.True(t, ok)
		require.GreaterOrEqual(t, at, now)
	}
	msgs := newMsgs(1000)
	n := l.Read(now, msgs)
	require.Greater(t, n, 300, "about 45 %% are clamped to 0")
	prev := -1
	for _, m := range msgs[:n] {
		i := int(m.Buf[0]) | int(m.Buf[1])<<8
		require.Greater(t, i, prev)
		prev = i
	}
}
