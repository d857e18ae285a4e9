package core

import (
	"testing"
	"time"
)

func TestAdvanceClock(t *testing.T) {
	for _, c := range []struct {
		name        string
		now, dt, to time.Duration
	}{
		{"zero", 0, 0, 0},
		{"tick", time.Second, 16 * time.Millisecond, time.Second + 16*time.Millisecond},
		{"up to the top", MaxClock - 1, 1, MaxClock},
		{"past the top", MaxClock - 1, 2, MaxClock},
		{"at the top", MaxClock, time.Hour, MaxClock},
		{"largest dt", time.Second, MaxClock, MaxClock},
		{"9.2e9 s", 0, 9_200_000_000 * time.Second, 9_200_000_000 * time.Second},
		{"9.2e9 s twice", 9_200_000_000 * time.Second, 9_200_000_000 * time.Second, MaxClock},
	} {
		if got := AdvanceClock(c.now, c.dt); got != c.to {
			t.Errorf("%s: AdvanceClock(%d, %d) = %d, want %d", c.name, c.now, c.dt, got, c.to)
		}
	}
}
