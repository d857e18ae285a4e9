package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// Two clients with the same address on two transports of one server (a
// UDP client and a browser session the transport numbered alike) are two
// clients: the server keys them by transport and address.
func TestListenerAddressesDoNotCollide(t *testing.T) {
	r, udpNet := newMemRig(t)
	webNet := transport.NewMemNetwork()
	cfg := r.serverConfig(4)
	cfg.Listeners = []Listener{{
		Name:   "mem://web",
		Open:   func() (transport.Transport, error) { return webNet.Listen(netip.MustParseAddrPort("10.0.0.1:7000")) },
		Public: netip.MustParseAddrPort("10.0.0.1:0"), // port 0: the listener's
	}}
	s := r.startServer(cfg)
	pub := s.PublicAddresses()
	require.Len(t, pub, 2)
	require.Equal(t, netip.MustParseAddrPort("10.0.0.1:7000"), pub[1])

	same := netip.MustParseAddrPort("10.0.0.2:5000")
	dialOn := func(nw *transport.MemNetwork) func(netip.AddrPort) (transport.Transport, error) {
		return func(netip.AddrPort) (transport.Transport, error) { return nw.Listen(same) }
	}
	a := NewClient(r.token(1, pub[:1]), ClientConfig{ClientID: 1, Dial: dialOn(udpNet)})
	b := NewClient(r.token(2, pub[1:]), ClientConfig{ClientID: 2, Dial: dialOn(webNet)})
	for _, c := range []*Client{a, b} {
		r.clients = append(r.clients, c)
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.Connect())
	}
	r.until(time.Second, "both connected", func() bool {
		return a.State() == core.StateConnected && b.State() == core.StateConnected
	})
	require.Equal(t, 2, s.NumConnected())
	aAddr, _ := s.ClientAddr(core.NetcodeID(1))
	bAddr, _ := s.ClientAddr(core.NetcodeID(2))
	require.Equal(t, aAddr, bAddr, "same address, two clients")

	require.NoError(t, s.Send(core.NetcodeID(1), []byte("to a")))
	require.NoError(t, s.Send(core.NetcodeID(2), []byte("to b")))
	r.step(10 * time.Millisecond)
	p, ok := a.Receive()
	require.True(t, ok)
	require.Equal(t, "to a", string(p))
	p, ok = b.Receive()
	require.True(t, ok)
	require.Equal(t, "to b", string(p))

	require.NoError(t, s.Disconnect(core.NetcodeID(2)))
	r.until(time.Second, "b disconnected", func() bool { return b.State() == core.StateDisconnected })
	require.Equal(t, core.StateConnected, a.State())
	require.Equal(t, 1, s.NumConnected())
}

func TestListenerConfigChecked(t *testing.T) {
	_, err := NewServer(ServerConfig{Listeners: []Listener{{Name: "x"}}})
	require.ErrorIs(t, err, ErrInvalidConfig)
	// A listener alone is enough; its unspecified address needs a Public.
	nw := transport.NewMemNetwork()
	s, err := NewServer(ServerConfig{Listeners: []Listener{{Name: "any", Open: func() (transport.Transport, error) {
		return nw.Listen(netip.MustParseAddrPort("0.0.0.0:7000"))
	}}}})
	require.NoError(t, err)
	require.ErrorIs(t, s.Start(), ErrInvalidConfig)
	require.False(t, s.Running())
	_, err = nw.Listen(netip.MustParseAddrPort("0.0.0.0:7000"))
	require.NoError(t, err, "the failed Start closed the listener")
}
