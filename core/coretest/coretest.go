// Package coretest is the conformance suite every backend runs: the
// behaviour a game relies on whatever carries its connections — connect,
// payloads both ways and in order, disconnect from either side, server
// stop, ids of the backend's kind, and the documented errors for misuse.
package coretest

import (
	"bytes"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// Harness is what a backend's test provides.
type Harness struct {
	// Kind of the ids the backend reports.
	Kind core.Kind
	// NewServer returns a started server.
	NewServer func(t *testing.T) core.Server
	// NewClient returns a client for the server, not yet connecting; id is
	// the id the server will report (for backends whose ids are chosen by
	// the game or the token).
	NewClient func(t *testing.T, s core.Server, id uint64) core.Client
	// Step lets time pass for the datagrams in flight (a short real sleep
	// for sockets, nothing in memory). Optional.
	Step func()
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("ConnectExchange", func(t *testing.T) { connectExchange(t, h) })
	t.Run("ClientDisconnects", func(t *testing.T) { clientDisconnects(t, h) })
	t.Run("ServerDisconnects", func(t *testing.T) { serverDisconnects(t, h) })
	t.Run("ServerStops", func(t *testing.T) { serverStops(t, h) })
	t.Run("Misuse", func(t *testing.T) { misuse(t, h) })
}

// world drives one server and its clients.
type world struct {
	t      *testing.T
	h      Harness
	s      core.Server
	events []core.Event
}

func (w *world) tick(clients ...core.Client) {
	for _, c := range clients {
		require.NoError(w.t, c.Update(10*time.Millisecond))
	}
	if w.h.Step != nil {
		w.h.Step()
	}
	if w.s.Running() {
		require.NoError(w.t, w.s.Update(10*time.Millisecond))
	}
	var ev core.Event
	for w.s.PollEvent(&ev) {
		if ev.Payload != nil {
			ev.Payload = append([]byte(nil), ev.Payload...)
		}
		w.events = append(w.events, ev)
	}
}

func (w *world) take() []core.Event {
	e := w.events
	w.events = nil
	return e
}

func (w *world) until(what string, cond func() bool, clients ...core.Client) {
	w.t.Helper()
	for i := 0; ; i++ { // tick first: events are collected by ticks
		w.tick(clients...)
		if cond() {
			return
		}
		if i > 500 {
			w.t.Fatalf("%s: not reached after 5 s of simulated time", what)
		}
	}
}

func connected(t *testing.T, h Harness, n int) (*world, []core.Client) {
	w := &world{t: t, h: h, s: h.NewServer(t)}
	cs := make([]core.Client, n)
	for i := range cs {
		cs[i] = h.NewClient(t, w.s, uint64(i+1))
		require.NoError(t, cs[i].Connect())
	}
	w.until("all connected", func() bool {
		for _, c := range cs {
			if c.State() != core.StateConnected {
				return false
			}
		}
		return true
	}, cs...)
	w.until("server events", func() bool { return w.s.NumConnected() == n }, cs...)
	return w, cs
}

func connectExchange(t *testing.T, h Harness) {
	w, cs := connected(t, h, 2)
	evs := w.take()
	require.Len(t, evs, 2)
	for i, ev := range evs {
		require.Equal(t, core.EventConnected, ev.Type)
		require.Equal(t, h.Kind, ev.Client.Kind, "event %d", i)
	}
	ids := w.s.ConnectedIDs(nil)
	require.ElementsMatch(t, []core.ClientID{{Kind: h.Kind, ID: 1}, {Kind: h.Kind, ID: 2}}, ids)

	// 20 payloads each way per client, every size class, in order.
	sizes := []int{1, 2, 100, 500, core.MaxPayload}
	for i := 0; i < 20; i++ {
		for j, c := range cs {
			p := bytes.Repeat([]byte{byte(i), byte(j)}, sizes[i%len(sizes)])[:sizes[i%len(sizes)]]
			require.NoError(t, c.Send(p))
			require.NoError(t, w.s.Send(core.ClientID{Kind: h.Kind, ID: uint64(j + 1)}, p))
		}
		w.tick(cs...)
	}
	w.tick(cs...)
	w.tick(cs...)
	perClient := map[core.ClientID]int{}
	for _, ev := range w.take() {
		if ev.Type != core.EventPayload {
			continue
		}
		i := perClient[ev.Client]
		n := sizes[i%len(sizes)]
		require.Len(t, ev.Payload, n)
		require.Equal(t, byte(i), ev.Payload[0], "server: payload %d of %v in order", i, ev.Client)
		perClient[ev.Client]++
	}
	require.Equal(t, 20, perClient[core.ClientID{Kind: h.Kind, ID: 1}])
	require.Equal(t, 20, perClient[core.ClientID{Kind: h.Kind, ID: 2}])
	for j, c := range cs {
		for i := 0; i < 20; i++ {
			p, ok := c.Receive()
			require.True(t, ok, "client %d payload %d", j, i)
			require.Equal(t, sizes[i%len(sizes)], len(p))
			require.Equal(t, byte(i), p[0])
			if len(p) > 1 {
				require.Equal(t, byte(j), p[1])
			}
		}
		_, ok := c.Receive()
		require.False(t, ok)
	}
}

func clientDisconnects(t *testing.T, h Harness) {
	w, cs := connected(t, h, 1)
	w.take()
	require.NoError(t, cs[0].Disconnect())
	require.Equal(t, core.StateDisconnected, cs[0].State())
	require.Equal(t, core.ReasonLocal, cs[0].DisconnectReason())
	w.until("server sees it", func() bool { return w.s.NumConnected() == 0 })
	evs := w.take()
	require.Len(t, evs, 1)
	require.Equal(t, core.Event{Type: core.EventDisconnected, Client: core.ClientID{Kind: h.Kind, ID: 1}, Reason: core.ReasonRemote}, evs[0])
	require.ErrorIs(t, cs[0].Send([]byte{1}), core.ErrNotConnected)
}

func serverDisconnects(t *testing.T, h Harness) {
	w, cs := connected(t, h, 2)
	w.take()
	id := core.ClientID{Kind: h.Kind, ID: 1}
	require.NoError(t, w.s.Disconnect(id))
	w.tick(cs...)
	w.until("client sees it", func() bool { return cs[0].State() == core.StateDisconnected }, cs...)
	require.Equal(t, core.ReasonRemote, cs[0].DisconnectReason())
	require.Equal(t, core.StateConnected, cs[1].State())
	evs := w.take()
	require.Equal(t, core.Event{Type: core.EventDisconnected, Client: id, Reason: core.ReasonLocal}, evs[0])
	require.ErrorIs(t, w.s.Send(id, []byte{1}), core.ErrUnknownClient)
	require.Equal(t, 1, w.s.NumConnected())
}

func serverStops(t *testing.T, h Harness) {
	w, cs := connected(t, h, 1)
	w.take()
	require.NoError(t, w.s.Stop())
	require.False(t, w.s.Running())
	w.tick(cs...)
	w.until("client sees the stop", func() bool { return cs[0].State() == core.StateDisconnected }, cs...)
	evs := w.take()
	require.Len(t, evs, 1)
	require.Equal(t, core.ReasonServerStopped, evs[0].Reason)
	require.ErrorIs(t, w.s.Update(time.Millisecond), core.ErrNotStarted)
	require.ErrorIs(t, w.s.Send(core.ClientID{Kind: h.Kind, ID: 1}, []byte{1}), core.ErrNotStarted)
	require.ErrorIs(t, w.s.Flush(), core.ErrNotStarted)
}

func misuse(t *testing.T, h Harness) {
	w, cs := connected(t, h, 1)
	c := cs[0]
	id := core.ClientID{Kind: h.Kind, ID: 1}
	require.ErrorIs(t, c.Send(nil), core.ErrPayloadSize)
	require.ErrorIs(t, c.Send(make([]byte, core.MaxPayload+1)), core.ErrPayloadSize)
	require.ErrorIs(t, w.s.Send(id, nil), core.ErrPayloadSize)
	require.ErrorIs(t, w.s.Send(id, make([]byte, core.MaxPayload+1)), core.ErrPayloadSize)
	require.ErrorIs(t, w.s.Broadcast(nil), core.ErrPayloadSize)
	require.NoError(t, w.s.Flush(), "nothing queued is nothing to do")
	require.ErrorIs(t, w.s.Send(core.ClientID{Kind: h.Kind, ID: 99}, []byte{1}), core.ErrUnknownClient)
	other := core.KindLocal
	if h.Kind == core.KindLocal {
		other = core.KindNetcode
	}
	require.ErrorIs(t, w.s.Send(core.ClientID{Kind: other, ID: 1}, []byte{1}), core.ErrUnknownClient)
	require.ErrorIs(t, w.s.Disconnect(core.ClientID{Kind: h.Kind, ID: 99}), core.ErrUnknownClient)
	require.ErrorIs(t, c.Connect(), core.ErrAlreadyActive)
	require.ErrorIs(t, c.Update(-time.Second), core.ErrInvalidArgument)
	require.ErrorIs(t, w.s.Start(), core.ErrAlreadyStarted)
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Send([]byte{1}), core.ErrClosed)
}
