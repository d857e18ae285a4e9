package netcode

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
)

// Steady: a started server over Linux UDP sockets with nobody is steady
// and names its descriptors; a handshake, an unpolled event or a client
// that has not yet confirmed ends it; a confirmed client with nothing
// queued does not. Advance moves only the clock.
func TestSteady(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	fds, ok := s.Steady(nil)
	if runtime.GOOS != "linux" {
		require.False(t, ok, "Steady needs the Linux UDP transport's descriptors")
		return
	}
	require.True(t, ok)
	require.Len(t, fds, 1)

	s.Advance(3 * time.Second)
	require.Equal(t, 3*time.Second, s.Now())

	c := r.connect(1, s)
	require.NoError(t, c.Update(0)) // the request
	until := time.Now().Add(2 * time.Second)
	for len(s.pending) == 0 && time.Now().Before(until) {
		require.NoError(t, s.Update(0))
		time.Sleep(time.Millisecond)
	}
	_, ok = s.Steady(nil)
	require.False(t, ok, "steady in mid-handshake")
	r.untilState(c, core.StateConnected, 5*time.Second)
	require.Equal(t, 1, s.NumConnected())
	if !s.connected[0].confirmed {
		_, ok = s.Steady(nil)
		require.False(t, ok, "steady with an unconfirmed client")
	}
	r.until(time.Second, "confirmed", func() bool { return s.connected[0].confirmed })
	r.takeEvents()
	_, ok = s.Steady(nil)
	require.True(t, ok, "not steady with a confirmed client and nothing queued")

	require.NoError(t, c.Send([]byte("hello")))
	until = time.Now().Add(2 * time.Second)
	for s.events.Len() == 0 && time.Now().Before(until) {
		require.NoError(t, s.Update(0))
		time.Sleep(time.Millisecond)
	}
	_, ok = s.Steady(nil)
	require.False(t, ok, "steady with an event queued")
	r.takeEvents()

	require.NoError(t, s.SetConditioning(&Conditioning{Send: &conditioner.Config{Latency: 10 * time.Millisecond}}))
	_, ok = s.Steady(nil)
	require.False(t, ok, "steady with a link conditioner")
	require.NoError(t, s.SetConditioning(nil))
	_, ok = s.Steady(nil)
	require.True(t, ok)

	c.Disconnect()
	r.until(time.Second, "disconnected", func() bool { return s.NumConnected() == 0 })
	r.takeEvents()
	_, ok = s.Steady(nil)
	require.True(t, ok, "not steady once the client left and its events were polled")

	require.NoError(t, s.Stop())
	_, ok = s.Steady(nil)
	require.False(t, ok, "steady when stopped")
}

// ExportClient gives a client's keys, sequence and replay window as the
// server holds them; ImportClient takes back what a driver did with them,
// so the client keeps accepting what the server sends afterwards.
func TestExportImportClient(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	c := r.connect(7, s)
	r.untilState(c, core.StateConnected, 5*time.Second)
	r.until(time.Second, "confirmed", func() bool { return s.connected[0].confirmed })

	var st SteadyClient
	s.ExportClient(0, &st)
	conn := s.connected[0]
	require.Equal(t, uint64(7), st.ID)
	require.Equal(t, conn.index, st.Index)
	require.Equal(t, 0, st.Socket)
	require.Equal(t, conn.addr, st.Addr)
	require.Equal(t, conn.keys, [2]Key{st.C2S, st.S2C})
	require.NotEqual(t, Key{}, st.C2S)
	require.Same(t, &conn.replay.received, st.Replay)
	require.Equal(t, conn.sequence, st.Sequence)

	// A driver that sent 1,000 packets, saw sequence 500 and counted.
	st.Sequence += 1000
	st.ReplayRecent = 500
	st.Replay[500%ReplayWindowSize] = 500
	st.LastRecv = s.Now()
	st.Stats = core.Stats{PacketsSent: 1000, BytesSent: 50000, PacketsReceived: 3, BytesReceived: 90}
	before := conn.stats
	s.ImportClient(0, &st)
	require.Equal(t, st.Sequence, conn.sequence)
	require.Equal(t, uint64(500), conn.replay.mostRecent)
	require.True(t, conn.replay.alreadyReceived(500))
	require.Equal(t, before.PacketsSent+1000, conn.stats.PacketsSent)
	require.Equal(t, before.BytesReceived+90, conn.stats.BytesReceived)

	// The client's window accepts the jump: payloads keep arriving.
	require.NoError(t, s.Send(core.NetcodeID(7), []byte("after")))
	got := false
	r.until(time.Second, "payload at the client", func() bool {
		for p, ok := c.Receive(); ok; p, ok = c.Receive() {
			got = got || string(p) == "after"
		}
		return got
	})

	s.AddStats(core.Stats{PacketsReceived: 5})
	require.GreaterOrEqual(t, s.Stats().PacketsReceived, uint64(5))
}

// ImportPayload queues a driver's payloads in the server's own event
// queue, in order and under its bound: what does not fit is refused, as
// the server refuses its own.
func TestImportPayload(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	cfg := r.serverConfig(4)
	cfg.EventQueueSize = 3
	s := r.startServer(cfg)
	for i := range 4 {
		require.Equal(t, i < 3, s.ImportPayload(9, []byte{byte(i)}), "payload %d", i)
	}
	var ev core.Event
	for i := range 3 {
		require.True(t, s.PollEvent(&ev))
		require.Equal(t, core.Event{Type: core.EventPayload, Client: core.NetcodeID(9), Payload: []byte{byte(i)}}, ev)
	}
	require.False(t, s.PollEvent(&ev))
}
