package netcode

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// 4,096 clients, the most the issue asks a server to hold, on the
// in-memory network (no file descriptors needed).
func TestMaxClients4096(t *testing.T) {
	if testing.Short() {
		t.Skip("4,096 clients")
	}
	const n = 4096
	r, _ := newMemRig(t)
	s := r.startServer(r.serverConfig(n))
	for i := 0; i < n; i++ {
		r.connect(uint64(i), s)
	}
	r.until(2*time.Second, "all connected", func() bool { return allConnected(r.clients) })
	require.Equal(t, n, s.NumConnected())
	indices := map[uint32]bool{}
	for _, c := range r.clients {
		indices[c.ClientIndex()] = true
	}
	require.Len(t, indices, n, "every client has its own slot")

	// One more is denied.
	extra := r.connect(n, s)
	r.untilState(extra, core.StateConnectionDenied, time.Second)
	// The connected ones stay connected through keep-alives.
	for i := 0; i < 100; i++ {
		r.step(100 * time.Millisecond)
	}
	require.Equal(t, n, s.NumConnected())
}

// Under 50 % loss each way the handshake still completes (requests and
// responses are resent at 10 Hz) and keep-alives hold the connection.
func TestHandshakeUnderLoss(t *testing.T) {
	r, nw := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	rng := rand.New(rand.NewPCG(1, 2))
	nw.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return rng.IntN(2) == 0 })
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, 3*time.Second)
	for j := 0; j < 300; j++ {
		r.step(100 * time.Millisecond)
	}
	require.Equal(t, core.StateConnected, c.State())
	require.Equal(t, 1, s.NumConnected())
}

// A replayed payload is dropped and counted, not delivered twice.
func TestReplayedPayloadDropped(t *testing.T) {
	r, nw := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.takeEvents()

	var captured []byte
	nw.SetFilter(func(from, to netip.AddrPort, b []byte) bool {
		if len(b) > 0 && PacketType(b[0]&0xf) == PacketPayload && captured == nil {
			captured = append([]byte(nil), b...)
		}
		return true
	})
	require.NoError(t, c.Send([]byte("once")))
	r.step(0)
	require.Len(t, r.takeEvents(), 1)
	require.NotNil(t, captured)

	// Replayed from the client's own socket: the replay window drops it.
	write(t, c.tr, captured, s.PublicAddresses()[0])
	r.stepOnly(0, []*Server{s}, nil)
	require.Empty(t, r.takeEvents())
	require.Equal(t, uint64(1), s.Stats().DroppedReplayed)
	// From anywhere else: no key for that address.
	spoof, err := nw.Listen(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.99"), 0))
	require.NoError(t, err)
	write(t, spoof, captured, s.PublicAddresses()[0])
	r.stepOnly(0, []*Server{s}, nil)
	require.Empty(t, r.takeEvents())
	require.Equal(t, uint64(1), s.Stats().DroppedUnknownAddress)
}
