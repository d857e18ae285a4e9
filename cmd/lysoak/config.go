package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
)

// config is one soak run.
type config struct {
	N        int           // client slots: clients connected at once, churn aside
	Duration time.Duration // how long payloads flow, before the final drain and shutdown
	Seed     uint64

	// The link, applied once per direction: c->s on the server's receive
	// side, s->c on each client's receive side (see conditioning).
	Loss, Duplicate, Reorder float64
	Latency, Jitter          time.Duration

	Rate    float64       // payloads per second per client, each direction
	Life    time.Duration // mean client lifetime: churn rate is N/Life leaves per second
	Timeout time.Duration // token timeout; whole seconds
	Tick    time.Duration // loop period
	Every   time.Duration // progress line period; 0: none
	// RestartAt is when the server restarts, as a fraction of Duration;
	// negative: never.
	RestartAt float64

	Out io.Writer // progress and summary; nil: quiet
}

func (c *config) validate() error {
	switch {
	case c.N < 1:
		return fmt.Errorf("-n must be at least 1")
	case c.Duration <= 0:
		return fmt.Errorf("-d must be positive")
	case c.Timeout < 2*time.Second || c.Timeout%time.Second != 0:
		return fmt.Errorf("-timeout must be whole seconds, at least 2s (tokens carry seconds)")
	case c.Tick <= 0 || c.Tick > 100*time.Millisecond:
		return fmt.Errorf("-tick must be in (0, 100ms]")
	case c.Rate < 0 || c.Life <= 0:
		return fmt.Errorf("-rate must be >= 0 and -life > 0")
	case c.RestartAt >= 1:
		return fmt.Errorf("-restart must be below 1 (negative: no restart)")
	}
	return c.link().Validate()
}

// link is one direction's conditioner. Its Limit is far above what the
// line ever holds, so that overflow never adds to the loss the timeout
// bound assumes.
func (c *config) link() conditioner.Config {
	return conditioner.Config{
		Latency: c.Latency, Jitter: c.Jitter, Loss: c.Loss,
		Duplicate: c.Duplicate, Reorder: c.Reorder, Limit: 1 << 16,
	}
}

// maxOneWay is the longest the conditioner holds a datagram (the
// ReorderDelay default is 2*Jitter, at least 1 ms).
func (c *config) maxOneWay() time.Duration {
	d := c.Latency + c.Jitter
	if c.Reorder > 0 {
		d += max(2*c.Jitter, time.Millisecond)
	}
	return d
}

// maxDt caps the time one loop iteration hands to Update. A host stall
// (GC, a busy shared CPU) then slows the protocol's clock instead of
// looking like network silence: the soak asserts what loss does to
// timeouts, not what the scheduler does.
func (c *config) maxDt() time.Duration { return max(4*c.Tick, 100*time.Millisecond) }

// drain is how long payloads stop before anything ends a session, so
// that each payload has arrived or been lost for good when its session
// ends: every loss counted is then a real one.
func (c *config) drain() time.Duration {
	return 2*(c.maxOneWay()+c.maxDt()) + 500*time.Millisecond
}

// timeoutBound is an upper bound on the probability that loss alone
// times out any live connection during the run, with k, the fewest
// packets each side sends in one timeout window.
//
// Each side sends at least one packet every sendRate+maxDt of protocol
// time (keep-alives at 10 Hz, checked once per Update), and a packet
// arrives at most maxOneWay+maxDt after it is sent. A timeout needs the k
// packets sent in one window to be lost, each independently with
// probability Loss (the conditioner's own PRNG; duplicates only help). A
// union bound over every packet that could start such a run gives
// packets * Loss^k.
func (c *config) timeoutBound() (bound float64, k int) {
	const sendRate = 100 * time.Millisecond
	k = int((c.Timeout - c.maxOneWay() - c.maxDt()) / (sendRate + c.maxDt()))
	if k < 1 {
		return 1, max(k, 0)
	}
	packets := 2 * float64(c.N) * (c.Rate + 10) * (c.Duration + c.drain() + c.Timeout).Seconds() * 2
	return math.Min(1, packets*math.Pow(c.Loss, float64(k))), k
}

// strictTimeouts: below this bound a live connection that times out is a
// failure; above it the loss is beyond what the timeout allows and such
// timeouts are only counted.
const strictBound = 1e-9

func (c *config) warmup() (from, to time.Duration) { return c.Duration / 6, c.Duration / 3 }

// sampleEvery spaces heap samples so that a run has about 30.
func (c *config) sampleEvery() time.Duration {
	return min(max(c.Duration/30, time.Second), 10*time.Second)
}
