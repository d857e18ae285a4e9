package netcode

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// queued is how many small datagrams the read tests queue behind an
// oversized one: several read batches' worth.
const queued = 300

// oversizedDatagram is over MaxDatagram, so the read truncates it.
var oversizedDatagram = make([]byte, 2000)

// numberedPayload is payload i of a read test.
func numberedPayload(i int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(i)) }

// connectedClient connects a client made with cfg (Dial filled in) to s
// and confirms it, so that the server's payloads come without keep-alives;
// both sockets are left empty.
func connectedClient(r *rig, s *Server, id uint64, cfg ClientConfig) (*Client, []byte) {
	r.t.Helper()
	tok := r.token(id, s.PublicAddresses())
	cfg.ClientID, cfg.Dial = id, r.dial
	c := NewClient(tok, cfg)
	r.clients = append(r.clients, c)
	r.t.Cleanup(func() { c.Close() })
	require.NoError(r.t, c.Connect())
	r.untilState(c, core.StateConnected, time.Second)
	r.step(200 * time.Millisecond)
	r.step(0) // the client reads the server's last keep-alive
	r.takeEvents()
	for {
		if _, ok := c.Receive(); !ok {
			break
		}
	}
	return c, tok
}

// queueAtServer queues an oversized datagram from stranger on the server's
// socket srv, then `queued` numbered payloads from client c (sealed with
// its token tok, in one write).
func queueAtServer(t *testing.T, stranger *attacker, c *Client, tok []byte, srv netip.AddrPort) {
	t.Helper()
	stranger.send(oversizedDatagram, srv)
	batch := make([]transport.Message, queued)
	for i := range batch {
		p := sealWithToken(t, tok, PacketPayload, 1000+uint64(i), numberedPayload(i))
		batch[i] = transport.Message{Buf: p, N: len(p), Addr: srv}
	}
	n, err := c.raw.WriteBatch(batch)
	require.NoError(t, err)
	require.Equal(t, queued, n)
}

// queueAtClient queues an oversized datagram from stranger on client c's
// socket, then `queued` numbered payloads sent to it by server s (client
// id 5).
func queueAtClient(t *testing.T, stranger *attacker, s *Server, c *Client) {
	t.Helper()
	stranger.send(oversizedDatagram, c.LocalAddr())
	for i := range queued {
		require.NoError(t, s.Send(core.NetcodeID(5), numberedPayload(i)))
	}
}

// A 2000-byte datagram queued on the server's socket in front of 300 valid
// payloads from a connected client (real UDP loopback): one Update reads
// all 301, delivers the 300 and counts the big one as DroppedOversized.
// The old loop took the batch shortened by the drop for an empty socket
// and read 31.
func TestServerReadsPastOversized(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	srv := s.PublicAddresses()[0]
	c, tok := connectedClient(r, s, 5, ClientConfig{})
	stranger := newAttacker(t)

	before := s.Stats()
	queueAtServer(t, stranger, c, tok, srv)
	require.NoError(t, s.Update(0))
	after := s.Stats()
	require.Equal(t, uint64(queued+1), after.PacketsReceived-before.PacketsReceived, "one Update reads every datagram queued")
	require.Equal(t, uint64(1), after.DroppedOversized-before.DroppedOversized)
	require.Equal(t, uint64(1), after.Dropped()-before.Dropped(), "nothing else dropped")
	got := payloadsOf(r.takeEvents(), core.NetcodeID(5))
	require.Len(t, got, queued)
	for i, p := range got {
		require.Equal(t, string(numberedPayload(i)), p)
	}
}

// The same on the client's socket: a 2000-byte datagram from a stranger in
// front of 300 payloads from its server, all read by one Update.
func TestClientReadsPastOversized(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	c, _ := connectedClient(r, s, 5, ClientConfig{ReceiveQueueSize: queued})
	stranger := newAttacker(t)

	before := c.Stats()
	queueAtClient(t, stranger, s, c)
	require.NoError(t, c.Update(0))
	after := c.Stats()
	require.Equal(t, uint64(queued+1), after.PacketsReceived-before.PacketsReceived, "one Update reads every datagram queued")
	require.Equal(t, uint64(1), after.DroppedOversized-before.DroppedOversized)
	require.Equal(t, uint64(1), after.Dropped()-before.Dropped(), "nothing else dropped")
	for i := range queued {
		p, ok := c.Receive()
		require.True(t, ok, "payload %d", i)
		require.Equal(t, numberedPayload(i), p)
	}
	_, ok := c.Receive()
	require.False(t, ok)
}

// MaxReadsPerUpdate bounds one Update; what is left is read by the next
// ones, and nothing is lost.
func TestReadsPerUpdateBound(t *testing.T) {
	const bound = 128
	r := newRig(t, "127.0.0.1")
	cfg := r.serverConfig(4)
	cfg.MaxReadsPerUpdate = bound
	s := r.startServer(cfg)
	c, tok := connectedClient(r, s, 5, ClientConfig{ReceiveQueueSize: queued, MaxReadsPerUpdate: bound})
	stranger := newAttacker(t)
	want := []uint64{bound, bound, queued + 1 - 2*bound, 0}

	t.Run("Server", func(t *testing.T) {
		queueAtServer(t, stranger, c, tok, s.PublicAddresses()[0])
		for i, w := range want {
			before := s.Stats().PacketsReceived
			require.NoError(t, s.Update(0))
			require.Equal(t, w, s.Stats().PacketsReceived-before, "update %d", i)
		}
		require.Len(t, payloadsOf(r.takeEvents(), core.NetcodeID(5)), queued)
		require.Equal(t, uint64(1), s.Stats().DroppedOversized)
	})
	t.Run("Client", func(t *testing.T) {
		queueAtClient(t, stranger, s, c)
		for i, w := range want {
			before := c.Stats().PacketsReceived
			require.NoError(t, c.Update(0))
			require.Equal(t, w, c.Stats().PacketsReceived-before, "update %d", i)
		}
		require.Equal(t, uint64(1), c.Stats().DroppedOversized)
	})
}

func TestReadsPerUpdateDefaults(t *testing.T) {
	for _, tc := range []struct{ maxClients, want int }{
		{0, DefaultMaxReadsPerUpdate},
		{256, DefaultMaxReadsPerUpdate},
		{4096, 16 * 4096},
	} {
		cfg := ServerConfig{Addresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}, MaxClients: tc.maxClients}
		got, err := cfg.withDefaults()
		require.NoError(t, err)
		require.Equal(t, tc.want, got.MaxReadsPerUpdate, "max clients %d", tc.maxClients)
	}
	require.Equal(t, DefaultMaxReadsPerUpdate, NewClient(nil, ClientConfig{}).cfg.MaxReadsPerUpdate)
}

// shortReads is a transport that returns at most 5 datagrams per ReadBatch
// whatever is pending, as the contract allows.
type shortReads struct{ transport.Transport }

func (s shortReads) ReadBatch(msgs []transport.Message) (int, error) {
	return s.Transport.ReadBatch(msgs[:min(len(msgs), 5)])
}

// Only a read of 0 means the socket is empty: a transport's short batches
// do not end an Update's reading.
func TestShortBatchesAreNotEmpty(t *testing.T) {
	r, nw := newMemRig(t)
	listen := r.listen
	r.listen = func(a netip.AddrPort) (transport.Transport, error) {
		tr, err := listen(a)
		return shortReads{tr}, err
	}
	s := r.startServer(r.serverConfig(4))
	c, _ := connectedClient(r, s, 5, ClientConfig{ReceiveQueueSize: queued})
	junk, err := nw.Listen(netip.MustParseAddrPort("10.0.0.9:0"))
	require.NoError(t, err)
	defer junk.Close()

	// Keep-alive-shaped datagrams from an address with no key: each one is
	// read and counted as DroppedUnknownAddress.
	pkt := make([]byte, 40)
	pkt[0] = 1<<4 | byte(PacketKeepAlive)
	batch := make([]transport.Message, queued)
	for i := range batch {
		batch[i] = transport.Message{Buf: pkt, N: len(pkt), Addr: s.PublicAddresses()[0]}
	}
	_, err = junk.WriteBatch(batch)
	require.NoError(t, err)
	before := s.Stats()
	require.NoError(t, s.Update(0))
	require.Equal(t, uint64(queued), s.Stats().DroppedUnknownAddress-before.DroppedUnknownAddress)

	for i := range batch {
		batch[i].Addr = c.LocalAddr()
	}
	_, err = junk.WriteBatch(batch)
	require.NoError(t, err)
	clientBefore := c.Stats()
	require.NoError(t, c.Update(0))
	require.Equal(t, uint64(queued), c.Stats().DroppedUnknownAddress-clientBefore.DroppedUnknownAddress)
}
