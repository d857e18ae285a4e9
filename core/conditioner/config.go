package conditioner

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidConfig reports a Config that Validate rejects. Errors from this
// package wrap it, so test with errors.Is.
var ErrInvalidConfig = errors.New("conditioner: invalid config")

// DefaultLimit is how many datagrams a Link holds when Config.Limit is 0.
// It matches the in-memory network's socket queue: a line that deep already
// means seconds of delay at game rates, and the bound keeps a stalled host
// from growing memory without end.
const DefaultLimit = 4096

// maxDelay bounds Latency+Jitter+ReorderDelay. A delay that long is a
// mistake, and the bound keeps the release-time arithmetic far from
// overflowing time.Duration.
const maxDelay = time.Hour

// Config describes one direction of a simulated link. The zero value is a
// perfect link: packets pass through at once and in order.
//
// Per packet, in this order: Burst, then Loss, decides whether it is
// dropped; a kept packet is duplicated with probability Duplicate; the packet and its copy
// each get their own delay, Latency plus a uniform jitter, plus
// ReorderDelay with probability Reorder. Jitter alone can reorder packets
// sent less than 2*Jitter apart, as on a real network; Reorder makes
// overtaking likely even when Jitter is 0.
type Config struct {
	// Latency is the one-way base delay.
	Latency time.Duration
	// Jitter spreads each packet's delay uniformly over
	// [Latency-Jitter, Latency+Jitter], never below 0.
	Jitter time.Duration
	// Loss is the probability, 0 to 1, that a packet is dropped,
	// independently of every other packet.
	Loss float64
	// Burst drops packets in bursts, as congested and wireless links do;
	// the zero value drops none. Loss applies on top of it.
	Burst Burst
	// Duplicate is the probability, 0 to 1, that a packet is delivered
	// twice. The copy is delayed independently of the original.
	Duplicate float64
	// Reorder is the probability, 0 to 1, that a packet is held back by an
	// extra ReorderDelay, so that packets sent after it overtake it.
	Reorder float64
	// ReorderDelay is the extra delay of a reordered packet. 0 means
	// 2*Jitter, and at least 1 ms, when Reorder > 0.
	ReorderDelay time.Duration
	// Limit is the most datagrams the line holds; more are dropped and
	// counted as Overflowed. 0 means DefaultLimit.
	Limit int
	// Seed makes runs repeatable: the same Seed, traffic and clock give the
	// same deliveries.
	Seed uint64
}

// BurstModel names a two-state loss model for Config.Burst.
type BurstModel uint8

const (
	// NoBurst drops nothing; Burst's probabilities must then be 0.
	NoBurst BurstModel = iota
	// Gilbert is the simple Gilbert model: every packet sent in the Bad
	// state is lost and none in Good. The stationary loss rate is
	// P/(P+R), a burst of losses lasts 1/R packets on average and a run
	// of delivered ones 1/P. LossGood and LossBad must be 0.
	Gilbert
	// GilbertElliott is the Gilbert–Elliott model: a packet sent in Good
	// is lost with probability LossGood (1-k in the usual notation, k
	// being the probability that it passes) and one sent in Bad with
	// LossBad (1-h). The stationary loss rate is
	// (R*LossGood + P*LossBad)/(P+R). LossGood 0 and LossBad 1 is Gilbert.
	GilbertElliott
)

// Burst is a two-state Markov chain of loss, stepped once per packet
// offered to the line: the packet is lost or kept by the current state's
// loss probability, then the chain moves from Good to Bad with
// probability P, or from Bad to Good with probability R. A Link starts in
// Good, and each direction of a Conn has its own chain, drawn from that
// direction's seeded stream.
type Burst struct {
	Model BurstModel
	// P is the probability, 0 to 1, of moving from Good to Bad.
	P float64
	// R is the probability, 0 to 1, of moving from Bad to Good.
	R float64
	// LossGood and LossBad are the loss probabilities, 0 to 1, in each
	// state; GilbertElliott only.
	LossGood float64
	LossBad  float64
}

// Presets, one way, with lightyear's numbers for its good, average and poor
// conditions (LinkConditionerConfig::good_condition, average_condition and
// poor_condition in lightyear's crates/io/link/src/conditioner.rs).
// lightyear applies them to received packets only; give one to both
// directions of a Conn and the round trip sees twice the latency. They
// neither duplicate, reorder beyond what their jitter does, nor lose in
// bursts, as in lightyear.
var (
	Good    = Config{Latency: 40 * time.Millisecond, Jitter: 6 * time.Millisecond, Loss: 0.002}
	Average = Config{Latency: 100 * time.Millisecond, Jitter: 15 * time.Millisecond, Loss: 0.02}
	Poor    = Config{Latency: 200 * time.Millisecond, Jitter: 30 * time.Millisecond, Loss: 0.10}
)

// Validate reports whether c is usable: probabilities in [0, 1], a known
// burst model using only its own fields, no negative duration or Limit,
// and at most an hour of delay in all.
func (c Config) Validate() error { return c.validate("") }

// validate is Validate with the direction, if any, in its messages.
func (c Config) validate(dir string) error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"Loss", c.Loss}, {"Duplicate", c.Duplicate}, {"Reorder", c.Reorder},
		{"Burst.P", c.Burst.P}, {"Burst.R", c.Burst.R},
		{"Burst.LossGood", c.Burst.LossGood}, {"Burst.LossBad", c.Burst.LossBad}} {
		if !(p.v >= 0 && p.v <= 1) { // also rejects NaN
			return fmt.Errorf("%w: %s%s %v outside [0, 1]", ErrInvalidConfig, dir, p.name, p.v)
		}
	}
	// A field the model ignores is refused: it is a mistake, not a no-op.
	b := c.Burst
	switch {
	case b.Model > GilbertElliott:
		return fmt.Errorf("%w: unknown %sBurst.Model %d", ErrInvalidConfig, dir, b.Model)
	case b.Model == NoBurst && b != Burst{}:
		return fmt.Errorf("%w: %sBurst probabilities set without a Burst.Model", ErrInvalidConfig, dir)
	case b.Model == Gilbert && (b.LossGood != 0 || b.LossBad != 0):
		return fmt.Errorf("%w: %sBurst.LossGood and LossBad are for GilbertElliott; Gilbert loses every packet in Bad", ErrInvalidConfig, dir)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Latency", c.Latency}, {"Jitter", c.Jitter}, {"ReorderDelay", c.ReorderDelay}} {
		if d.v < 0 {
			return fmt.Errorf("%w: negative %s%s %v", ErrInvalidConfig, dir, d.name, d.v)
		}
		if d.v > maxDelay {
			return fmt.Errorf("%w: %s%s %v over %v", ErrInvalidConfig, dir, d.name, d.v, maxDelay)
		}
	}
	if e := c.withDefaults(); e.Latency+e.Jitter+e.ReorderDelay > maxDelay {
		return fmt.Errorf("%w: %sLatency+Jitter+ReorderDelay over %v", ErrInvalidConfig, dir, maxDelay)
	}
	if c.Limit < 0 {
		return fmt.Errorf("%w: negative %sLimit %d", ErrInvalidConfig, dir, c.Limit)
	}
	return nil
}

// withDefaults fills in ReorderDelay and Limit. Validate has bounded the
// durations, so nothing here overflows.
func (c Config) withDefaults() Config {
	if c.Reorder > 0 && c.ReorderDelay == 0 {
		c.ReorderDelay = max(2*c.Jitter, time.Millisecond)
	}
	if c.Limit == 0 {
		c.Limit = DefaultLimit
	}
	return c
}

// passThrough reports whether c leaves packets untouched, so a Conn can
// hand them straight to the inner transport without the delay line.
func (c Config) passThrough() bool {
	return c.Latency == 0 && c.Jitter == 0 && c.Loss == 0 && c.Duplicate == 0 && c.Reorder == 0 &&
		c.Burst.Model == NoBurst
}
