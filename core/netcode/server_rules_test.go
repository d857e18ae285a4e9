package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// The 1.4.5 token rules: a token is pending until its handshake completes,
// then consumed; while pending it is refused from any other address, and
// once consumed from every address.
func TestTokenReuseRules(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(8))
	tok := r.token(21, s.PublicAddresses())

	owner := r.client(21, tok)
	require.NoError(t, owner.Connect())
	r.stepOnly(0, nil, []*Client{owner}) // the first request goes out
	r.stepOnly(0, []*Server{s}, nil)     // the server takes the token: pending

	thief := r.client(21, tok)
	require.NoError(t, thief.Connect())
	before := s.Stats().DroppedRejected
	r.stepOnly(0, []*Server{s}, []*Client{thief})
	require.Equal(t, before+1, s.Stats().DroppedRejected, "pending token from a second address")

	r.untilState(owner, core.StateConnected, time.Second)
	require.Equal(t, core.StateSendingRequest, thief.State())

	// Consumed: the owner leaves, and neither it nor anybody else can use
	// the token again.
	require.NoError(t, owner.Disconnect())
	r.step(10 * time.Millisecond)
	require.Zero(t, s.NumConnected())
	again := r.client(21, tok)
	require.NoError(t, again.Connect())
	r.until(6*time.Second, "both give up", func() bool {
		return thief.State() == core.StateConnectionRequestTimeout && again.State() == core.StateConnectionRequestTimeout
	})
	require.Zero(t, s.NumConnected())
}

// Resending the same request from the same address while pending is fine:
// the client resends at 10 Hz until it hears the challenge.
func TestPendingTokenResendAllowed(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(8))
	c := r.client(22, r.token(22, s.PublicAddresses()))
	require.NoError(t, c.Connect())
	for i := 0; i < 5; i++ {
		r.stepOnly(100*time.Millisecond, nil, []*Client{c}) // five requests, no server
	}
	r.stepOnly(0, []*Server{s}, nil)
	require.Zero(t, s.Stats().DroppedRejected)
	require.Equal(t, uint64(5), s.Stats().PacketsSent, "a challenge for every request")
	r.untilState(c, core.StateConnected, time.Second)
}

func TestAcceptHook(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	cfg := r.serverConfig(8)
	var asked []core.ConnectRequest
	cfg.Accept = func(req core.ConnectRequest) bool {
		asked = append(asked, req)
		return req.UserData[0] != 66
	}
	s := r.startServer(cfg)
	ok := r.connect(65, s)
	no := r.connect(66, s)
	r.untilState(ok, core.StateConnected, time.Second)
	r.untilState(no, core.StateConnectionDenied, time.Second)
	require.Len(t, asked, 2)
	require.Equal(t, core.NetcodeID(65), asked[0].Client)
	require.Equal(t, no.LocalAddr().Port(), asked[1].Addr.Port())
	require.Equal(t, []core.ClientID{core.NetcodeID(65)}, s.ConnectedIDs(nil))
}

func TestRequestChecks(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(8))
	other, err := GenerateKey()
	require.NoError(t, err)

	cases := []struct {
		name string
		opt  tokenOpt
		drop func(core.Stats) uint64
	}{
		{"wrong protocol id", func(p *TokenParams) { p.ProtocolID++ }, func(s core.Stats) uint64 { return s.DroppedRejected }},
		{"sealed with another key", func(p *TokenParams) { p.PrivateKey = other }, func(s core.Stats) uint64 { return s.DroppedDecryptFailed }},
		{"expired", func(p *TokenParams) { p.Now = r.now.Add(-time.Minute) }, func(s core.Stats) uint64 { return s.DroppedRejected }},
		{"server not in the private addresses", func(p *TokenParams) {
			p.InternalAddresses = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:1")}
		}, func(s core.Stats) uint64 { return s.DroppedRejected }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := r.client(uint64(30+i), r.token(uint64(30+i), s.PublicAddresses(), tc.opt))
			require.NoError(t, c.Connect())
			before := tc.drop(s.Stats())
			sentBefore := s.Stats().PacketsSent
			r.step(0)
			require.Equal(t, before+1, tc.drop(s.Stats()))
			require.Equal(t, sentBefore, s.Stats().PacketsSent, "never answered")
		})
	}
}

func TestServerConfigErrors(t *testing.T) {
	_, err := NewServer(ServerConfig{})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewServer(ServerConfig{Addresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}, MaxClients: -1})
	require.ErrorIs(t, err, ErrInvalidConfig)
	s, err := NewServer(ServerConfig{Addresses: []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:0")}})
	require.NoError(t, err)
	require.ErrorIs(t, s.Start(), ErrInvalidConfig, "unspecified bind address needs PublicAddresses")
	require.False(t, s.Running())
}

func TestAPIMisuse(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(2))
	c := r.connect(40, s)
	require.ErrorIs(t, c.Send([]byte{1}), core.ErrNotConnected)
	r.untilState(c, core.StateConnected, time.Second)
	require.ErrorIs(t, c.Send(nil), core.ErrPayloadSize)
	require.ErrorIs(t, c.Send(make([]byte, MaxPayloadSize+1)), core.ErrPayloadSize)
	require.ErrorIs(t, c.Connect(), core.ErrAlreadyActive)
	require.ErrorIs(t, c.SetToken(nil), core.ErrAlreadyActive)
	require.ErrorIs(t, c.Update(-time.Second), core.ErrInvalidArgument)
	require.ErrorIs(t, s.Send(core.NetcodeID(40), nil), core.ErrPayloadSize)
	require.ErrorIs(t, s.Send(core.NetcodeID(40), make([]byte, MaxPayloadSize+1)), core.ErrPayloadSize)
	require.ErrorIs(t, s.Send(core.NetcodeID(41), []byte{1}), core.ErrUnknownClient)
	require.ErrorIs(t, s.Send(core.LocalID(40), []byte{1}), core.ErrUnknownClient)
	require.ErrorIs(t, s.Disconnect(core.NetcodeID(41)), core.ErrUnknownClient)
	require.ErrorIs(t, s.Start(), core.ErrAlreadyStarted)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Send([]byte{1}), core.ErrClosed)
	require.ErrorIs(t, c.Update(0), core.ErrClosed)
	require.NoError(t, s.Stop())
	require.ErrorIs(t, s.Broadcast([]byte{1}), core.ErrNotStarted)
	require.ErrorIs(t, s.DisconnectAll(), core.ErrNotStarted)
}

// A packet the server cannot place is dropped, counted, and never answered.
func TestServerDropsGarbage(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(2))
	c := r.connect(50, s)
	r.untilState(c, core.StateConnected, time.Second)
	sent := s.Stats().PacketsSent
	junk, err := r.listen(netip.AddrPortFrom(r.ip, 0))
	require.NoError(t, err)
	defer junk.Close()
	for _, pkt := range [][]byte{{}, {0}, make([]byte, requestPacketSize), {0x15, 1, 2}, make([]byte, 40), append([]byte{0x15, 1}, make([]byte, 30)...)} {
		write(t, junk, pkt, s.PublicAddresses()[0])
	}
	r.stepOnly(0, []*Server{s}, nil)
	st := s.Stats()
	require.Equal(t, uint64(6), st.Dropped())
	require.Equal(t, sent, st.PacketsSent)
}

// A handshake that goes quiet loses its key mapping after the token's
// timeout; a completed one moves its keys to the client's slot, and a
// disconnected client's keys are gone.
func TestKeyMappingsExpire(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	c := r.connect(70, s)
	r.untilState(c, core.StateSendingResponse, time.Second)
	require.Len(t, s.pending, 1)
	for i := 0; i < 62; i++ { // 6.2 s of server time, the client silent
		r.stepOnly(100*time.Millisecond, []*Server{s}, nil)
	}
	require.Empty(t, s.pending, "quiet handshake forgotten after the 5 s timeout")

	c2 := r.connect(71, s)
	r.untilState(c2, core.StateConnected, time.Second)
	require.Empty(t, s.pending)
	require.Len(t, s.byAddr, 1)
	require.NoError(t, s.Disconnect(core.NetcodeID(71)))
	require.Empty(t, s.byAddr)
	require.Empty(t, s.byID)
	require.Len(t, s.free, 4, "slot returned")
}

// The server's denied and challenge packets use the global sequence, which
// starts at 2^63 on every start.
func TestGlobalSequence(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(1))
	require.Equal(t, uint64(1<<63), s.globalSeq)
	r.untilState(r.connect(80, s), core.StateConnected, time.Second)
	require.Equal(t, uint64(1<<63+1), s.globalSeq, "one challenge")
	r.untilState(r.connect(81, s), core.StateConnectionDenied, time.Second)
	require.Greater(t, s.globalSeq, uint64(1<<63+1), "denied packets")
	require.NoError(t, s.Stop())
	require.NoError(t, s.Start())
	require.Equal(t, uint64(1<<63), s.globalSeq)
}
