package local

import (
	"sync"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

func started(t *testing.T, cfg Config) *Server {
	s := NewServer(cfg)
	require.NoError(t, s.Start())
	return s
}

func events(s *Server) []core.Event {
	var out []core.Event
	var ev core.Event
	for s.PollEvent(&ev) {
		if ev.Payload != nil {
			ev.Payload = append([]byte(nil), ev.Payload...)
		}
		out = append(out, ev)
	}
	return out
}

func TestExchange(t *testing.T) {
	s := started(t, Config{})
	c, err := s.Connect(1)
	require.NoError(t, err)
	require.Equal(t, core.StateConnected, c.State())
	require.Equal(t, core.LocalID(1), c.ID())
	require.Equal(t, []core.Event{{Type: core.EventConnected, Client: core.LocalID(1)}}, events(s))

	require.NoError(t, c.Send([]byte("up")))
	require.NoError(t, s.Send(core.LocalID(1), []byte("down")))
	require.NoError(t, s.Broadcast([]byte("all")))
	require.Equal(t, []core.Event{{Type: core.EventPayload, Client: core.LocalID(1), Payload: []byte("up")}}, events(s))
	p, ok := c.Receive()
	require.True(t, ok)
	require.Equal(t, "down", string(p))
	p, ok = c.Receive()
	require.True(t, ok)
	require.Equal(t, "all", string(p))
	_, ok = c.Receive()
	require.False(t, ok)

	require.Equal(t, []core.ClientID{core.LocalID(1)}, s.ConnectedIDs(nil))
	a, ok := s.ClientAddr(core.LocalID(1))
	require.True(t, ok, "connected")
	require.False(t, a.IsValid(), "no address")
	_, ok = s.ClientAddr(core.LocalID(2))
	require.False(t, ok, "not connected")
	st := s.Stats()
	require.Equal(t, uint64(1), st.PacketsReceived)
	require.Equal(t, uint64(2), st.PacketsSent)
	require.Equal(t, uint64(7), st.BytesSent)
}

func TestDisconnectFromEitherSide(t *testing.T) {
	s := started(t, Config{})
	c, _ := s.Connect(1)
	events(s)
	require.NoError(t, c.Disconnect())
	require.Equal(t, core.StateDisconnected, c.State())
	require.Equal(t, core.ReasonLocal, c.DisconnectReason())
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.LocalID(1), Reason: core.ReasonRemote}}, events(s))
	require.ErrorIs(t, c.Send([]byte{1}), core.ErrNotConnected)

	require.NoError(t, c.Connect(), "a local client reconnects")
	events(s)
	require.NoError(t, s.Disconnect(core.LocalID(1)))
	require.Equal(t, core.StateDisconnected, c.State())
	require.Equal(t, core.ReasonRemote, c.DisconnectReason())
	require.Equal(t, core.ReasonLocal, events(s)[0].Reason)
	require.ErrorIs(t, s.Send(core.LocalID(1), []byte{1}), core.ErrUnknownClient)

	require.NoError(t, c.Connect())
	require.NoError(t, s.Stop())
	require.Equal(t, core.StateDisconnected, c.State())
	evs := events(s)
	require.Equal(t, core.ReasonServerStopped, evs[len(evs)-1].Reason)
	// Connect on a stopped server waits for the next start.
	require.NoError(t, c.Connect())
	require.Equal(t, core.StateSendingRequest, c.State())
	require.NoError(t, s.Start())
	require.Equal(t, core.StateConnected, c.State())
}

func TestLimitsAndHook(t *testing.T) {
	s := started(t, Config{MaxClients: 2, Accept: func(r core.ConnectRequest) bool { return r.Client.ID != 13 }})
	_, err := s.Connect(1)
	require.NoError(t, err)
	_, err = s.Connect(1)
	require.ErrorIs(t, err, core.ErrInvalidArgument, "id in use")
	denied, err := s.Connect(13)
	require.NoError(t, err)
	require.Equal(t, core.StateConnectionDenied, denied.State())
	_, err = s.Connect(2)
	require.NoError(t, err)
	full, err := s.Connect(3)
	require.NoError(t, err)
	require.Equal(t, core.StateConnectionDenied, full.State())
	require.Equal(t, 2, s.NumConnected())
}

func TestMisuse(t *testing.T) {
	s := NewServer(Config{})
	require.ErrorIs(t, s.Update(time.Millisecond), core.ErrNotStarted)
	require.NoError(t, s.Start())
	require.ErrorIs(t, s.Start(), core.ErrAlreadyStarted)
	c, _ := s.Connect(1)
	require.ErrorIs(t, c.Send(nil), core.ErrPayloadSize)
	require.ErrorIs(t, c.Send(make([]byte, core.MaxPayload+1)), core.ErrPayloadSize)
	require.ErrorIs(t, s.Send(core.NetcodeID(1), []byte{1}), core.ErrUnknownClient, "wrong kind")
	require.ErrorIs(t, c.Connect(), core.ErrAlreadyActive)
	require.ErrorIs(t, c.Update(-1), core.ErrInvalidArgument)
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Send([]byte{1}), core.ErrClosed)
	require.ErrorIs(t, c.Update(0), core.ErrClosed)
}

// The payload the client reads is the one buffer the server copied into:
// one copy per payload, none per poll, and no allocation in steady state.
func TestOneCopyNoAllocs(t *testing.T) {
	s := started(t, Config{})
	c, _ := s.Connect(1)
	events(s)
	p := make([]byte, 100)
	var ev core.Event
	allocs := testing.AllocsPerRun(1000, func() {
		c.Send(p)
		s.PollEvent(&ev)
		s.Send(core.LocalID(1), p)
		c.Receive()
	})
	require.Zero(t, allocs)
}

// The client and the server on different goroutines (run with -race).
func TestConcurrentSides(t *testing.T) {
	s := started(t, Config{QueueSize: 1 << 16})
	c, _ := s.Connect(1)
	events(s)
	const n = 5000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			c.Send([]byte{byte(i)})
			c.Receive()
		}
	}()
	got := 0
	var ev core.Event
	for got < n {
		s.Update(time.Millisecond)
		for s.PollEvent(&ev) {
			if ev.Type == core.EventPayload {
				require.Equal(t, byte(got), ev.Payload[0], "in order")
				got++
				s.Send(ev.Client, ev.Payload)
			}
		}
	}
	wg.Wait()
}

// The clock saturates: two updates whose sum overflows time.Duration
// leave the time since a peer's last message at the top, not negative.
func TestHugeUpdatesSaturate(t *testing.T) {
	s := started(t, Config{})
	_, err := s.Connect(1)
	require.NoError(t, err)
	huge := 9_200_000_000 * time.Second
	require.NoError(t, s.Update(huge))
	require.NoError(t, s.Update(huge))
	st, ok := s.ClientStats(core.LocalID(1))
	require.True(t, ok)
	require.Equal(t, core.MaxClock, st.SinceLastReceive)
}

// A client whose Connect comes before the server starts waits, connecting,
// and connects when it starts, in the order of the Connect calls; one that
// gives up first does not; the accept hook and the limit apply at start.
func TestConnectBeforeStart(t *testing.T) {
	s := NewServer(Config{MaxClients: 2, Accept: func(r core.ConnectRequest) bool { return r.Client.ID != 13 }})
	b, err := s.Connect(2)
	require.NoError(t, err)
	a, err := s.Connect(1)
	require.NoError(t, err)
	for _, c := range []*Client{a, b} {
		require.Equal(t, core.StateSendingRequest, c.State())
		require.Equal(t, core.ReasonNone, c.DisconnectReason())
		require.ErrorIs(t, c.Send([]byte{1}), core.ErrNotConnected)
		require.ErrorIs(t, c.Connect(), core.ErrAlreadyActive)
	}
	_, err = s.Connect(1)
	require.ErrorIs(t, err, core.ErrInvalidArgument, "id 1 is waiting")
	gaveUp, err := s.Connect(3)
	require.NoError(t, err)
	require.NoError(t, gaveUp.Disconnect())
	require.Equal(t, core.StateDisconnected, gaveUp.State())
	require.Equal(t, core.ReasonLocal, gaveUp.DisconnectReason())
	closed, err := s.Connect(4)
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	denied, err := s.Connect(13)
	require.NoError(t, err)
	full, err := s.Connect(5)
	require.NoError(t, err)
	require.Zero(t, s.NumConnected())
	require.Empty(t, events(s))

	require.NoError(t, s.Start())
	require.Equal(t, core.StateConnected, b.State())
	require.Equal(t, core.StateConnected, a.State())
	require.Equal(t, core.StateDisconnected, gaveUp.State())
	require.Equal(t, core.StateConnectionDenied, denied.State(), "the hook refuses 13")
	require.Equal(t, core.StateConnectionDenied, full.State(), "two are connected already")
	require.Equal(t, []core.Event{
		{Type: core.EventConnected, Client: core.LocalID(2)},
		{Type: core.EventConnected, Client: core.LocalID(1)},
	}, events(s))
	require.NoError(t, a.Send([]byte("up")))
	require.NoError(t, s.Send(core.LocalID(2), []byte("down")))
	require.Equal(t, []core.Event{{Type: core.EventPayload, Client: core.LocalID(1), Payload: []byte("up")}}, events(s))
	p, ok := b.Receive()
	require.True(t, ok)
	require.Equal(t, "down", string(p))
	// The freed id may wait again, and Connect on a running server is
	// immediate as before.
	require.NoError(t, gaveUp.Connect())
	require.Equal(t, core.StateConnectionDenied, gaveUp.State(), "still full")
}

// StartHeld starts without connecting the waiting clients; ConnectPending
// does, and only on a running server.
func TestStartHeld(t *testing.T) {
	s := NewServer(Config{})
	c, err := s.Connect(1)
	require.NoError(t, err)
	s.ConnectPending()
	require.Equal(t, core.StateSendingRequest, c.State(), "not running: nothing to connect to")
	require.NoError(t, s.StartHeld())
	require.Equal(t, core.StateSendingRequest, c.State())
	require.Empty(t, events(s))
	s.ConnectPending()
	require.Equal(t, core.StateConnected, c.State())
	require.Len(t, events(s), 1)
}

// Close ends the wait: the client is disconnected, and neither it nor the
// server can start again.
func TestCloseWhileWaiting(t *testing.T) {
	s := NewServer(Config{})
	c, err := s.Connect(1)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Equal(t, core.StateDisconnected, c.State())
	require.Equal(t, core.ReasonServerStopped, c.DisconnectReason())
	require.ErrorIs(t, c.Connect(), core.ErrNotStarted)
	_, err = s.Connect(2)
	require.ErrorIs(t, err, core.ErrNotStarted)
	require.ErrorIs(t, s.Start(), core.ErrClosed)
	require.Empty(t, events(s))
}
