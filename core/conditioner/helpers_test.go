package conditioner

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

var lo4 = netip.MustParseAddrPort("127.0.0.1:0")

// clock is the host's simulated time: tests advance t, Conns read it.
type clock struct{ t time.Duration }

func (c *clock) now() time.Duration { return c.t }

// memPair returns two endpoints of a fresh in-memory network.
func memPair(t testing.TB) (*transport.MemNetwork, *transport.MemConn, *transport.MemConn) {
	t.Helper()
	nw := transport.NewMemNetwork()
	a, err := nw.Listen(lo4)
	require.NoError(t, err)
	b, err := nw.Listen(lo4)
	require.NoError(t, err)
	t.Cleanup(func() { a.Close(); b.Close() })
	return nw, a, b
}

func wrap(t testing.TB, tr transport.Transport, send, recv *Config, clk *clock) *Conn {
	t.Helper()
	c, err := Wrap(tr, send, recv, clk.now)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// newMsgs returns n read Messages with MaxDatagram buffers.
func newMsgs(n int) []transport.Message {
	msgs := make([]transport.Message, n)
	for i := range msgs {
		msgs[i].Buf = make([]byte, transport.MaxDatagram)
	}
	return msgs
}

// payloadSize is a typical small game datagram; the first 12 bytes carry
// the sequence number and the send time.
const payloadSize = 100

func stamp(b []byte, seq uint32, sent time.Duration) {
	binary.LittleEndian.PutUint32(b, seq)
	binary.LittleEndian.PutUint64(b[4:], uint64(sent))
}

func unstamp(b []byte) (seq uint32, sent time.Duration) {
	return binary.LittleEndian.Uint32(b), time.Duration(binary.LittleEndian.Uint64(b[4:]))
}

// delivery is one datagram as the receiving host saw it.
type delivery struct {
	seq       uint32
	sent, got time.Duration
}

func (d delivery) delay() time.Duration { return d.got - d.sent }

// flow is a one-way stream from a to b on a simulated clock: every tick
// the sender writes perTick datagrams and the receiver reads all it can.
type flow struct {
	n, perTick int
	step       time.Duration
}

// defaultFlow sends 20,000 datagrams, one per 200 µs: fine steps keep the
// measured delay within 200 µs of the drawn one, and 5,000 per second keeps
// even Poor (up to 230 ms) under DefaultLimit datagrams in flight.
var defaultFlow = flow{n: 20000, perTick: 1, step: 200 * time.Microsecond}

// runFlow sends f's datagrams through a Conn that conditions send and one
// that conditions recv, and returns what arrived and both Conns' Stats.
func runFlow(t testing.TB, f flow, send, recv *Config) ([]delivery, Stats, Stats) {
	t.Helper()
	_, ma, mb := memPair(t)
	var clk clock
	a := wrap(t, ma, send, nil, &clk)
	b := wrap(t, mb, nil, recv, &clk)
	out := make([]transport.Message, f.perTick)
	for i := range out {
		out[i] = transport.Message{Buf: make([]byte, payloadSize), N: payloadSize, Addr: b.LocalAddr()}
	}
	in := newMsgs(64)
	got := make([]delivery, 0, f.n+f.n/8)
	sent := 0
	// idle counts ticks without a delivery once all are sent; a line that
	// stays stuck for 2 s fails the check after the loop.
	idle := 0
	for idle < int(2*time.Second/f.step) {
		k := min(f.perTick, f.n-sent)
		for i := range k {
			stamp(out[i].Buf, uint32(sent+i), clk.t)
		}
		sent += k
		_, err := a.WriteBatch(out[:k]) // k == 0 still flushes the send line
		require.NoError(t, err)
		for {
			n, err := b.ReadBatch(in)
			require.NoError(t, err)
			for _, m := range in[:n] {
				require.Equal(t, payloadSize, m.N)
				require.Equal(t, a.LocalAddr(), m.Addr)
				seq, at := unstamp(m.Buf)
				got = append(got, delivery{seq: seq, sent: at, got: clk.t})
			}
			if n == 0 {
				break
			}
			idle = 0
		}
		if sent == f.n {
			if a.Stats().Send.Held == 0 && b.Stats().Recv.Held == 0 && mb.Pending() == 0 {
				break
			}
			idle++
		}
		clk.t += f.step
	}
	require.Zero(t, a.Stats().Send.Held+b.Stats().Recv.Held, "lines drained")
	return got, a.Stats(), b.Stats()
}

// summary measures a flow's deliveries.
type summary struct {
	distinct, extra int           // datagrams that arrived at least once; copies beyond the first
	overtaken       int           // arrived after a later-sent datagram
	mean            time.Duration // over every arrival
	min, max        time.Duration
}

func summarize(got []delivery) summary {
	s := summary{min: time.Duration(1<<63 - 1)}
	seen := make(map[uint32]bool, len(got))
	var total time.Duration
	var highest int64 = -1
	for _, d := range got {
		if seen[d.seq] {
			s.extra++
		} else {
			seen[d.seq] = true
			s.distinct++
		}
		if int64(d.seq) < highest {
			s.overtaken++
		}
		highest = max(highest, int64(d.seq))
		total += d.delay()
		s.min = min(s.min, d.delay())
		s.max = max(s.max, d.delay())
	}
	if len(got) > 0 {
		s.mean = total / time.Duration(len(got))
	}
	return s
}
