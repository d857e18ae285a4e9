package netcode

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
)

// Idle: a started server over Linux UDP sockets with nobody is idle and
// names its descriptors; a handshake, a client or an unpolled event ends
// it, and it comes back when they are gone. Advance moves only the clock.
func TestIdle(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	fds, ok := s.Idle(nil)
	if runtime.GOOS != "linux" {
		require.False(t, ok, "Idle needs the Linux UDP transport's descriptors")
		return
	}
	require.True(t, ok)
	require.Len(t, fds, 1)

	s.Advance(3 * time.Second)
	require.Equal(t, 3*time.Second, s.now)

	c := r.connect(1, s)
	require.NoError(t, c.Update(0)) // the request
	until := time.Now().Add(2 * time.Second)
	for len(s.pending) == 0 && time.Now().Before(until) {
		require.NoError(t, s.Update(0))
		time.Sleep(time.Millisecond)
	}
	_, ok = s.Idle(nil)
	require.False(t, ok, "idle in mid-handshake")
	r.untilState(c, core.StateConnected, 5*time.Second)
	_, ok = s.Idle(nil)
	require.False(t, ok, "idle with a client")
	c.Disconnect()
	r.until(time.Second, "disconnected", func() bool { return s.NumConnected() == 0 })
	r.takeEvents()
	_, ok = s.Idle(nil)
	require.True(t, ok, "not idle once the client left and its events were polled")

	require.NoError(t, s.SetConditioning(&Conditioning{Send: &conditioner.Config{Latency: 10 * time.Millisecond}}))
	_, ok = s.Idle(nil)
	require.False(t, ok, "idle with a link conditioner")
	require.NoError(t, s.SetConditioning(nil))
	_, ok = s.Idle(nil)
	require.True(t, ok)

	require.NoError(t, s.Stop())
	_, ok = s.Idle(nil)
	require.False(t, ok, "idle when stopped")
}
