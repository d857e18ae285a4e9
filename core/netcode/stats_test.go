package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// A scripted exchange on the in-memory network with the clock stopped (no
// keep-alives), checked counter by counter.
func TestStatsExact(t *testing.T) {
	r, nw := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.step(200 * time.Millisecond)   // the client confirms with a keep-alive
	r.stepOnly(0, nil, []*Client{c}) // and reads the server's
	r.takeEvents()
	id := core.NetcodeID(1)
	c0, s0 := c.Stats(), s.Stats()
	sc0, ok := s.ClientStats(id)
	require.True(t, ok)

	var captured []byte
	nw.SetFilter(func(from, to netip.AddrPort, b []byte) bool {
		captured = append(captured[:0], b...)
		return true
	})
	// Three payloads up (10, 20, 30 bytes), two down (100, 200). Every
	// packet carries 1 prefix byte, 1 sequence byte and a 16-byte MAC.
	for _, n := range []int{10, 20, 30} {
		require.NoError(t, c.Send(make([]byte, n)))
	}
	r.stepOnly(0, []*Server{s}, nil)
	for _, n := range []int{100, 200} {
		require.NoError(t, s.Send(id, make([]byte, n)))
	}
	r.stepOnly(0, nil, []*Client{c})
	r.takeEvents()

	// Hostile traffic: a replay of the last server packet to the client is
	// from the server's address, so the client counts it as replayed.
	write(t, s.socks[0].raw, captured, c.LocalAddr())
	// To the server: garbage from the client's address, a forged packet
	// from it, and a packet from an unknown address.
	write(t, c.raw, []byte{1, 2, 3}, s.PublicAddresses()[0])
	forged := append([]byte{0x15, 0xf0}, make([]byte, 20)...)
	write(t, c.raw, forged, s.PublicAddresses()[0])
	stranger, err := nw.Listen(netip.MustParseAddrPort("10.9.9.9:9"))
	require.NoError(t, err)
	write(t, stranger, forged, s.PublicAddresses()[0])
	r.stepOnly(0, []*Server{s}, []*Client{c})

	cs, ss := c.Stats(), s.Stats()
	scs, _ := s.ClientStats(id)
	require.Equal(t, uint64(3), cs.PacketsSent-c0.PacketsSent)
	require.Equal(t, uint64(10+20+30+3*18), cs.BytesSent-c0.BytesSent)
	require.Equal(t, uint64(3), cs.PacketsReceived-c0.PacketsReceived, "two payloads and the replay")
	require.Equal(t, uint64(100+200+2*18+218), cs.BytesReceived-c0.BytesReceived)
	require.Equal(t, uint64(1), cs.DroppedReplayed)

	require.Equal(t, uint64(3+3), ss.PacketsReceived-s0.PacketsReceived, "three payloads, three hostile")
	require.Equal(t, uint64(2), ss.PacketsSent-s0.PacketsSent)
	require.Equal(t, uint64(100+200+2*18), ss.BytesSent-s0.BytesSent)
	require.Equal(t, uint64(1), ss.DroppedMalformed-s0.DroppedMalformed)
	require.Equal(t, uint64(1), ss.DroppedDecryptFailed-s0.DroppedDecryptFailed)
	require.Equal(t, uint64(1), ss.DroppedUnknownAddress-s0.DroppedUnknownAddress)

	require.Equal(t, uint64(3+2), scs.PacketsReceived-sc0.PacketsReceived, "payloads and the client's own hostile two")
	require.Equal(t, uint64(2), scs.PacketsSent-sc0.PacketsSent)
	require.Equal(t, uint64(1), scs.DroppedMalformed-sc0.DroppedMalformed)
	require.Equal(t, uint64(1), scs.DroppedDecryptFailed-sc0.DroppedDecryptFailed)
	require.Equal(t, time.Duration(0), scs.SinceLastReceive)
	r.stepOnly(300*time.Millisecond, []*Server{s}, nil)
	scs, _ = s.ClientStats(id)
	require.Equal(t, 300*time.Millisecond, scs.SinceLastReceive)
}
