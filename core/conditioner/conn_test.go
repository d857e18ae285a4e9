package conditioner

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numbered returns n write Messages to addr carrying 0..n-1.
func numbered(n int, to transport.Transport) []transport.Message {
	msgs := make([]transport.Message, n)
	for i := range msgs {
		msgs[i] = transport.Message{Buf: []byte{byte(i), byte(i >> 8)}, N: 2, Addr: to.LocalAddr()}
	}
	return msgs
}

// readAll reads tr until it has nothing due and returns the numbers read.
func readAll(t *testing.T, tr transport.Transport) []int {
	t.Helper()
	in := newMsgs(16)
	var got []int
	for {
		n, err := tr.ReadBatch(in)
		require.NoError(t, err)
		for _, m := range in[:n] {
			require.Equal(t, 2, m.N)
			got = append(got, int(m.Buf[0])|int(m.Buf[1])<<8)
		}
		if n == 0 {
			return got
		}
	}
}

func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// A Config that changes nothing passes datagrams through at once and in
// order, with no delay line at all; Stats still count them.
func TestZeroConfigPassThrough(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *Config
	}{
		{"Nil", nil},
		{"Zero", &Config{}},
		{"SeedAndLimit", &Config{Seed: 7, Limit: 3, ReorderDelay: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ma, mb := memPair(t)
			var clk clock
			a := wrap(t, ma, tc.cfg, tc.cfg, &clk)
			b := wrap(t, mb, tc.cfg, tc.cfg, &clk)
			assert.Nil(t, a.send, "no send line")
			assert.Nil(t, b.recv, "no receive line")
			n, err := a.WriteBatch(numbered(300, b))
			require.NoError(t, err)
			require.Equal(t, 300, n)
			assert.Equal(t, 300, mb.Pending(), "written through at once")
			assert.Equal(t, upTo(300), readAll(t, b), "read at once, in order")
			assert.Equal(t, LinkStats{In: 300, Delivered: 300}, a.Stats().Send)
			assert.Equal(t, LinkStats{In: 300, Delivered: 300}, b.Stats().Recv)
		})
	}
}

// Conditioning on send only, on receive only, and on both sides of one
// Conn, checked on a round trip through an echoing peer.
func TestDirections(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name       string
		send, recv *Config
		out, back  time.Duration // one-way delays
	}{
		{"Send", &Config{Latency: 30 * ms}, nil, 30 * ms, 0},
		{"Recv", nil, &Config{Latency: 20 * ms}, 0, 20 * ms},
		{"Both", &Config{Latency: 30 * ms}, &Config{Latency: 20 * ms}, 30 * ms, 20 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ma, echo := memPair(t)
			var clk clock
			a := wrap(t, ma, tc.send, tc.recv, &clk)
			_, err := a.WriteBatch(numbered(5, echo))
			require.NoError(t, err)
			in := newMsgs(8)
			var echoedAt, backAt time.Duration = -1, -1
			for ; clk.t <= time.Second && backAt < 0; clk.t += ms {
				// Flush due sends, then collect any echo.
				if got := readAll(t, a); len(got) > 0 {
					require.Equal(t, upTo(5), got)
					backAt = clk.t
				}
				n, err := echo.ReadBatch(in)
				require.NoError(t, err)
				if n > 0 {
					require.Equal(t, 5, n)
					echoedAt = clk.t
					for i := range in[:n] {
						in[i].Addr = a.LocalAddr()
					}
					_, err = echo.WriteBatch(in[:n])
					require.NoError(t, err)
					// Read in the same tick: with no receive delay the echo is due at once.
					if got := readAll(t, a); len(got) > 0 {
						require.Equal(t, upTo(5), got)
						backAt = clk.t
					}
				}
			}
			assert.Equal(t, tc.out, echoedAt, "one-way delay out")
			assert.Equal(t, tc.out+tc.back, backAt, "round trip")
			s := a.Stats()
			assert.Equal(t, LinkStats{In: 5, Delivered: 5}, s.Send)
			assert.Equal(t, LinkStats{In: 5, Delivered: 5}, s.Recv)
		})
	}
}

// A host that only reads still sends: ReadBatch flushes the send line.
func TestReadBatchFlushesSends(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, &Config{Latency: 10 * time.Millisecond}, nil, &clk)
	_, err := a.WriteBatch(numbered(3, mb))
	require.NoError(t, err)
	assert.Zero(t, mb.Pending(), "held")
	at, ok := a.Next()
	require.True(t, ok)
	assert.Equal(t, 10*time.Millisecond, at)
	clk.t = 10*time.Millisecond - 1
	readAll(t, a)
	assert.Zero(t, mb.Pending(), "not due yet")
	clk.t++
	readAll(t, a)
	assert.Equal(t, 3, mb.Pending(), "sent by ReadBatch")
	_, ok = a.Next()
	assert.False(t, ok)
}

// The line is bounded; a full line drops and counts.
func TestConnOverflow(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, nil, &Config{Latency: time.Second, Limit: 40}, &clk)
	_, err := mb.WriteBatch(numbered(60, a))
	require.NoError(t, err)
	assert.Empty(t, readAll(t, a))
	assert.Zero(t, ma.Pending(), "the socket was drained into the line")
	assert.Equal(t, LinkStats{In: 60, Overflowed: 20, Held: 40}, a.Stats().Recv)
	clk.t = time.Second
	assert.Equal(t, upTo(40), readAll(t, a), "the first 40 were kept")
}

// A flood is read about Limit datagrams per call (whole batches); the rest
// waits in the inner transport rather than keeping one ReadBatch busy.
func TestConnReadBound(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	const limit = 100
	a := wrap(t, ma, nil, &Config{Loss: 0.5, Limit: limit, Seed: 1}, &clk)
	_, err := mb.WriteBatch(numbered(1000, a))
	require.NoError(t, err)
	_, err = a.ReadBatch(newMsgs(1))
	require.NoError(t, err)
	read := int(a.Stats().Recv.In)
	assert.Equal(t, 1000-read, ma.Pending())
	assert.GreaterOrEqual(t, read, limit)
	assert.Less(t, read, limit+batch)
}

// A Message whose N lies outside its Buf is dropped and counted, not a
// panic; a reader's buffer too small for a datagram cuts it and flags it
// Truncated, as a transport does.
func TestConnInvalid(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, &Config{Loss: 0.01, Seed: 1}, nil, &clk)
	b := wrap(t, mb, nil, &Config{Duplicate: 0.01, Seed: 1}, &clk)
	msgs := numbered(4, b)
	msgs[1].N = 3
	msgs[2].N = -1
	n, err := a.WriteBatch(msgs)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "all taken, as UDP would")
	assert.Equal(t, uint64(2), a.Stats().Send.Invalid)
	small := []transport.Message{{Buf: make([]byte, 2)}, {Buf: make([]byte, 1)}}
	n, err = b.ReadBatch(small)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	assert.Equal(t, []byte{0, 0}, small[0].Buf[:small[0].N])
	assert.False(t, small[0].Truncated, "fits exactly")
	assert.Equal(t, []byte{3}, small[1].Buf[:small[1].N])
	assert.True(t, small[1].Truncated)
	assert.Zero(t, b.Stats().Recv.Invalid)
}

// A datagram the inner transport read truncated keeps its flag through a
// delaying receive line, copies included, and the datagrams behind it are
// all read in the same call: a truncated one does not end the fill.
func TestConnKeepsTruncated(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, nil, &Config{Latency: time.Millisecond, Duplicate: 1, Seed: 1}, &clk)
	out := append([]transport.Message{{Buf: make([]byte, transport.MaxDatagram+1), N: transport.MaxDatagram + 1, Addr: a.LocalAddr()}},
		numbered(2*batch, a)...)
	_, err := mb.WriteBatch(out)
	require.NoError(t, err)
	in := newMsgs(1)
	n, err := a.ReadBatch(in)
	require.NoError(t, err)
	require.Zero(t, n, "nothing due yet")
	assert.Zero(t, ma.Pending(), "one call read everything behind the truncated datagram")
	clk.t = time.Millisecond
	var truncated, whole int
	for {
		n, err := a.ReadBatch(in)
		require.NoError(t, err)
		if n == 0 {
			break
		}
		if in[0].Truncated {
			truncated++
			assert.Equal(t, transport.MaxDatagram, in[0].N)
		} else {
			whole++
		}
	}
	assert.Equal(t, 2, truncated, "the datagram and its duplicate")
	assert.Equal(t, 2*2*batch, whole)
}

func TestWrapErrors(t *testing.T) {
	_, ma, _ := memPair(t)
	now := func() time.Duration { return 0 }
	_, err := Wrap(nil, nil, nil, now)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	_, err = Wrap(ma, nil, nil, nil)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	_, err = Wrap(ma, &Config{Loss: 2}, nil, now)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "send Loss")
	_, err = Wrap(ma, nil, &Config{Jitter: -1}, now)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	assert.ErrorContains(t, err, "recv Jitter")
}

func TestClose(t *testing.T) {
	nw, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, &Average, &Poor, &clk)
	addr := a.LocalAddr()
	assert.Equal(t, ma.LocalAddr(), addr)
	_, err := a.WriteBatch(numbered(10, mb))
	require.NoError(t, err)
	_, err = mb.WriteBatch(numbered(10, a))
	require.NoError(t, err)
	readAll(t, a)
	s := a.Stats()
	require.Equal(t, 20, s.Send.Held+s.Recv.Held+int(s.Send.Lost+s.Recv.Lost))
	require.Positive(t, s.Send.Held)
	require.Positive(t, s.Recv.Held)

	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "later calls return nil")
	_, err = a.WriteBatch(numbered(1, mb))
	assert.ErrorIs(t, err, transport.ErrClosed)
	_, err = a.ReadBatch(newMsgs(1))
	assert.ErrorIs(t, err, transport.ErrClosed)
	assert.Equal(t, addr, a.LocalAddr(), "LocalAddr after Close")
	_, err = ma.ReadBatch(newMsgs(1))
	assert.ErrorIs(t, err, transport.ErrClosed, "the inner transport is closed")
	clk.t = time.Hour
	assert.Zero(t, mb.Pending(), "held sends are dropped, not flushed")
	assert.Nil(t, a.send.free)
	assert.Zero(t, a.recv.Len())
	assert.Nil(t, a.recv.line.slots)
	_, err = nw.Listen(addr)
	assert.NoError(t, err, "the address is free again")
}

// An inner transport's error comes back, wrapped by nothing.
func TestInnerErrors(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, &Config{Latency: time.Millisecond}, &Config{Latency: time.Millisecond}, &clk)
	_, err := a.WriteBatch(numbered(2, mb))
	require.NoError(t, err)
	require.NoError(t, ma.Close())
	clk.t = time.Millisecond
	_, err = a.WriteBatch(nil)
	assert.True(t, errors.Is(err, transport.ErrClosed))
	_, err = a.ReadBatch(newMsgs(1))
	assert.True(t, errors.Is(err, transport.ErrClosed))
}

// Close from another goroutine while the host polls (run with -race).
func TestConcurrentClose(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	var mu sync.Mutex
	now := func() time.Duration { mu.Lock(); defer mu.Unlock(); return clk.t }
	a, err := Wrap(ma, &Good, &Good, now)
	require.NoError(t, err)
	out := numbered(4, mb)
	in := newMsgs(4)
	running, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			if i == 100 {
				close(running)
			}
			if _, err := a.WriteBatch(out); err != nil {
				return
			}
			mb.WriteBatch(numbered(2, a))
			if _, err := a.ReadBatch(in); err != nil {
				return
			}
			a.Stats()
			mu.Lock()
			clk.t += time.Millisecond
			mu.Unlock()
		}
	}()
	<-running
	require.NoError(t, a.Close())
	<-done
	assert.NoError(t, a.Close())
}

// One Conn's two directions draw from different streams even with the
// same Config: they do not lose the same datagrams.
func TestDirectionsIndependent(t *testing.T) {
	_, ma, mb := memPair(t)
	var clk clock
	cfg := Config{Loss: 0.5, Seed: 3}
	a := wrap(t, ma, &cfg, &cfg, &clk)
	_, err := a.WriteBatch(numbered(200, mb))
	require.NoError(t, err)
	_, err = mb.WriteBatch(numbered(200, a))
	require.NoError(t, err)
	out := readAll(t, mb)
	in := readAll(t, a)
	assert.InDelta(t, 100, len(out), 30)
	assert.InDelta(t, 100, len(in), 30)
	assert.NotEqual(t, out, in)
}

// Drain releases the send line at once; what Loss dropped stays dropped.
func TestDrain(t *testing.T) {
	for _, loss := range []float64{0, 1} {
		_, a, b := memPair(t)
		clk := &clock{}
		c := wrap(t, a, &Config{Latency: time.Hour, Loss: loss}, nil, clk)
		msg := []transport.Message{{Buf: make([]byte, payloadSize), N: payloadSize, Addr: b.LocalAddr()}}
		for range 3 {
			n, err := c.WriteBatch(msg)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		}
		rx := newMsgs(8)
		n, err := b.ReadBatch(rx)
		require.NoError(t, err)
		require.Zero(t, n, "held for an hour")
		require.NoError(t, c.Drain())
		n, err = b.ReadBatch(rx)
		require.NoError(t, err)
		require.Equal(t, int(3*(1-loss)), n, "loss %v", loss)
		require.NoError(t, c.Close())
		require.ErrorIs(t, c.Drain(), transport.ErrClosed)
	}
}
