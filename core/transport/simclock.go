package transport

import (
	"sync/atomic"
	"time"
)

// simEpoch is where every SimClock starts: a fixed instant, so runs repeat.
var simEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// SimClock is a simulated wall clock for tests. It starts at 2026-01-01
// 00:00:00 UTC and moves only when Advance is called; pass clock.Now where a
// func() time.Time is wanted. The zero value is ready to use and every
// method is safe for concurrent use.
type SimClock struct {
	elapsed atomic.Int64 // nanoseconds since simEpoch
}

// NewSimClock returns a clock at the epoch.
func NewSimClock() *SimClock { return new(SimClock) }

// Now returns the simulated time.
func (c *SimClock) Now() time.Time {
	return simEpoch.Add(time.Duration(c.elapsed.Load()))
}

// Elapsed returns how far the clock has been advanced.
func (c *SimClock) Elapsed() time.Duration {
	return time.Duration(c.elapsed.Load())
}

// Advance moves the clock forward by d. Time never runs backwards, so a
// negative d panics: it is a bug in the test.
func (c *SimClock) Advance(d time.Duration) {
	if d < 0 {
		panic("transport: SimClock.Advance with negative duration")
	}
	c.elapsed.Add(int64(d))
}
