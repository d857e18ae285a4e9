package conditioner

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The statistical tests run 20,000 datagrams through the in-memory network
// with the conditioner on the sender's WriteBatch or on the receiver's
// ReadBatch, and measure what arrives. Seeds are fixed, so they do not
// flake; the tolerances are still ones a correct conditioner meets for
// almost any seed (4 standard deviations, or the brief's ±1 % and ±2 ms).

// directions runs fn with cfg on the send side, then on the receive side.
func directions(t *testing.T, cfg Config, fn func(t *testing.T, got []delivery, s LinkStats)) {
	t.Run("send", func(t *testing.T) {
		got, a, b := runFlow(t, defaultFlow, &cfg, nil)
		require.Zero(t, b.Recv.Lost+b.Recv.Duplicated+b.Recv.Reordered, "receive side passes through")
		fn(t, got, a.Send)
	})
	t.Run("recv", func(t *testing.T) {
		got, a, b := runFlow(t, defaultFlow, nil, &cfg)
		require.Zero(t, a.Send.Lost+a.Send.Duplicated+a.Send.Reordered, "send side passes through")
		fn(t, got, b.Recv)
	})
}

// rateTolerance is 4 standard deviations of a rate p measured over n
// trials, and never more than the brief's 1 %.
func rateTolerance(p float64, n int) float64 {
	return min(4*math.Sqrt(p*(1-p)/float64(n)), 0.01)
}

// checkCounts ties the Stats to what arrived: nothing is held, nothing
// overflowed, and every datagram is accounted for.
func checkCounts(t *testing.T, got []delivery, s LinkStats) {
	t.Helper()
	n := uint64(defaultFlow.n)
	sum := summarize(got)
	assert.Equal(t, n, s.In)
	assert.Zero(t, s.Held)
	assert.Zero(t, s.Overflowed)
	assert.Zero(t, s.Invalid)
	assert.Equal(t, uint64(len(got)), s.Delivered)
	assert.Equal(t, n-uint64(sum.distinct), s.Lost, "every datagram lost is counted, and only those")
	assert.Equal(t, uint64(sum.extra), s.Duplicated, "every extra copy is counted")
	assert.Equal(t, s.In+s.Duplicated, s.Delivered+s.Lost)
}

func TestLossRate(t *testing.T) {
	for _, p := range []float64{0.05, 0.3} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			directions(t, Config{Loss: p, Seed: 11}, func(t *testing.T, got []delivery, s LinkStats) {
				checkCounts(t, got, s)
				lost := 1 - float64(summarize(got).distinct)/float64(defaultFlow.n)
				t.Logf("loss %.4f", lost)
				assert.InDelta(t, p, lost, rateTolerance(p, defaultFlow.n))
			})
		})
	}
}

func TestLossAll(t *testing.T) {
	directions(t, Config{Loss: 1}, func(t *testing.T, got []delivery, s LinkStats) {
		assert.Empty(t, got)
		assert.Equal(t, uint64(defaultFlow.n), s.Lost)
	})
}

func TestDuplicateRate(t *testing.T) {
	const p = 0.05
	cfg := Config{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Duplicate: p, Loss: 0.05, Seed: 12}
	directions(t, cfg, func(t *testing.T, got []delivery, s LinkStats) {
		checkCounts(t, got, s)
		sum := summarize(got)
		dup := float64(sum.extra) / float64(sum.distinct) // duplication applies to kept datagrams
		t.Logf("duplication %.4f", dup)
		assert.InDelta(t, p, dup, rateTolerance(p, sum.distinct))
		// A copy is delayed independently of its original: with 10 ms of
		// jitter on a 200 µs tick they almost never arrive together.
		first := make(map[uint32]time.Duration, len(got))
		apart := 0
		for _, d := range got {
			if at, ok := first[d.seq]; !ok {
				first[d.seq] = d.got
			} else if at != d.got {
				apart++
			}
		}
		assert.Greater(t, apart, sum.extra*9/10, "copies arrive at their own times")
	})
}

// Mean, minimum and maximum delay for the presets and a jitter wider than
// the latency (clamped at 0). Delays are measured on a 200 µs tick, so an
// arrival is seen up to one step late.
func TestLatencyAndJitter(t *testing.T) {
	step := defaultFlow.step
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"Good", Good},
		{"Average", Average},
		{"Poor", Poor},
		{"FixedLatency", Config{Latency: 25 * time.Millisecond}},
		{"JitterOverLatency", Config{Latency: 5 * time.Millisecond, Jitter: 10 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Seed = 13
			lo := max(cfg.Latency-cfg.Jitter, 0)
			hi := cfg.Latency + cfg.Jitter
			// The mean of a uniform delay clamped at 0.
			want := cfg.Latency
			if cfg.Jitter > cfg.Latency {
				a, b := float64(cfg.Latency-cfg.Jitter), float64(hi)
				want = time.Duration(b * b / 2 / (b - a))
			}
			directions(t, cfg, func(t *testing.T, got []delivery, s LinkStats) {
				checkCounts(t, got, s)
				sum := summarize(got)
				t.Logf("delay mean %v min %v max %v", sum.mean, sum.min, sum.max)
				assert.InDelta(t, float64(want), float64(sum.mean), float64(2*time.Millisecond), "mean delay %v", sum.mean)
				assert.GreaterOrEqual(t, sum.min, lo, "no datagram earlier than Latency-Jitter")
				assert.LessOrEqual(t, sum.max, hi+step, "no datagram later than Latency+Jitter")
				// The whole range is used: 20,000 draws reach within 1 % of each end.
				spread := max(cfg.Jitter/50, step)
				assert.LessOrEqual(t, sum.min, lo+spread, "min delay %v", sum.min)
				assert.GreaterOrEqual(t, sum.max, hi-spread, "max delay %v", sum.max)
				if cfg.Jitter == 0 {
					assert.Zero(t, sum.overtaken, "a fixed delay keeps order")
				}
			})
		})
	}
}

func TestReorder(t *testing.T) {
	step := defaultFlow.step
	for _, tc := range []struct {
		name      string
		cfg       Config
		holdBack  time.Duration // the ReorderDelay in effect
		exactHeld bool          // without jitter, every reordered datagram arrives late
	}{
		{"NoJitter", Config{Latency: 50 * time.Millisecond, Reorder: 0.1}, time.Millisecond, true},
		{"Jitter", Config{Latency: 50 * time.Millisecond, Jitter: 2 * time.Millisecond, Reorder: 0.1}, 4 * time.Millisecond, false},
		{"Explicit", Config{Latency: 50 * time.Millisecond, Reorder: 0.1, ReorderDelay: 7 * time.Millisecond}, 7 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Seed = 14
			directions(t, cfg, func(t *testing.T, got []delivery, s LinkStats) {
				checkCounts(t, got, s)
				sum := summarize(got)
				rate := float64(s.Reordered) / float64(s.In)
				t.Logf("reordered %.4f, overtaken %d of %d held back, delay min %v max %v", rate, sum.overtaken, s.Reordered, sum.min, sum.max)
				assert.InDelta(t, cfg.Reorder, rate, rateTolerance(cfg.Reorder, int(s.In)))
				assert.Positive(t, sum.overtaken, "reordering observed")
				if tc.exactHeld {
					// A datagram held back 1 ms is overtaken by the five
					// sent after it, unless all five are held back too.
					assert.InDelta(t, float64(s.Reordered), float64(sum.overtaken), 0.01*float64(s.Reordered))
				}
				assert.GreaterOrEqual(t, sum.min, cfg.Latency-cfg.Jitter)
				assert.LessOrEqual(t, sum.max, cfg.Latency+cfg.Jitter+tc.holdBack+step)
				assert.GreaterOrEqual(t, sum.max, cfg.Latency+tc.holdBack-cfg.Jitter/2, "reordered datagrams are held back")
			})
		})
	}
}

// Without jitter or reordering a delay line is a FIFO: loss and
// duplication never change the order, and every delay is exact.
func TestNoReorderWithoutJitter(t *testing.T) {
	cfg := Config{Latency: 30 * time.Millisecond, Loss: 0.1, Duplicate: 0.1, Seed: 15}
	directions(t, cfg, func(t *testing.T, got []delivery, s LinkStats) {
		checkCounts(t, got, s)
		sum := summarize(got)
		assert.Zero(t, sum.overtaken)
		assert.Zero(t, s.Reordered)
		assert.Equal(t, cfg.Latency, sum.min)
		assert.Equal(t, cfg.Latency, sum.max)
		for i := 1; i < len(got); i++ {
			require.LessOrEqual(t, got[i-1].seq, got[i].seq, "delivery %d", i)
		}
	})
}

// Both sides conditioned: the delays add up.
func TestBothSidesAddUp(t *testing.T) {
	send := Config{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.02, Seed: 16}
	recv := Config{Latency: 60 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.03, Seed: 17}
	got, a, b := runFlow(t, defaultFlow, &send, &recv)
	sum := summarize(got)
	assert.InDelta(t, float64(80*time.Millisecond), float64(sum.mean), float64(2*time.Millisecond))
	assert.GreaterOrEqual(t, sum.min, 65*time.Millisecond)
	assert.LessOrEqual(t, sum.max, 95*time.Millisecond+2*defaultFlow.step)
	n := float64(defaultFlow.n)
	kept := (1 - send.Loss) * (1 - recv.Loss)
	assert.InDelta(t, kept, float64(sum.distinct)/n, rateTolerance(1-kept, defaultFlow.n))
	assert.Equal(t, a.Send.Delivered, b.Recv.In, "what the sender let through is what the receiver read")
	assert.Equal(t, uint64(len(got)), b.Recv.Delivered)
}

// The same seed, traffic and clock give the same deliveries at the same
// times; another seed does not.
func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []delivery {
		send, recv := Average, Poor
		send.Duplicate, send.Reorder, send.Seed = 0.05, 0.05, seed
		recv.Duplicate, recv.Reorder, recv.Seed = 0.02, 0.1, seed+1
		got, a, b := runFlow(t, flow{n: 10000, perTick: 3, step: time.Millisecond}, &send, &recv)
		require.Zero(t, a.Send.Overflowed+b.Recv.Overflowed)
		return got
	}
	first, second, other := run(1), run(1), run(2)
	require.NotEmpty(t, first)
	require.Equal(t, first, second)
	require.NotEqual(t, first, other)
	// Not merely shuffled in time: another seed picks other datagrams to lose.
	assert.NotEqual(t, seqs(first), seqs(other))
}

func seqs(got []delivery) map[uint32]int {
	m := make(map[uint32]int, len(got))
	for _, d := range got {
		m[d.seq]++
	}
	return m
}
