package netcode

import (
	"runtime"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// After clients close and the server stops, nothing the library started is
// left running.
func TestNoGoroutineLeftBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		r := newRig(t, "127.0.0.1")
		s, err := NewServer(r.serverConfig(8))
		require.NoError(t, err)
		require.NoError(t, s.Start())
		r.servers = append(r.servers, s)
		var cs []*Client
		for i := 0; i < 4; i++ {
			c := NewClient(r.token(uint64(i), s.PublicAddresses()), ClientConfig{Dial: r.dial})
			require.NoError(t, c.Connect())
			r.clients = append(r.clients, c)
			cs = append(cs, c)
		}
		r.until(time.Second, "connected", func() bool { return s.NumConnected() == 4 && allConnected(cs) })
		for _, c := range cs {
			require.NoError(t, c.Send([]byte("bye")))
			require.NoError(t, c.Close())
		}
		require.NoError(t, s.Stop())
		var ev core.Event
		for s.PollEvent(&ev) {
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before)
}
