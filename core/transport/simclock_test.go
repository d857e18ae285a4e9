package transport

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSimClock(t *testing.T) {
	var c SimClock // the zero value works
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, c.Now().Equal(start), "%v", c.Now())
	assert.Equal(t, time.UTC, c.Now().Location())

	c.Advance(1500 * time.Millisecond)
	assert.Equal(t, 1500*time.Millisecond, c.Now().Sub(start))
	assert.Equal(t, 1500*time.Millisecond, c.Elapsed())
	c.Advance(0)
	assert.Equal(t, 1500*time.Millisecond, c.Elapsed())
	assert.Panics(t, func() { c.Advance(-time.Nanosecond) })

	var now func() time.Time = NewSimClock().Now // usable as a clock function
	assert.True(t, now().Equal(start))
}

func TestSimClockConcurrent(t *testing.T) {
	c := NewSimClock()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := c.Now()
			for range 1000 {
				c.Advance(time.Millisecond)
				now := c.Now()
				if now.Before(last) {
					t.Error("time went backwards")
					return
				}
				last = now
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 4*time.Second, c.Elapsed())
}
