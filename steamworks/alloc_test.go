package steamworks

import (
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// The steady-state path — send, run callbacks, receive a batch, copy into
// the queues, release, poll — allocates nothing in Go.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(alice)
	r.take()
	id := core.SteamID(alice)
	payload := make([]byte, 100)
	var ev core.Event
	round := func() {
		for range 4 {
			c.Send(payload)
			r.s.Send(id, payload)
		}
		r.s.Update(time.Millisecond)
		c.Update(time.Millisecond)
		for r.s.PollEvent(&ev) {
		}
		for _, ok := c.Receive(); ok; _, ok = c.Receive() {
		}
	}
	round() // warm the queues' buffers
	require.Zero(t, testing.AllocsPerRun(100, round))
}

func BenchmarkServerReceive(b *testing.B) {
	fakeSteam.Reset()
	lib, err := Open(LibraryOptions{Path: fakeSteam.Path})
	require.NoError(b, err)
	defer lib.Close()
	s, err := NewServer(lib, ServerConfig{Address: mustAddr("0.0.0.0:3999")})
	require.NoError(b, err)
	require.NoError(b, s.Start())
	c, err := NewClient(lib, ClientConfig{Address: mustAddr("127.0.0.1:3999")})
	require.NoError(b, err)
	require.NoError(b, c.Connect())
	for c.State() != core.StateConnected || s.NumConnected() != 1 {
		c.Update(time.Millisecond)
		s.Update(time.Millisecond)
	}
	payload := make([]byte, 100)
	var ev core.Event
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)) * 64)
	for b.Loop() {
		for range 64 {
			c.Send(payload)
		}
		s.Update(time.Millisecond)
		for s.PollEvent(&ev) {
		}
	}
}
