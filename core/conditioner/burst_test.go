package conditioner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lossTrace offers n datagrams to a Link with no delay, one per
// millisecond, and reports which were lost.
func lossTrace(t *testing.T, cfg Config, n int) []bool {
	t.Helper()
	l := newLinkT(t, cfg)
	msgs := newMsgs(4)
	lost := make([]bool, n)
	b := make([]byte, 4)
	for i := range lost {
		now := time.Duration(i) * time.Millisecond
		l.Push(now, b, peer)
		got := l.Read(now, msgs)
		require.LessOrEqual(t, got, 1)
		lost[i] = got == 0
	}
	s := l.Stats()
	require.Equal(t, s.In, s.Delivered+s.Lost)
	return lost
}

// lossStats returns the loss rate and the mean length of a run of
// consecutive losses.
func lossStats(lost []bool) (rate, burst float64) {
	losses, runs := 0, 0
	for i, x := range lost {
		if !x {
			continue
		}
		losses++
		if i == 0 || !lost[i-1] {
			runs++
		}
	}
	return float64(losses) / float64(len(lost)), float64(losses) / float64(runs)
}

// theory returns the stationary loss rate of b and the mean run of
// consecutive losses, P(lost) / P(lost, previous kept), from the chain's
// definition rather than the closed forms the doc comment gives.
func theory(b Burst) (rate, burst float64) {
	lg, lb := b.LossGood, b.LossBad
	if b.Model == Gilbert {
		lg, lb = 0, 1
	}
	piB := b.P / (b.P + b.R)
	piG := 1 - piB
	rate = piG*lg + piB*lb
	// A packet in state s is lost with L(s); the next one is sent in the
	// state the chain moved to.
	both := piG*lg*((1-b.P)*lg+b.P*lb) + piB*lb*(b.R*lg+(1-b.R)*lb)
	return rate, rate / (rate - both)
}

// Over 200,000 datagrams the measured loss rate and mean burst length
// match the model within 5 %, and an independent Loss of the same rate
// gives far shorter bursts, so the test tells the two apart.
func TestBurstStatistics(t *testing.T) {
	const n = 200000
	for _, tc := range []struct {
		name  string
		burst Burst
	}{
		{"Gilbert", Burst{Model: Gilbert, P: 0.05, R: 0.3}},
		{"GilbertElliott", Burst{Model: GilbertElliott, P: 0.05, R: 0.25, LossGood: 0.02, LossBad: 0.7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rate, burst := lossStats(lossTrace(t, Config{Burst: tc.burst, Seed: 7}, n))
			wantRate, wantBurst := theory(tc.burst)
			t.Logf("loss %.4f (theory %.4f), mean burst %.3f (theory %.3f)", rate, wantRate, burst, wantBurst)
			assert.InEpsilon(t, wantRate, rate, 0.05, "loss rate")
			assert.InEpsilon(t, wantBurst, burst, 0.05, "mean burst length")
			if tc.burst.Model == Gilbert {
				assert.InDelta(t, tc.burst.P/(tc.burst.P+tc.burst.R), wantRate, 1e-12)
				assert.InDelta(t, 1/tc.burst.R, wantBurst, 1e-9)
			}

			indep := Config{Loss: wantRate, Seed: 7}
			iRate, iBurst := lossStats(lossTrace(t, indep, n))
			assert.InEpsilon(t, wantRate, iRate, 0.05)
			assert.InEpsilon(t, 1/(1-wantRate), iBurst, 0.05, "independent losses")
			assert.Greater(t, burst, 1.3*iBurst, "bursts are longer than independent losses'")
		})
	}
}

// GilbertElliott with LossGood 0 and LossBad 1 is Gilbert, draw for draw.
func TestGilbertElliottGeneralisesGilbert(t *testing.T) {
	g := lossTrace(t, Config{Burst: Burst{Model: Gilbert, P: 0.1, R: 0.4}, Seed: 3}, 20000)
	ge := lossTrace(t, Config{Burst: Burst{Model: GilbertElliott, P: 0.1, R: 0.4, LossBad: 1}, Seed: 3}, 20000)
	assert.Equal(t, g, ge)
}

// The seed fixes the losses; another seed, or the other direction's
// stream, loses other datagrams.
func TestBurstSeeded(t *testing.T) {
	cfg := Config{Burst: Burst{Model: Gilbert, P: 0.05, R: 0.3}, Seed: 11}
	trace := func(cfg Config, stream uint64) []bool {
		l := newLink(cfg, stream)
		msgs := newMsgs(1)
		out := make([]bool, 5000)
		for i := range out {
			l.Push(0, []byte{1}, peer)
			out[i] = l.Read(0, msgs) == 0
		}
		return out
	}
	a := trace(cfg, streamSend)
	assert.Equal(t, a, trace(cfg, streamSend))
	assert.NotEqual(t, a, trace(cfg, streamRecv))
	other := cfg
	other.Seed = 12
	assert.NotEqual(t, a, trace(other, streamSend))
}

// Loss applies on top of Burst: a chain that never leaves Good loses at
// Loss's rate.
func TestBurstWithLoss(t *testing.T) {
	rate, _ := lossStats(lossTrace(t, Config{Loss: 0.1, Burst: Burst{Model: Gilbert, P: 0, R: 1}, Seed: 5}, 50000))
	assert.InDelta(t, 0.1, rate, 0.01)
	rate, _ = lossStats(lossTrace(t, Config{Loss: 0.1, Burst: Burst{Model: Gilbert, P: 1, R: 0}, Seed: 5}, 50000))
	assert.InDelta(t, 1, rate, 0.0001, "stuck in Bad after the first packet")
}
