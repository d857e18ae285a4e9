package tokenservice

import (
	"math"
	"sync"
	"time"
)

// Rate is a token bucket: Burst requests at once, refilled at PerSecond.
// A zero Rate disables the limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// maxBuckets bounds a limiter's memory under a flood of distinct keys;
// when full, buckets that have refilled are dropped, and if none has, new
// keys are refused (fail closed). A sweep walks every bucket, so it runs
// at most once per sweepInterval.
const (
	maxBuckets    = 100_000
	sweepInterval = time.Second
)

type bucket struct {
	tokens float64
	last   time.Time
}

// limiter keeps one token bucket per key (client IP or subject).
type limiter struct {
	rate      Rate
	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

func newLimiter(r Rate) *limiter {
	return &limiter{rate: r, buckets: make(map[string]*bucket)}
}

// allow takes a token for key, or says how long until one is available.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l.rate.PerSecond <= 0 || l.rate.Burst <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets && !l.sweep(now) {
			return false, time.Second
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+dt*l.rate.PerSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second))
	return false, wait
}

// sweep drops full buckets (they behave like absent ones) and reports
// whether it freed any room.
func (l *limiter) sweep(now time.Time) bool {
	if now.Sub(l.lastSweep) < sweepInterval {
		return false
	}
	l.lastSweep = now
	before := len(l.buckets)
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate.PerSecond >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	return len(l.buckets) < before
}
