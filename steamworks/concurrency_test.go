package steamworks

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// A server and its clients driven from different goroutines share only
// the Library; run under -race.
func TestServerAndClientsOnTheirOwnGoroutines(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	const clients, payloads = 3, 200
	ids := []uint64{alice, bob, carol}
	var wg sync.WaitGroup
	received := make([]int, clients)
	for i := range clients {
		c, err := NewClient(r.lib, ClientConfig{Address: mustAddr("127.0.0.1:" + strconv.Itoa(int(r.port)))})
		require.NoError(t, err)
		fakeSteam.SetNextIdentity(ids[i])
		require.NoError(t, c.Connect())
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			sent := 0
			deadline := time.Now().Add(20 * time.Second)
			for received[i] < payloads && time.Now().Before(deadline) {
				if err := c.Update(time.Millisecond); err != nil {
					t.Error(err)
					return
				}
				if c.State() == core.StateConnected && sent < payloads {
					if err := c.Send([]byte{byte(i), byte(sent)}); err != nil {
						t.Error(err)
						return
					}
					sent++
				}
				for p, ok := c.Receive(); ok; p, ok = c.Receive() {
					if p[0] != byte(i) {
						t.Errorf("client %d got %v", i, p)
					}
					received[i]++
				}
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	// The server echoes until every client has its payloads back.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var ev core.Event
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		require.NoError(t, r.s.Update(time.Millisecond))
		for r.s.PollEvent(&ev) {
			if ev.Type == core.EventPayload {
				require.NoError(t, r.s.Send(ev.Client, ev.Payload))
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
	for i := range clients {
		require.Equal(t, payloads, received[i], "client %d", i)
	}
	r.until("all gone", func() bool { return r.s.NumConnected() == 0 })
}
