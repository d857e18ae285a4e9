package conditioner

import (
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// hardest conditions every feature at once, so the steady-state tests
// cover loss, copies, reordering and a deep line.
var hardest = Config{Latency: 300 * time.Millisecond, Jitter: 84 * time.Millisecond,
	Loss: 0.04, Duplicate: 0.05, Reorder: 0.05, Seed: 21}

// burstCfg is hardest with Gilbert–Elliott burst loss on top.
var burstCfg = func() Config {
	c := hardest
	c.Burst = Burst{Model: GilbertElliott, P: 0.02, R: 0.25, LossGood: 0.01, LossBad: 0.5}
	return c
}()

// stepper is one host tick: a writes a batch to b, the clock advances by
// dt, b reads everything due.
type stepper struct {
	clk  clock
	a, b transport.Transport
	out  []transport.Message
	in   []transport.Message
	dt   time.Duration
	read int
}

// newStepper conditions a's sends by send and b's receives by recv; raw
// leaves the in-memory endpoints unwrapped, as a baseline.
func newStepper(tb testing.TB, send, recv *Config, raw bool, perTick int, dt time.Duration) *stepper {
	_, ma, mb := memPair(tb)
	s := &stepper{dt: dt, in: newMsgs(64), a: ma, b: mb}
	if !raw {
		s.a = wrap(tb, ma, send, nil, &s.clk)
		s.b = wrap(tb, mb, nil, recv, &s.clk)
	}
	s.out = make([]transport.Message, perTick)
	for i := range s.out {
		s.out[i] = transport.Message{Buf: make([]byte, payloadSize), N: payloadSize, Addr: s.b.LocalAddr()}
	}
	return s
}

func (s *stepper) step() {
	if _, err := s.a.WriteBatch(s.out); err != nil {
		panic(err)
	}
	s.clk.t += s.dt
	for {
		n, err := s.b.ReadBatch(s.in)
		if err != nil {
			panic(err)
		}
		s.read += n
		if n == 0 {
			return
		}
	}
}

// The steady-state packet path allocates nothing: write, hold, flush,
// read, hold, hand out, in both lines, once their pools and heaps have
// grown to the traffic's peak.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, tc := range []struct {
		name       string
		send, recv *Config
	}{
		{"PassThrough", nil, nil},
		{"Good", &Good, &Good},
		{"Hardest", &hardest, &hardest},
		{"Burst", &burstCfg, &burstCfg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStepper(t, tc.send, tc.recv, false, 4, 5*time.Millisecond)
			for range 2000 { // 10 s: every line reaches its peak depth
				s.step()
			}
			before := s.read
			allocs := testing.AllocsPerRun(1000, s.step)
			require.Zero(t, allocs, "allocations per tick of 4 datagrams")
			require.Greater(t, s.read-before, 3000, "datagrams flowed")
		})
	}
}

// BenchmarkConn moves 32 datagrams of 100 bytes per 16 ms tick, host to
// host; ns/datagram less the Raw case's (the in-memory network alone) is
// the conditioner's cost.
func BenchmarkConn(b *testing.B) {
	const perTick = 32
	for _, tc := range []struct {
		name       string
		send, recv *Config
	}{
		{"Raw", nil, nil},
		{"PassThrough", &Config{}, &Config{}},
		{"GoodBoth", &Good, &Good},
		{"PoorBoth", &Poor, &Poor},
		{"HardestBoth", &hardest, &hardest},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newStepper(b, tc.send, tc.recv, tc.name == "Raw", perTick, 16*time.Millisecond)
			for range 100 { // fill the lines
				s.step()
			}
			b.ReportAllocs()
			b.SetBytes(perTick * payloadSize)
			b.ResetTimer()
			for b.Loop() {
				s.step()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perTick), "ns/datagram")
		})
	}
}
