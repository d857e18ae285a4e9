package multi

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/local"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/stretchr/testify/require"
)

const protocol = 0xfeed

// A server with a local client and two netcode clients over UDP, one IPv4
// and one IPv6: ids are distinct even where the numbers match, sends are
// routed to the right backend, and all events come through one poll.
func TestLocalAndNetcodeTogether(t *testing.T) {
	key, err := netcode.GenerateKey()
	require.NoError(t, err)
	nc, err := netcode.NewServer(netcode.ServerConfig{
		ProtocolID: protocol, PrivateKey: key,
		Addresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddrPort("[::1]:0")},
	})
	require.NoError(t, err)
	loc := local.NewServer(local.Config{})
	s, err := New(nc, loc)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	defer s.Stop()

	pub := nc.PublicAddresses()
	require.Len(t, pub, 2)
	client := func(id uint64, addr netip.AddrPort) *netcode.Client {
		c, err := netcode.NewManualClient(addr, id, protocol, key, netcode.ClientConfig{})
		require.NoError(t, err)
		require.NoError(t, c.Connect())
		t.Cleanup(func() { c.Close() })
		return c
	}
	v4, v6 := client(1, pub[0]), client(2, pub[1])
	host, err := loc.Connect(1)
	require.NoError(t, err)

	got := map[core.ClientID][]string{}
	step := func() {
		v4.Update(10 * time.Millisecond)
		v6.Update(10 * time.Millisecond)
		require.NoError(t, s.Update(10*time.Millisecond))
		var ev core.Event
		for s.PollEvent(&ev) {
			got[ev.Client] = append(got[ev.Client], ev.Type.String()+":"+string(ev.Payload))
		}
	}
	for i := 0; i < 100 && (v4.State() != core.StateConnected || v6.State() != core.StateConnected); i++ {
		step()
	}
	require.Equal(t, core.StateConnected, v4.State())
	require.Equal(t, core.StateConnected, v6.State())
	require.ElementsMatch(t, []core.ClientID{core.NetcodeID(1), core.NetcodeID(2), core.LocalID(1)}, s.ConnectedIDs(nil))
	require.Equal(t, 3, s.NumConnected())

	a4, ok := s.ClientAddr(core.NetcodeID(1))
	require.True(t, ok)
	require.True(t, a4.Addr().Is4())
	a6, ok := s.ClientAddr(core.NetcodeID(2))
	require.True(t, ok)
	require.True(t, a6.Addr().Is6())
	al, ok := s.ClientAddr(core.LocalID(1))
	require.True(t, ok)
	require.False(t, al.IsValid(), "a local client has no address")

	// Routed by kind: netcode 1 and local 1 get their own payloads.
	require.NoError(t, s.Send(core.NetcodeID(1), []byte("to netcode 1")))
	require.NoError(t, s.Send(core.NetcodeID(2), []byte("to netcode 2")))
	require.NoError(t, s.Send(core.LocalID(1), []byte("to local 1")))
	require.ErrorIs(t, s.Send(core.SteamID(1), []byte("x")), core.ErrUnknownClient)
	require.NoError(t, v4.Send([]byte("from netcode 1")))
	require.NoError(t, v6.Send([]byte("from netcode 2")))
	require.NoError(t, host.Send([]byte("from local 1")))
	step()
	receive := func(c core.Client) string {
		p, ok := c.Receive()
		require.True(t, ok)
		return string(p)
	}
	require.Equal(t, "to netcode 1", receive(v4))
	require.Equal(t, "to netcode 2", receive(v6))
	require.Equal(t, "to local 1", receive(host))
	require.Equal(t, []string{"connected:", "payload:from netcode 1"}, got[core.NetcodeID(1)])
	require.Equal(t, []string{"connected:", "payload:from netcode 2"}, got[core.NetcodeID(2)])
	require.Equal(t, []string{"connected:", "payload:from local 1"}, got[core.LocalID(1)])

	require.NoError(t, s.Broadcast([]byte("everyone")))
	step()
	for _, c := range []core.Client{v4, v6, host} {
		require.Equal(t, "everyone", receive(c))
	}

	require.NoError(t, s.Disconnect(core.LocalID(1)))
	require.Equal(t, core.StateDisconnected, host.State())
	require.Equal(t, core.StateConnected, v4.State(), "netcode 1 untouched")
	require.Equal(t, 2, s.NumConnected())
	st := s.Stats()
	require.GreaterOrEqual(t, st.PacketsReceived, uint64(3))
}

func TestOnlyLocalOpensNoSocket(t *testing.T) {
	s, err := New(local.NewServer(local.Config{}))
	require.NoError(t, err)
	require.NoError(t, s.Start())
	_, ok := s.Backend(core.KindNetcode)
	require.False(t, ok)
	b, _ := s.Backend(core.KindLocal)
	c, err := b.(*local.Server).Connect(5)
	require.NoError(t, err)
	require.NoError(t, c.Send([]byte("hi")))
	var ev core.Event
	require.True(t, s.PollEvent(&ev))
	require.Equal(t, core.EventConnected, ev.Type)
	require.NoError(t, s.Stop())
}

func TestDuplicateKindAndMisuse(t *testing.T) {
	_, err := New(local.NewServer(local.Config{}), local.NewServer(local.Config{}))
	require.ErrorIs(t, err, ErrDuplicateKind)
	s, err := New(local.NewServer(local.Config{}))
	require.NoError(t, err)
	require.ErrorIs(t, s.Update(0), core.ErrNotStarted)
	require.ErrorIs(t, s.Send(core.LocalID(1), []byte{1}), core.ErrNotStarted)
	require.NoError(t, s.Start())
	require.ErrorIs(t, s.Start(), core.ErrAlreadyStarted)
	require.ErrorIs(t, s.Send(core.LocalID(1), nil), core.ErrPayloadSize)
	require.ErrorIs(t, s.Update(-time.Second), core.ErrInvalidArgument)
}

// A local client waiting for the server connects when every backend has
// started, and not when a later backend's start fails and is rolled back.
func TestLocalClientWaitsForEveryBackend(t *testing.T) {
	key, err := netcode.GenerateKey()
	require.NoError(t, err)
	nc, err := netcode.NewServer(netcode.ServerConfig{
		ProtocolID: protocol, PrivateKey: key,
		Addresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")},
	})
	require.NoError(t, err)
	loc := local.NewServer(local.Config{})
	s, err := New(loc, nc)
	require.NoError(t, err)
	host, err := loc.Connect(1)
	require.NoError(t, err)
	require.Equal(t, core.StateSendingRequest, host.State())

	require.NoError(t, nc.Start()) // so that the multi server's start of it fails
	require.Error(t, s.Start())
	require.False(t, loc.Running(), "rolled back")
	require.Equal(t, core.StateSendingRequest, host.State(), "still waiting")
	var ev core.Event
	require.False(t, s.PollEvent(&ev), "no connect and disconnect from the failed start")

	require.NoError(t, nc.Stop())
	require.NoError(t, s.Start())
	defer s.Stop()
	require.Equal(t, core.StateConnected, host.State())
	require.True(t, s.PollEvent(&ev))
	require.Equal(t, core.Event{Type: core.EventConnected, Client: core.LocalID(1)}, ev)
}
