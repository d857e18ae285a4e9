package steamworks

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/multi"
	"github.com/stretchr/testify/require"
)

var _ multi.Backend = (*Server)(nil)

const (
	alice uint64 = 76561198000000001
	bob   uint64 = 76561198000000002
	carol uint64 = 76561198000000003
)

func TestConnectAcceptExchange(t *testing.T) {
	var reqs []core.ConnectRequest
	r := newRig(t, fakeSteam, ServerConfig{Accept: func(req core.ConnectRequest) bool {
		reqs = append(reqs, req)
		return true
	}})
	c := r.client(alice)
	require.Equal(t, core.StateSendingRequest, c.State())
	r.until("connected", func() bool { return c.State() == core.StateConnected && r.s.NumConnected() == 1 })

	id := core.SteamID(alice)
	require.Equal(t, []core.Event{{Type: core.EventConnected, Client: id}}, r.take())
	require.Len(t, reqs, 1)
	require.Equal(t, id, reqs[0].Client)
	require.Equal(t, netip.MustParseAddrPort("127.0.0.1:50000"), reqs[0].Addr)
	require.Equal(t, [core.UserDataSize]byte{}, *reqs[0].UserData)
	require.Equal(t, []core.ClientID{id}, r.s.ConnectedIDs(nil))
	addr, ok := r.s.ClientAddr(id)
	require.True(t, ok)
	require.Equal(t, netip.MustParseAddrPort("127.0.0.1:50000"), addr)
	ud, ok := r.s.ClientUserData(id)
	require.True(t, ok)
	require.Equal(t, [core.UserDataSize]byte{}, ud)
	require.Equal(t, core.SteamID(76561197960287930), c.ID(), "the client's own SteamID, from GetIdentity")

	// Both ways, every size, contents checked.
	for i, n := range []int{1, 2, 100, 1199, core.MaxPayload} {
		up := bytes.Repeat([]byte{byte(i), 'u'}, n)[:n]
		down := bytes.Repeat([]byte{byte(i), 'd'}, n)[:n]
		require.NoError(t, c.Send(up))
		require.NoError(t, r.s.Send(id, down))
		r.tick()
		evs := r.take()
		require.Equal(t, []core.Event{{Type: core.EventPayload, Client: id, Payload: up}}, evs)
		got, ok := c.Receive()
		require.True(t, ok)
		require.Equal(t, down, got)
		_, ok = c.Receive()
		require.False(t, ok)
	}
	require.Equal(t, 1, fakeSteam.Counter("last_send_flags"), "unreliable, no Nagle")

	sum := uint64(1 + 2 + 100 + 1199 + core.MaxPayload)
	st := r.s.Stats()
	require.Equal(t, uint64(5), st.PacketsSent)
	require.Equal(t, uint64(5), st.PacketsReceived)
	require.Equal(t, sum, st.BytesSent)
	require.Equal(t, sum, st.BytesReceived)
	require.Zero(t, st.Dropped())
	cs, ok := r.s.ClientStats(id)
	require.True(t, ok)
	require.Equal(t, uint64(5), cs.PacketsReceived)
	require.Equal(t, time.Duration(0), cs.SinceLastReceive)
	r.s.Update(time.Second)
	cs, _ = r.s.ClientStats(id)
	require.Equal(t, time.Second, cs.SinceLastReceive)
	ccs := c.Stats()
	require.Equal(t, uint64(5), ccs.PacketsSent)
	require.Equal(t, sum, ccs.BytesReceived)

	status, err := r.s.ConnectionStatus(id)
	require.NoError(t, err)
	require.Equal(t, 3, status.State)
	require.Equal(t, 7*time.Millisecond, status.Ping)
	require.Equal(t, float32(1), status.QualityLocal)
	require.Equal(t, 256000, status.SendRateBytesPerSec)
	require.Equal(t, 1500*time.Microsecond, status.QueueTime)
	cstatus, err := c.ConnectionStatus()
	require.NoError(t, err)
	require.Equal(t, 3, cstatus.State)

	// Broadcast reaches every client.
	c2 := r.connect(bob)
	r.take()
	require.NoError(t, r.s.Broadcast([]byte("all")))
	r.tick()
	for _, cl := range []*Client{c, c2} {
		p, ok := cl.Receive()
		require.True(t, ok)
		require.Equal(t, []byte("all"), p)
	}
}

func TestRejectByHook(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{Accept: func(req core.ConnectRequest) bool {
		return req.Client.ID != bob
	}})
	c := r.client(bob)
	r.until("denied", func() bool { return c.State() == core.StateConnectionDenied })
	require.Equal(t, core.ReasonDenied, c.DisconnectReason())
	code, debug := c.EndReason()
	require.Equal(t, EndReasonRejected, code)
	require.Equal(t, "refused by the server", debug)
	require.Empty(t, r.take(), "no event for a refused client")
	require.Equal(t, uint64(1), r.s.Stats().DroppedRejected)
	require.Zero(t, fakeSteam.Counter("accepts"))
	require.ErrorIs(t, c.Send([]byte{1}), core.ErrNotConnected)

	// The hook's other answer, and a denied client may try again.
	r.connect(alice)
	fakeSteam.SetNextIdentity(bob)
	require.NoError(t, c.Connect())
	r.until("denied again", func() bool { return c.State() == core.StateConnectionDenied })
}

func TestRejectWhenFull(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{MaxClients: 1})
	first := r.connect(alice)
	second := r.client(bob)
	r.until("denied", func() bool { return second.State() == core.StateConnectionDenied })
	code, _ := second.EndReason()
	require.Equal(t, EndReasonServerFull, code)
	require.Equal(t, core.StateConnected, first.State())
	require.Equal(t, 1, r.s.NumConnected())

	// A slot frees when the first leaves.
	require.NoError(t, first.Disconnect())
	r.until("gone", func() bool { return r.s.NumConnected() == 0 })
	require.NoError(t, second.Connect())
	r.until("second in", func() bool { return second.State() == core.StateConnected })
}

func TestRejectDuplicateID(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	r.connect(alice)
	dup := r.client(alice)
	r.until("denied", func() bool { return dup.State() == core.StateConnectionDenied })
	code, _ := dup.EndReason()
	require.Equal(t, EndReasonDuplicate, code)
	require.Equal(t, 1, r.s.NumConnected())
}

// An empty message (pData NULL) and an oversized one are dropped and
// counted, and still released.
func TestInvalidMessagesDroppedAndReleased(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(alice)
	r.take()
	srvConn := r.serverConn(alice)

	require.Equal(t, 1, fakeSteam.Send(c.conn, nil))
	require.Equal(t, 1, fakeSteam.Send(c.conn, make([]byte, core.MaxPayload+1)))
	require.Equal(t, 1, fakeSteam.Send(c.conn, []byte("ok")))
	require.Equal(t, 1, fakeSteam.Send(srvConn, nil))
	require.Equal(t, 1, fakeSteam.Send(srvConn, make([]byte, core.MaxPayload+1)))
	require.Equal(t, 5, fakeSteam.LiveMessages(), "queued in the double")
	r.tick()
	require.Zero(t, fakeSteam.LiveMessages(), "every message released")
	require.Equal(t, []core.Event{{Type: core.EventPayload, Client: core.SteamID(alice), Payload: []byte("ok")}}, r.take())
	require.Equal(t, uint64(2), r.s.Stats().DroppedMalformed)
	cs, _ := r.s.ClientStats(core.SteamID(alice))
	require.Equal(t, uint64(2), cs.DroppedMalformed)
	require.Equal(t, uint64(2), c.Stats().DroppedMalformed)
	_, ok := c.Receive()
	require.False(t, ok)
}

// A larger configured payload limit is honoured both ways.
func TestConfiguredPayloadLimit(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{MaxPayload: 4000})
	c, err := NewClient(r.lib, ClientConfig{Address: mustAddr(fmt.Sprintf("127.0.0.1:%d", r.port)), MaxPayload: 4000})
	require.NoError(t, err)
	r.clients = append(r.clients, c)
	require.NoError(t, c.Connect())
	r.until("connected", func() bool { return c.State() == core.StateConnected && r.s.NumConnected() == 1 })
	big := bytes.Repeat([]byte{7}, 4000)
	require.NoError(t, c.Send(big))
	require.NoError(t, r.s.Send(core.SteamID(76561197960287930), big))
	require.ErrorIs(t, c.Send(make([]byte, 4001)), core.ErrPayloadSize)
	r.tick()
	evs := r.take()
	require.Equal(t, big, evs[len(evs)-1].Payload)
	p, ok := c.Receive()
	require.True(t, ok)
	require.Equal(t, big, p)
}

// More messages than one receive batch, in one update, in order.
func TestManyMessagesInOrder(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(alice)
	r.take()
	const n = 5*receiveBatch + 3
	for i := range n {
		require.NoError(t, c.Send([]byte{byte(i), byte(i >> 8)}))
		require.NoError(t, r.s.Send(core.SteamID(alice), []byte{byte(i), byte(i >> 8)}))
	}
	r.tick()
	evs := r.take()
	require.Len(t, evs, n)
	for i, ev := range evs {
		require.Equal(t, []byte{byte(i), byte(i >> 8)}, ev.Payload)
	}
	for i := range n {
		p, ok := c.Receive()
		require.True(t, ok)
		require.Equal(t, []byte{byte(i), byte(i >> 8)}, p)
	}
	require.Zero(t, fakeSteam.LiveMessages())
}

func TestClientClosesConnection(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(alice)
	r.take()
	// Sent just before leaving: delivered before the disconnect event.
	require.NoError(t, c.Send([]byte("last words")))
	require.NoError(t, c.Disconnect())
	require.Equal(t, core.StateDisconnected, c.State())
	require.Equal(t, core.ReasonLocal, c.DisconnectReason())
	r.until("server sees it", func() bool { return r.s.NumConnected() == 0 })
	require.Equal(t, []core.Event{
		{Type: core.EventPayload, Client: core.SteamID(alice), Payload: []byte("last words")},
		{Type: core.EventDisconnected, Client: core.SteamID(alice), Reason: core.ReasonRemote},
	}, r.take())
	require.NoError(t, c.Disconnect(), "idle: no-op")
}

func TestServerClosesConnection(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(alice)
	other := r.connect(bob)
	r.take()
	for _, p := range []string{"one", "two"} {
		require.NoError(t, r.s.Send(core.SteamID(alice), []byte(p)))
	}
	require.NoError(t, r.s.Disconnect(core.SteamID(alice)))
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.SteamID(alice), Reason: core.ReasonLocal}}, r.take())
	require.ErrorIs(t, r.s.Send(core.SteamID(alice), []byte{1}), core.ErrUnknownClient)
	r.until("client sees it", func() bool { return c.State() == core.StateDisconnected })
	require.Equal(t, core.ReasonRemote, c.DisconnectReason())
	code, debug := c.EndReason()
	require.Equal(t, EndReasonDisconnect, code)
	require.Equal(t, "disconnected by the server", debug)
	for _, want := range []string{"one", "two"} {
		p, ok := c.Receive()
		require.True(t, ok, "sent before the disconnect")
		require.Equal(t, want, string(p))
	}
	require.Equal(t, core.StateConnected, other.State())

	require.NoError(t, r.s.DisconnectAll())
	r.until("other sees it", func() bool { return other.State() == core.StateDisconnected })
	require.Zero(t, r.s.NumConnected())
}

func TestTimeouts(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(alice)
	r.take()
	// The server detects a problem with the client.
	fakeSteam.Problem(r.serverConn(alice))
	r.until("server times out", func() bool { return r.s.NumConnected() == 0 })
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.SteamID(alice), Reason: core.ReasonTimedOut}}, r.take())
	// The client detects one on its side.
	fakeSteam.Problem(c.conn)
	r.until("client times out", func() bool { return c.State() == core.StateConnectionTimedOut })
	require.Equal(t, core.ReasonTimedOut, c.DisconnectReason())
	code, debug := c.EndReason()
	require.Equal(t, 5003, code)
	require.Equal(t, "timed out", debug)
}

// Connecting to nobody: the attempt fails as a request timeout.
func TestConnectToNobody(t *testing.T) {
	lib := openFake(t, fakeSteam, LibraryOptions{})
	c, err := NewClient(lib, ClientConfig{Address: mustAddr("127.0.0.1:9")})
	require.NoError(t, err)
	require.NoError(t, c.Connect())
	require.ErrorIs(t, c.Connect(), core.ErrAlreadyActive)
	require.NoError(t, c.Update(time.Millisecond))
	require.Equal(t, core.StateConnectionRequestTimeout, c.State())
	require.Equal(t, core.ReasonRequestTimedOut, c.DisconnectReason())
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Connect(), core.ErrClosed)
}

func TestServerStop(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	a := r.connect(alice)
	b := r.connect(bob)
	pending := r.client(carol) // not yet handled by the server
	r.take()
	require.NoError(t, r.s.Stop())
	require.False(t, r.s.Running())
	require.ElementsMatch(t, []core.Event{
		{Type: core.EventDisconnected, Client: core.SteamID(alice), Reason: core.ReasonServerStopped},
		{Type: core.EventDisconnected, Client: core.SteamID(bob), Reason: core.ReasonServerStopped},
	}, r.take())
	require.ErrorIs(t, r.s.Update(time.Millisecond), core.ErrNotStarted)
	require.ErrorIs(t, r.s.Send(core.SteamID(alice), []byte{1}), core.ErrNotStarted)
	require.ErrorIs(t, r.s.Broadcast([]byte{1}), core.ErrNotStarted)
	require.ErrorIs(t, r.s.DisconnectAll(), core.ErrNotStarted)
	require.NoError(t, r.s.Stop(), "stopping twice")
	r.until("clients see the stop", func() bool {
		return a.State() == core.StateDisconnected && b.State() == core.StateDisconnected && !pending.State().IsConnecting()
	})
	code, _ := a.EndReason()
	require.Equal(t, EndReasonServerStopped, code)
	require.Zero(t, fakeSteam.Handles(), "every handle freed on both sides")

	// Started again, it serves again.
	require.NoError(t, r.s.Start())
	require.NoError(t, a.Connect())
	r.until("back", func() bool { return a.State() == core.StateConnected && r.s.NumConnected() == 1 })
}

// A P2P server on a virtual port; its clients come through the relay, so
// their address is unknown.
func TestP2P(t *testing.T) {
	lib := openFake(t, fakeSteam, LibraryOptions{})
	r := newRigOn(t, fakeSteam, lib, ServerConfig{Mode: ModeP2P, VirtualPort: 7})
	require.Equal(t, 1, fakeSteam.Counter("init_relay"), "a P2P listen asks for relay access")
	c, err := NewClient(lib, ClientConfig{Mode: ModeP2P, ServerSteamID: 76561197960287930, VirtualPort: 7})
	require.NoError(t, err)
	r.clients = append(r.clients, c)
	fakeSteam.SetNextIdentity(alice)
	require.NoError(t, c.Connect())
	r.until("connected", func() bool { return c.State() == core.StateConnected && r.s.NumConnected() == 1 })
	require.Equal(t, 1, fakeSteam.Counter("init_relay"), "once per library")
	a, ok := r.s.ClientAddr(core.SteamID(alice))
	require.True(t, ok, "connected")
	require.False(t, a.IsValid(), "relayed: no address")
	require.NoError(t, c.Send([]byte("p2p")))
	r.tick()
	evs := r.take()
	require.Equal(t, []byte("p2p"), evs[len(evs)-1].Payload)

	// Wrong port: nobody answers.
	wrong, err := NewClient(lib, ClientConfig{Mode: ModeP2P, ServerSteamID: 76561197960287930, VirtualPort: 8})
	require.NoError(t, err)
	r.clients = append(r.clients, wrong)
	require.NoError(t, wrong.Connect())
	r.until("no answer", func() bool { return wrong.State() == core.StateConnectionRequestTimeout })
}

// GameNetworkingSockets: IP peers have no SteamID; the id comes from the
// address. P2P is refused up front.
func TestGNSFlavour(t *testing.T) {
	r := newRig(t, fakeGNS, ServerConfig{})
	c := r.connect(0)
	want := core.SteamID(0x7f000001<<16 | 50000)
	require.Equal(t, []core.ClientID{want}, r.s.ConnectedIDs(nil))
	addr, ok := r.s.ClientAddr(want)
	require.True(t, ok)
	require.Equal(t, netip.MustParseAddrPort("127.0.0.1:50000"), addr)
	require.Equal(t, core.SteamID(0), c.ID(), "a GNS client cannot know its id")
	require.NoError(t, r.s.Send(want, []byte("gns")))
	r.tick()
	p, ok := c.Receive()
	require.True(t, ok)
	require.Equal(t, "gns", string(p))
	require.Zero(t, fakeGNS.Counter("init_authentication"))

	_, err := NewServer(r.lib, ServerConfig{Mode: ModeP2P})
	require.ErrorIs(t, err, ErrUnsupported)
	_, err = NewClient(r.lib, ClientConfig{Mode: ModeP2P, ServerSteamID: 1})
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestConfigErrors(t *testing.T) {
	lib := openFake(t, fakeSteam, LibraryOptions{})
	for _, cfg := range []ServerConfig{
		{}, {Address: mustAddr("0.0.0.0:0")}, {Mode: 5},
		{Address: mustAddr("0.0.0.0:1"), MaxClients: -1},
		{Address: mustAddr("0.0.0.0:1"), MaxPayload: maxSteamMessage + 1},
		{Mode: ModeP2P, VirtualPort: -1},
	} {
		_, err := NewServer(lib, cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, "%+v", cfg)
	}
	for _, cfg := range []ClientConfig{
		{}, {Address: mustAddr("0.0.0.0:1")}, {Address: mustAddr("1.2.3.4:0")}, {Mode: 5},
		{Mode: ModeP2P}, {Address: mustAddr("1.2.3.4:1"), MaxPayload: -1},
	} {
		_, err := NewClient(lib, cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, "%+v", cfg)
	}
	// The address is in use: Steam refuses the socket.
	s1, err := NewServer(lib, ServerConfig{Address: mustAddr("0.0.0.0:4000")})
	require.NoError(t, err)
	require.NoError(t, s1.Start())
	defer s1.Stop()
	s2, err := NewServer(lib, ServerConfig{Address: mustAddr("127.0.0.1:4000")})
	require.NoError(t, err)
	require.ErrorIs(t, s2.Start(), ErrSocket)
	require.False(t, s2.Running())
}
