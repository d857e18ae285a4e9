package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

const testProtocol = 0x1122334455667788

// rig drives a server and clients with a simulated clock over a real or
// in-memory network. Time only moves when step is called, so timeouts are
// exact; on loopback a datagram is readable as soon as its send returns.
type rig struct {
	t       testing.TB
	key     Key
	now     time.Time
	ip      netip.Addr // server and client address family
	listen  func(netip.AddrPort) (transport.Transport, error)
	servers []*Server
	clients []*Client
	events  []core.Event
}

func newRig(t testing.TB, ip string) *rig {
	k, err := GenerateKey()
	require.NoError(t, err)
	r := &rig{t: t, key: k, now: time.Now().Truncate(time.Second), ip: netip.MustParseAddr(ip)}
	r.listen = func(a netip.AddrPort) (transport.Transport, error) { return transport.ListenUDP(a) }
	return r
}

// newMemRig is a rig on the in-memory network: no sockets, fully
// deterministic, and a filter to lose datagrams on purpose.
func newMemRig(t testing.TB) (*rig, *transport.MemNetwork) {
	r := newRig(t, "10.0.0.1")
	nw := transport.NewMemNetwork()
	r.listen = func(a netip.AddrPort) (transport.Transport, error) { return nw.Listen(a) }
	return r, nw
}

func (r *rig) clock() time.Time { return r.now }

func (r *rig) serverConfig(maxClients int) ServerConfig {
	return ServerConfig{
		ProtocolID: testProtocol,
		PrivateKey: r.key,
		Addresses:  []netip.AddrPort{netip.AddrPortFrom(r.ip, 0)},
		MaxClients: maxClients,
		Now:        r.clock,
		Listen:     r.listen,
	}
}

func (r *rig) startServer(cfg ServerConfig) *Server {
	s, err := NewServer(cfg)
	require.NoError(r.t, err)
	require.NoError(r.t, s.Start())
	r.servers = append(r.servers, s)
	r.t.Cleanup(func() { s.Stop() })
	return s
}

// deadAddr is an address where nothing answers: a bound socket nobody reads.
func (r *rig) deadAddr() netip.AddrPort {
	tr, err := r.listen(netip.AddrPortFrom(r.ip, 0))
	require.NoError(r.t, err)
	r.t.Cleanup(func() { tr.Close() })
	return tr.LocalAddr()
}

type tokenOpt func(*TokenParams)

func (r *rig) token(clientID uint64, servers []netip.AddrPort, opts ...tokenOpt) []byte {
	p := TokenParams{
		ProtocolID:      testProtocol,
		ClientID:        clientID,
		PrivateKey:      r.key,
		PublicAddresses: servers,
		ExpireSeconds:   30,
		TimeoutSeconds:  5,
		Now:             r.now,
	}
	p.UserData[0] = byte(clientID)
	for _, o := range opts {
		o(&p)
	}
	tok, err := GenerateConnectToken(p)
	require.NoError(r.t, err)
	b, err := tok.MarshalBinary()
	require.NoError(r.t, err)
	return b
}

func (r *rig) client(clientID uint64, token []byte) *Client {
	c := NewClient(token, ClientConfig{ClientID: clientID, Dial: r.dial})
	r.clients = append(r.clients, c)
	r.t.Cleanup(func() { c.Close() })
	return c
}

func (r *rig) dial(server netip.AddrPort) (transport.Transport, error) {
	ip := r.ip
	if ip.IsUnspecified() { // a dual-stack server: the client uses the server's loopback
		ip = server.Addr()
	}
	return r.listen(netip.AddrPortFrom(ip, 0))
}

// connect makes a client for a token to the given servers and starts it.
func (r *rig) connect(clientID uint64, servers ...*Server) *Client {
	var addrs []netip.AddrPort
	for _, s := range servers {
		addrs = append(addrs, s.PublicAddresses()...)
	}
	c := r.client(clientID, r.token(clientID, addrs))
	require.NoError(r.t, c.Connect())
	return c
}

// step advances every clock by dt: clients first, then servers, and
// collects server events.
func (r *rig) step(dt time.Duration) {
	r.stepOnly(dt, r.servers, r.clients)
}

func (r *rig) stepOnly(dt time.Duration, servers []*Server, clients []*Client) {
	r.now = r.now.Add(dt)
	for _, c := range clients {
		require.NoError(r.t, c.Update(dt))
	}
	for _, s := range servers {
		require.NoError(r.t, s.Update(dt))
	}
	r.drain(servers)
}

// drain moves the servers' pending events into r.events.
func (r *rig) drain(servers []*Server) {
	for _, s := range servers {
		var ev core.Event
		for s.PollEvent(&ev) {
			ev.Payload = append([]byte(nil), ev.Payload...)
			r.events = append(r.events, ev)
		}
	}
}

// until steps in 10 ms ticks until cond holds, failing after limit of
// simulated time.
func (r *rig) until(limit time.Duration, what string, cond func() bool) {
	r.t.Helper()
	for elapsed := time.Duration(0); !cond(); elapsed += 10 * time.Millisecond {
		if elapsed > limit {
			r.t.Fatalf("%s: not reached after %v", what, limit)
		}
		r.step(10 * time.Millisecond)
	}
}

func (r *rig) untilState(c *Client, want core.ClientState, limit time.Duration) {
	r.t.Helper()
	r.until(limit, "client state "+want.String(), func() bool { return c.State() == want })
}

func (r *rig) takeEvents() []core.Event {
	r.drain(r.servers)
	ev := r.events
	r.events = nil
	return ev
}

func write(t testing.TB, tr transport.Transport, pkt []byte, to netip.AddrPort) {
	t.Helper()
	n, err := tr.WriteBatch([]transport.Message{{Buf: pkt, N: len(pkt), Addr: to}})
	require.NoError(t, err)
	require.Equal(t, 1, n)
}
