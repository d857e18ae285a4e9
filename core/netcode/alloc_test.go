package netcode

import (
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// connectedPair returns a server and one connected client over UDP.
func connectedPair(t testing.TB, ip string) (*rig, *Server, *Client) {
	r := newRig(t, ip)
	s := r.startServer(r.serverConfig(4))
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	// Confirm the client so server payloads are not preceded by keep-alives.
	r.step(200 * time.Millisecond)
	r.takeEvents()
	return r, s, c
}

// The steady-state packet paths allocate nothing: send, the kernel, read,
// decrypt, queue, poll; in both directions, with keep-alives due.
func TestZeroAllocsPerPacket(t *testing.T) {
	for _, ip := range loopbacks {
		t.Run(ip, func(t *testing.T) {
			_, s, c := connectedPair(t, ip)
			payload := make([]byte, 100)
			id := core.NetcodeID(1)
			var ev core.Event

			up := testing.AllocsPerRun(200, func() {
				if err := c.Send(payload); err != nil {
					panic(err)
				}
				if err := s.Update(time.Millisecond); err != nil {
					panic(err)
				}
				for s.PollEvent(&ev) {
				}
			})
			require.Zero(t, up, "client send -> server receive")

			down := testing.AllocsPerRun(200, func() {
				if err := s.Send(id, payload); err != nil {
					panic(err)
				}
				if err := c.Update(time.Millisecond); err != nil {
					panic(err)
				}
				for {
					if _, ok := c.Receive(); !ok {
						break
					}
				}
			})
			require.Zero(t, down, "server send -> client receive")

			keepAlive := testing.AllocsPerRun(50, func() {
				c.Update(150 * time.Millisecond)
				s.Update(150 * time.Millisecond)
			})
			require.Zero(t, keepAlive, "keep-alives both ways")
			require.Equal(t, core.StateConnected, c.State())
			require.Zero(t, s.Stats().Dropped())

			// An oversized datagram in front of a payload: counted, and the
			// payload behind it read by the same update, at no cost either.
			bigUp := []transport.Message{{Buf: make([]byte, 2000), N: 2000, Addr: s.PublicAddresses()[0]}}
			bigDown := []transport.Message{{Buf: make([]byte, 2000), N: 2000, Addr: c.LocalAddr()}}
			oversized := testing.AllocsPerRun(100, func() {
				if _, err := c.raw.WriteBatch(bigUp); err != nil {
					panic(err)
				}
				if err := c.Send(payload); err != nil {
					panic(err)
				}
				if err := s.Update(time.Millisecond); err != nil {
					panic(err)
				}
				for s.PollEvent(&ev) {
				}
				if _, err := s.socks[0].raw.WriteBatch(bigDown); err != nil {
					panic(err)
				}
				if err := s.Send(id, payload); err != nil {
					panic(err)
				}
				if err := c.Update(time.Millisecond); err != nil {
					panic(err)
				}
				for {
					if _, ok := c.Receive(); !ok {
						break
					}
				}
			})
			require.Zero(t, oversized, "oversized datagrams both ways")
			require.Equal(t, uint64(101), s.Stats().DroppedOversized) // AllocsPerRun adds a warm-up run
			require.Equal(t, uint64(101), c.Stats().DroppedOversized)
			require.Equal(t, s.Stats().DroppedOversized, s.Stats().Dropped())
			require.Equal(t, c.Stats().DroppedOversized, c.Stats().Dropped())
		})
	}
}
