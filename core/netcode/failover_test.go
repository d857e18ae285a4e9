package netcode

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// errNoIPv6 is what opening an IPv6 socket gives on a kernel without IPv6.
var errNoIPv6 = &net.OpError{Op: "listen", Net: "udp", Err: os.NewSyscallError("socket", syscall.EAFNOSUPPORT)}

// noIPv6Client is a client on a host that cannot open IPv6 sockets: its
// Dial fails for IPv6 servers as the default one does there, and opens a
// real IPv4 socket otherwise. dials counts the attempts to open one.
func (r *rig) noIPv6Client(clientID uint64, token []byte, dials *int) *Client {
	dial := func(server netip.AddrPort) (transport.Transport, error) {
		*dials++
		if !server.Addr().Unmap().Is4() {
			return nil, errNoIPv6
		}
		return r.dial(server)
	}
	c := NewClient(token, ClientConfig{ClientID: clientID, Dial: dial})
	r.clients = append(r.clients, c)
	r.t.Cleanup(func() { c.Close() })
	return c
}

// A token address whose socket cannot be opened is skipped like one that
// timed out: the client goes on with the next address.
func TestFailoverPastUnopenableAddress(t *testing.T) {
	v6 := netip.MustParseAddrPort("[2001:db8::1]:40000")
	// Each case has its own rig: the rig fails the test it was made for.
	setup := func(t *testing.T) (*rig, netip.AddrPort) {
		r := newRig(t, "127.0.0.1")
		return r, r.startServer(r.serverConfig(4)).PublicAddresses()[0]
	}

	t.Run("first address", func(t *testing.T) {
		r, server := setup(t)
		var dials int
		c := r.noIPv6Client(1, r.token(1, []netip.AddrPort{v6, server}), &dials)
		require.NoError(t, c.Connect())
		require.Equal(t, server, c.ServerAddr())
		require.Equal(t, core.StateSendingRequest, c.State())
		r.untilState(c, core.StateConnected, time.Second)
		require.Equal(t, 2, dials)
	})
	t.Run("after a timeout", func(t *testing.T) {
		r, server := setup(t)
		var dials int
		c := r.noIPv6Client(2, r.token(2, []netip.AddrPort{r.deadAddr(), v6, server}), &dials)
		require.NoError(t, c.Connect())
		r.untilState(c, core.StateConnected, 6*time.Second)
		require.Equal(t, server, c.ServerAddr())
		require.Equal(t, 3, dials)
	})
	t.Run("none usable", func(t *testing.T) {
		r, _ := setup(t)
		var dials int
		other := netip.MustParseAddrPort("[2001:db8::2]:40000")
		c := r.noIPv6Client(3, r.token(3, []netip.AddrPort{v6, other}), &dials)
		err := c.Connect()
		require.ErrorIs(t, err, syscall.EAFNOSUPPORT)
		require.ErrorContains(t, err, other.String(), "every address's error is reported")
		require.Equal(t, core.StateDisconnected, c.State())
		require.Equal(t, core.ReasonTransportError, c.DisconnectReason())
		require.Equal(t, 2, dials)
	})
	t.Run("none usable after a timeout", func(t *testing.T) {
		r, _ := setup(t)
		var dials int
		c := r.noIPv6Client(4, r.token(4, []netip.AddrPort{r.deadAddr(), v6}), &dials)
		require.NoError(t, c.Connect())
		r.untilState(c, core.StateConnectionRequestTimeout, 6*time.Second)
		require.Equal(t, core.ReasonRequestTimedOut, c.DisconnectReason())
		require.NoError(t, c.Update(time.Second), "a client whose last socket failed updates as an idle one")
		require.Equal(t, netip.AddrPort{}, c.LocalAddr())
	})
}

// DialUDP on a host without IPv6, where a [::] socket falls back to IPv4:
// it refuses an IPv6 server at once (a socket that could never reach it
// would cost the client a timeout) and still dials IPv4 ones.
func TestDialUDPWithoutIPv6(t *testing.T) {
	real := listenUDP
	var opened []*transport.UDP
	listenUDP = func(a netip.AddrPort) (*transport.UDP, error) {
		if a.Addr().Is6() { // what transport.ListenUDP does for [::] there
			a = netip.AddrPortFrom(netip.IPv4Unspecified(), a.Port())
		}
		u, err := real(a)
		opened = append(opened, u)
		return u, err
	}
	defer func() { listenUDP = real }()

	_, err := DialUDP(netip.MustParseAddrPort("[::1]:40000"))
	require.ErrorIs(t, err, syscall.EAFNOSUPPORT)
	require.Len(t, opened, 1)
	_, err = opened[0].ReadBatch(make([]transport.Message, 1))
	require.ErrorIs(t, err, transport.ErrClosed, "the useless socket is closed")

	tr, err := DialUDP(netip.MustParseAddrPort("127.0.0.1:40000"))
	require.NoError(t, err)
	require.NoError(t, tr.Close())
}
