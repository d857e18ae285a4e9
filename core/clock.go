package core

import (
	"math"
	"time"
)

// MaxClock is where the clocks that Update advances stop: the largest
// time.Duration, about 292 years of summed dt. Wrapping instead made the
// clock negative and stopped every timeout (two updates of 9.2e9 s left a
// silent client connected for good).
//
// Code that reads such a clock compares elapsed times, now-then >= d,
// never then+d <= now: clock readings are in [0, MaxClock], so the
// difference cannot overflow where the sum could. Once the clock has
// stopped, time no longer passes and nothing more times out; only dt
// values that are bugs get there.
const MaxClock = time.Duration(math.MaxInt64)

// AdvanceClock returns now+dt, saturated at MaxClock. dt must be >= 0, as
// Update checks.
func AdvanceClock(now, dt time.Duration) time.Duration {
	if now > 0 && dt > MaxClock-now {
		return MaxClock
	}
	return now + dt
}
