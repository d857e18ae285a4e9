package conditioner

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The presets carry lightyear's numbers for its good, average and poor
// conditions, and nothing else.
func TestPresets(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		got  Config
		want Config
	}{
		{"Good", Good, Config{Latency: 40 * ms, Jitter: 6 * ms, Loss: 0.002}},
		{"Average", Average, Config{Latency: 100 * ms, Jitter: 15 * ms, Loss: 0.02}},
		{"Poor", Poor, Config{Latency: 200 * ms, Jitter: 30 * ms, Loss: 0.10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.got)
			assert.NoError(t, tc.got.Validate())
			assert.False(t, tc.got.passThrough())
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"Zero", Config{}, true},
		{"Certain", Config{Loss: 1, Duplicate: 1, Reorder: 1}, true},
		{"JitterOverLatency", Config{Latency: time.Millisecond, Jitter: time.Second}, true},
		{"AnHour", Config{Latency: 50 * time.Minute, Jitter: 5 * time.Minute, Reorder: 0.5, ReorderDelay: 5 * time.Minute}, true},
		{"NegativeLatency", Config{Latency: -1}, false},
		{"NegativeJitter", Config{Jitter: -time.Millisecond}, false},
		{"NegativeReorderDelay", Config{Reorder: 0.1, ReorderDelay: -1}, false},
		{"NegativeLoss", Config{Loss: -0.01}, false},
		{"LossOverOne", Config{Loss: 1.01}, false},
		{"LossNaN", Config{Loss: math.NaN()}, false},
		{"DuplicateOverOne", Config{Duplicate: 2}, false},
		{"DuplicateInf", Config{Duplicate: math.Inf(1)}, false},
		{"NegativeReorder", Config{Reorder: -1}, false},
		{"ReorderNaN", Config{Reorder: math.NaN()}, false},
		{"NegativeLimit", Config{Limit: -1}, false},
		{"OverAnHour", Config{Latency: time.Hour + 1}, false},
		{"HugeJitter", Config{Jitter: math.MaxInt64}, false},
		{"SumOverAnHour", Config{Latency: 40 * time.Minute, Jitter: 30 * time.Minute}, false},
		// The default ReorderDelay, 2*Jitter, counts too.
		{"Gilbert", Config{Burst: Burst{Model: Gilbert, P: 0.01, R: 1}}, true},
		{"GilbertElliott", Config{Loss: 0.1, Burst: Burst{Model: GilbertElliott, P: 1, R: 0, LossGood: 1, LossBad: 0.5}}, true},
		{"BurstPOverOne", Config{Burst: Burst{Model: Gilbert, P: 1.5, R: 0.5}}, false},
		{"BurstRNaN", Config{Burst: Burst{Model: Gilbert, P: 0.1, R: math.NaN()}}, false},
		{"BurstNegativeLossGood", Config{Burst: Burst{Model: GilbertElliott, LossGood: -0.1}}, false},
		{"BurstLossBadOverOne", Config{Burst: Burst{Model: GilbertElliott, LossBad: 2}}, false},
		{"BurstUnknownModel", Config{Burst: Burst{Model: GilbertElliott + 1}}, false},
		{"BurstWithoutModel", Config{Burst: Burst{P: 0.1, R: 0.5}}, false},
		{"GilbertWithLossBad", Config{Burst: Burst{Model: Gilbert, P: 0.1, R: 0.5, LossBad: 1}}, false},
		{"DefaultReorderDelayOverAnHour", Config{Latency: 20 * time.Minute, Jitter: 20 * time.Minute, Reorder: 0.1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			_, err = NewLink(tc.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func TestDefaults(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{"NoReorder", Config{Jitter: 10 * ms}, 0},
		{"TwiceJitter", Config{Jitter: 6 * ms, Reorder: 0.1}, 12 * ms},
		{"AtLeastOneMillisecond", Config{Jitter: 100 * time.Microsecond, Reorder: 0.1}, ms},
		{"NoJitter", Config{Reorder: 0.1}, ms},
		{"Explicit", Config{Jitter: 6 * ms, Reorder: 0.1, ReorderDelay: 3 * ms}, 3 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.withDefaults()
			assert.Equal(t, tc.want, got.ReorderDelay)
			assert.Equal(t, DefaultLimit, got.Limit)
		})
	}
	assert.Equal(t, 7, Config{Limit: 7}.withDefaults().Limit)
}

func TestPassThrough(t *testing.T) {
	assert.True(t, Config{}.passThrough())
	assert.True(t, Config{Seed: 9, Limit: 3, ReorderDelay: time.Second}.passThrough(), "no effect without Reorder")
	for _, c := range []Config{{Latency: 1}, {Jitter: 1}, {Loss: 0.1}, {Duplicate: 0.1}, {Reorder: 0.1},
		{Burst: Burst{Model: Gilbert}}} {
		assert.False(t, c.passThrough(), "%+v", c)
	}
}
