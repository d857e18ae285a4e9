package netcode

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// Integration over real UDP sockets on 127.0.0.1 and ::1, with the
// protocol's clock simulated so that timeouts are exact.

var loopbacks = []string{"127.0.0.1", "::1"}

func eachLoopback(t *testing.T, f func(t *testing.T, r *rig)) {
	for _, ip := range loopbacks {
		t.Run(ip, func(t *testing.T) { f(t, newRig(t, ip)) })
	}
}

func TestConnectExchangeKeepAlive(t *testing.T) {
	eachLoopback(t, func(t *testing.T, r *rig) {
		s := r.startServer(r.serverConfig(4))
		c := r.connect(7, s)
		require.Equal(t, core.StateSendingRequest, c.State())
		r.untilState(c, core.StateConnected, time.Second)

		evs := r.takeEvents()
		require.Len(t, evs, 1)
		require.Equal(t, core.Event{Type: core.EventConnected, Client: core.NetcodeID(7)}, evs[0])
		require.Equal(t, []core.ClientID{core.NetcodeID(7)}, s.ConnectedIDs(nil))
		addr, ok := s.ClientAddr(core.NetcodeID(7))
		require.True(t, ok)
		require.Equal(t, c.LocalAddr().Port(), addr.Port())
		ud, ok := s.ClientUserData(core.NetcodeID(7))
		require.True(t, ok)
		require.Equal(t, byte(7), ud[0])
		idx, _ := s.ClientIndex(core.NetcodeID(7))
		require.Equal(t, uint32(idx), c.ClientIndex())
		require.Equal(t, uint32(4), c.MaxClients())

		// Payloads both ways, every size class.
		for _, n := range []int{1, 100, MaxPayloadSize} {
			up := bytes.Repeat([]byte{byte(n)}, n)
			require.NoError(t, c.Send(up))
			down := bytes.Repeat([]byte{byte(n + 1)}, n)
			require.NoError(t, s.Send(core.NetcodeID(7), down))
			r.step(10 * time.Millisecond)
			got, ok := c.Receive()
			require.True(t, ok, "client got %d bytes", n)
			require.Equal(t, down, got)
			evs := r.takeEvents()
			require.Len(t, evs, 1)
			require.Equal(t, core.EventPayload, evs[0].Type)
			require.Equal(t, up, evs[0].Payload)
		}

		// Idle for three timeouts: keep-alives hold the connection.
		for i := 0; i < 1500; i++ {
			r.step(10 * time.Millisecond)
		}
		require.Equal(t, core.StateConnected, c.State())
		require.Equal(t, 1, s.NumConnected())
		cs := c.Stats()
		require.Greater(t, cs.PacketsReceived, uint64(100), "keep-alives from the server")
		require.Less(t, cs.SinceLastReceive, 200*time.Millisecond)
		require.Zero(t, cs.Dropped())
		require.Zero(t, s.Stats().Dropped())
	})
}

func TestClientErrorStates(t *testing.T) {
	eachLoopback(t, func(t *testing.T, r *rig) {
		t.Run("-6 token expired", func(t *testing.T) {
			c := r.client(1, r.token(1, []netip.AddrPort{r.deadAddr()}, func(p *TokenParams) {
				p.ExpireSeconds, p.TimeoutSeconds = 2, 10
			}))
			require.NoError(t, c.Connect())
			r.untilState(c, core.StateConnectTokenExpired, 3*time.Second)
			require.Equal(t, core.ReasonTokenExpired, c.DisconnectReason())
		})
		t.Run("-5 invalid token", func(t *testing.T) {
			tok := r.token(1, []netip.AddrPort{r.deadAddr()})
			tok[0] ^= 0xff
			c := r.client(1, tok)
			require.ErrorIs(t, c.Connect(), ErrInvalidToken)
			require.Equal(t, core.StateInvalidConnectToken, c.State())
			c2 := r.client(1, []byte("not a token"))
			require.ErrorIs(t, c2.Connect(), ErrInvalidToken)
			require.Equal(t, core.StateInvalidConnectToken, c2.State())
		})
		t.Run("-4 timed out", func(t *testing.T) {
			s := r.startServer(r.serverConfig(4))
			c := r.connect(2, s)
			r.untilState(c, core.StateConnected, time.Second)
			// The server goes silent: only the client's clock moves.
			for c.State() == core.StateConnected {
				r.stepOnly(100*time.Millisecond, nil, []*Client{c})
			}
			require.Equal(t, core.StateConnectionTimedOut, c.State())
			require.Equal(t, core.ReasonTimedOut, c.DisconnectReason())
		})
		t.Run("-3 response timed out", func(t *testing.T) {
			s := r.startServer(r.serverConfig(4))
			c := r.connect(3, s)
			r.untilState(c, core.StateSendingResponse, time.Second)
			// The server stops after the challenge, so no keep-alive comes.
			for c.State() == core.StateSendingResponse {
				r.stepOnly(100*time.Millisecond, nil, []*Client{c})
			}
			require.Equal(t, core.StateConnectionResponseTimeout, c.State())
		})
		t.Run("-2 request timed out", func(t *testing.T) {
			c := r.client(4, r.token(4, []netip.AddrPort{r.deadAddr()}))
			require.NoError(t, c.Connect())
			r.untilState(c, core.StateConnectionRequestTimeout, 6*time.Second)
			require.Equal(t, core.ReasonRequestTimedOut, c.DisconnectReason())
		})
		t.Run("-1 denied by a full server", func(t *testing.T) {
			s := r.startServer(r.serverConfig(1))
			first := r.connect(5, s)
			r.untilState(first, core.StateConnected, time.Second)
			second := r.connect(6, s)
			r.untilState(second, core.StateConnectionDenied, time.Second)
			require.Equal(t, core.ReasonDenied, second.DisconnectReason())
			require.Equal(t, 1, s.NumConnected())
			require.Equal(t, core.StateConnected, first.State())
		})
	})
}

func TestFailover(t *testing.T) {
	eachLoopback(t, func(t *testing.T, r *rig) {
		t.Run("after request timeout", func(t *testing.T) {
			s := r.startServer(r.serverConfig(4))
			c := r.client(1, r.token(1, append([]netip.AddrPort{r.deadAddr()}, s.PublicAddresses()...)))
			require.NoError(t, c.Connect())
			r.untilState(c, core.StateConnected, 6*time.Second)
			require.Equal(t, s.PublicAddresses()[0], c.ServerAddr())
		})
		t.Run("after denial", func(t *testing.T) {
			full := r.startServer(r.serverConfig(1))
			spare := r.startServer(r.serverConfig(1))
			r.untilState(r.connect(2, full), core.StateConnected, time.Second)
			c := r.connect(3, full, spare)
			r.untilState(c, core.StateConnected, time.Second)
			require.Equal(t, spare.PublicAddresses()[0], c.ServerAddr())
			require.Equal(t, 1, spare.NumConnected())
		})
	})
}

func TestDisconnectAndReconnect(t *testing.T) {
	eachLoopback(t, func(t *testing.T, r *rig) {
		s := r.startServer(r.serverConfig(4))
		c := r.connect(9, s)
		r.untilState(c, core.StateConnected, time.Second)
		r.takeEvents()

		// Client side: the server hears the disconnect packets.
		require.NoError(t, c.Disconnect())
		require.Equal(t, core.StateDisconnected, c.State())
		require.Equal(t, core.ReasonLocal, c.DisconnectReason())
		r.step(10 * time.Millisecond)
		require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.NetcodeID(9), Reason: core.ReasonRemote}}, r.takeEvents())
		require.Zero(t, s.NumConnected())

		// The consumed token is refused; a fresh one connects.
		require.NoError(t, c.Connect())
		for i := 0; i < 50; i++ {
			r.step(10 * time.Millisecond)
		}
		require.Equal(t, core.StateSendingRequest, c.State(), "a consumed token must not connect again")
		require.NoError(t, c.Disconnect())
		require.NoError(t, c.SetToken(r.token(9, s.PublicAddresses())))
		require.NoError(t, c.Connect())
		r.untilState(c, core.StateConnected, time.Second)
		r.takeEvents()

		// Server side: the client hears the disconnect packets.
		require.NoError(t, s.Disconnect(core.NetcodeID(9)))
		require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.NetcodeID(9), Reason: core.ReasonLocal}}, r.takeEvents())
		r.step(10 * time.Millisecond)
		require.Equal(t, core.StateDisconnected, c.State())
		require.Equal(t, core.ReasonRemote, c.DisconnectReason())
		require.ErrorIs(t, s.Send(core.NetcodeID(9), []byte{1}), core.ErrUnknownClient)
	})
}

func TestServerTimesOutSilentClient(t *testing.T) {
	eachLoopback(t, func(t *testing.T, r *rig) {
		s := r.startServer(r.serverConfig(4))
		c := r.connect(11, s)
		r.untilState(c, core.StateConnected, time.Second)
		r.takeEvents()
		// Only the server's clock moves: 5 s is the token's timeout.
		var elapsed time.Duration
		for s.NumConnected() == 1 {
			r.stepOnly(100*time.Millisecond, []*Server{s}, nil)
			elapsed += 100 * time.Millisecond
		}
		require.InDelta(t, 5*time.Second, elapsed, float64(150*time.Millisecond))
		require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.NetcodeID(11), Reason: core.ReasonTimedOut}}, r.takeEvents())
	})
}

func TestServerStopDisconnectsClients(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	c := r.connect(12, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.takeEvents()
	require.NoError(t, s.Stop())
	var ev core.Event
	require.True(t, s.PollEvent(&ev))
	require.Equal(t, core.Event{Type: core.EventDisconnected, Client: core.NetcodeID(12), Reason: core.ReasonServerStopped}, ev)
	require.NoError(t, c.Update(10*time.Millisecond))
	require.Equal(t, core.StateDisconnected, c.State())
	require.ErrorIs(t, s.Update(time.Millisecond), core.ErrNotStarted)

	// A restarted server resets its sequences and accepts a fresh token.
	require.NoError(t, s.Start())
	require.Equal(t, uint64(globalSequenceStart), s.globalSeq)
	c2 := r.client(13, r.token(13, s.PublicAddresses()))
	require.NoError(t, c2.Connect())
	r.untilState(c2, core.StateConnected, time.Second)
}

func TestThousandClients(t *testing.T) {
	if testing.Short() {
		t.Skip("1,024 sockets")
	}
	const n = 1024
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(n))
	clients := make([]*Client, n)
	for i := range clients {
		clients[i] = r.connect(uint64(1000+i), s)
	}
	start := time.Now()
	r.until(5*time.Second, "all connected", func() bool {
		for _, c := range clients {
			if c.State() != core.StateConnected {
				return false
			}
		}
		return true
	})
	t.Logf("%d clients connected in %v of wall time", n, time.Since(start))
	require.Equal(t, n, s.NumConnected())
	// Every client's payload reaches the server, and a broadcast every client.
	for i, c := range clients {
		require.NoError(t, c.Send([]byte(fmt.Sprint(i))))
	}
	require.NoError(t, s.Broadcast([]byte("all")))
	r.takeEvents()
	r.step(10 * time.Millisecond)
	got := 0
	for _, ev := range r.takeEvents() {
		if ev.Type == core.EventPayload {
			got++
		}
	}
	require.Equal(t, n, got)
	for _, c := range clients {
		p, ok := c.Receive()
		require.True(t, ok)
		require.Equal(t, "all", string(p))
	}
	ids := s.ConnectedIDs(nil)
	require.Len(t, ids, n)
}

// One dual-stack socket serves IPv4 and IPv6 clients at once.
func TestDualStackServer(t *testing.T) {
	r := newRig(t, "::")
	cfg := r.serverConfig(4)
	cfg.PublicAddresses = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddrPort("[::1]:0")}
	s := r.startServer(cfg)
	pub := s.PublicAddresses()
	require.NotZero(t, pub[0].Port())
	require.Equal(t, pub[0].Port(), pub[1].Port())

	v4 := r.client(1, r.token(1, pub[:1]))
	v6 := r.client(2, r.token(2, pub[1:]))
	require.NoError(t, v4.Connect())
	require.NoError(t, v6.Connect())
	r.until(time.Second, "both connected", func() bool { return allConnected([]*Client{v4, v6}) })

	a4, _ := s.ClientAddr(core.NetcodeID(1))
	a6, _ := s.ClientAddr(core.NetcodeID(2))
	require.True(t, a4.Addr().Is4(), "IPv4 peer seen as %v", a4)
	require.True(t, a6.Addr().Is6() && !a6.Addr().Is4In6(), "IPv6 peer seen as %v", a6)
	require.NoError(t, s.Send(core.NetcodeID(1), []byte("four")))
	require.NoError(t, s.Send(core.NetcodeID(2), []byte("six")))
	r.step(10 * time.Millisecond)
	p, ok := v4.Receive()
	require.True(t, ok)
	require.Equal(t, "four", string(p))
	p, ok = v6.Receive()
	require.True(t, ok)
	require.Equal(t, "six", string(p))
}

// A manual client makes a fresh token for every connect, so it can
// reconnect after its token was consumed.
func TestManualClientReconnects(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	c, err := NewManualClient(s.PublicAddresses()[0], 77, testProtocol, r.key, ClientConfig{Dial: r.dial})
	require.NoError(t, err)
	r.clients = append(r.clients, c)
	defer c.Close()
	for i := 0; i < 2; i++ {
		require.NoError(t, c.Connect())
		r.untilState(c, core.StateConnected, time.Second)
		require.Equal(t, core.NetcodeID(77), c.ID())
		require.NoError(t, c.Disconnect())
		r.step(10 * time.Millisecond)
	}
	_, err = NewManualClient(netip.AddrPort{}, 1, 1, r.key, ClientConfig{})
	require.ErrorIs(t, err, ErrInvalidAddress)
}
