package transport

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// udpImpls are the UDP implementations this platform can build.
var udpImpls = []struct {
	name   string
	listen listenFunc
	netUDP bool // built on Go's net.UDPConn, which wine cannot run
}{
	{"UDP", listenUDPTransport, netUDPTransport},
	{"Portable", listenPortableTransport, true},
}

// A dual-stack [::] server sees an IPv4 client as plain IPv4 and can answer.
func TestUDPDualStack(t *testing.T) {
	for _, impl := range udpImpls {
		t.Run(impl.name, func(t *testing.T) {
			if impl.netUDP {
				skipNetUDPUnderWine(t)
			}
			server := listenT(t, impl.listen, netip.MustParseAddrPort("[::]:0"))
			client := listenT(t, impl.listen, lo4)
			require.NotZero(t, server.LocalAddr().Port())
			to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), server.LocalAddr().Port())

			send(t, client, to, []byte("hello"))
			got := readN(t, server, 1)
			assert.Equal(t, "hello", string(got[0].data))
			assert.True(t, got[0].from.Addr().Is4(), "sender %v should be plain IPv4", got[0].from)
			assert.Equal(t, client.LocalAddr(), got[0].from)

			send(t, server, got[0].from, []byte("welcome"))
			back := readN(t, client, 1)
			assert.Equal(t, "welcome", string(back[0].data))
			assert.Equal(t, to, back[0].from)

			// The IPv4-mapped spelling reaches the same peer.
			send(t, server, netip.AddrPortFrom(netip.AddrFrom16(got[0].from.Addr().As16()), got[0].from.Port()), []byte("mapped"))
			assert.Equal(t, "mapped", string(readN(t, client, 1)[0].data))
		})
	}
}

func TestUDPAddresses(t *testing.T) {
	for _, impl := range udpImpls {
		t.Run(impl.name, func(t *testing.T) {
			if impl.netUDP {
				skipNetUDPUnderWine(t)
			}
			v4 := listenT(t, impl.listen, lo4)
			assert.True(t, v4.LocalAddr().Addr().Is4(), "%v", v4.LocalAddr())
			assert.Equal(t, netip.MustParseAddr("127.0.0.1"), v4.LocalAddr().Addr())
			assert.NotZero(t, v4.LocalAddr().Port())

			// An IPv4-mapped address binds IPv4.
			mapped := listenT(t, impl.listen, netip.MustParseAddrPort("[::ffff:127.0.0.1]:0"))
			assert.True(t, mapped.LocalAddr().Addr().Is4(), "%v", mapped.LocalAddr())

			// The port is really taken.
			_, err := impl.listen(v4.LocalAddr())
			assert.Error(t, err)

			_, err = impl.listen(netip.AddrPort{})
			assert.ErrorIs(t, err, ErrInvalidAddr)

			v6 := listenT(t, impl.listen, lo6)
			assert.Equal(t, netip.IPv6Loopback(), v6.LocalAddr().Addr())
			assert.NotZero(t, v6.LocalAddr().Port())

			// An IPv4 socket cannot reach an IPv6 peer, nor an IPv6-only one
			// an IPv4 peer: skipped, not an error.
			n, err := v4.WriteBatch([]Message{{Buf: []byte("x"), N: 1, Addr: v6.LocalAddr()}})
			assert.NoError(t, err)
			assert.Equal(t, 1, n)
			n, err = v6.WriteBatch([]Message{{Buf: []byte("x"), N: 1, Addr: v4.LocalAddr()}})
			assert.NoError(t, err)
			assert.Equal(t, 1, n)
			assert.Equal(t, uint64(1), v4.(interface{ Stats() UDPStats }).Stats().SendSkipped)
		})
	}
}

// Sending to a port nobody listens on must not poison the socket: later
// reads and writes behave as before.
func TestUDPClosedPortIsHarmless(t *testing.T) {
	for _, impl := range udpImpls {
		t.Run(impl.name, func(t *testing.T) {
			if impl.netUDP {
				skipNetUDPUnderWine(t)
			}
			a := listenT(t, impl.listen, lo4)
			b := listenT(t, impl.listen, lo4)
			gone, err := impl.listen(lo4)
			require.NoError(t, err)
			dead := gone.LocalAddr()
			require.NoError(t, gone.Close())

			for range 20 {
				send(t, a, dead, []byte("anyone?"))
				n, err := a.ReadBatch(newMsgs(4))
				require.NoError(t, err)
				require.Zero(t, n)
			}
			send(t, a, b.LocalAddr(), []byte("still here"))
			assert.Equal(t, "still here", string(readN(t, b, 1)[0].data))
			send(t, b, a.LocalAddr(), []byte("me too"))
			assert.Equal(t, "me too", string(readN(t, a, 1)[0].data))
		})
	}
}

// The portable reader goroutine ends with Close, whatever it was doing:
// blocked in a read, or waiting for room with the ring full.
func TestPortableNoGoroutineLeak(t *testing.T) {
	skipNetUDPUnderWine(t)
	before := runtime.NumGoroutine()
	for i := range 5 {
		a, err := listenPortable(lo4, UDPOptions{})
		require.NoError(t, err)
		b, err := listenPortable(lo4, UDPOptions{})
		require.NoError(t, err)
		if i%2 == 1 { // fill b's ring past capacity so its reader waits
			out := make([]Message, ringSlots+10)
			for j := range out {
				out[j] = Message{Buf: []byte("fill"), N: 4, Addr: b.LocalAddr()}
			}
			_, err := a.WriteBatch(out)
			require.NoError(t, err)
			waitFor(t, "ring to fill", func() bool { return b.waiting.Load() })
		}
		require.NoError(t, a.Close())
		require.NoError(t, b.Close())
	}
	waitFor(t, "reader goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

// A panic in the reader is contained: ReadBatch reports it, Close works.
func TestPortableReaderPanic(t *testing.T) {
	skipNetUDPUnderWine(t)
	conn, err := listenUDPConn(lo4, UDPOptions{})
	require.NoError(t, err)
	p := startPortable(conn, func([]byte) (int, netip.AddrPort, error) { panic("boom") })
	t.Cleanup(func() { p.Close() })
	var readErr error
	waitFor(t, "reader failure to surface", func() bool {
		_, readErr = p.ReadBatch(newMsgs(1))
		return readErr != nil
	})
	assert.ErrorIs(t, readErr, errReaderStopped)
	assert.Contains(t, readErr.Error(), "boom")
	assert.NoError(t, p.Close())
	_, err = p.ReadBatch(newMsgs(1))
	assert.ErrorIs(t, err, ErrClosed)
}

// Persistent read errors back off instead of spinning, and Close still
// stops the reader promptly.
func TestPortableReaderErrors(t *testing.T) {
	skipNetUDPUnderWine(t)
	conn, err := listenUDPConn(lo4, UDPOptions{})
	require.NoError(t, err)
	var calls atomic.Int64
	p := startPortable(conn, func([]byte) (int, netip.AddrPort, error) {
		calls.Add(1)
		return 0, netip.AddrPort{}, errors.New("transient")
	})
	waitFor(t, "the reader to back off", func() bool { return calls.Load() > 9 })
	n, err := p.ReadBatch(newMsgs(1))
	assert.NoError(t, err, "transient errors are not the caller's")
	assert.Zero(t, n)
	start := time.Now()
	require.NoError(t, p.Close())
	assert.Less(t, time.Since(start), time.Second)
	assert.Less(t, calls.Load(), int64(1000), "the reader spun")
}

// A datagram over MaxDatagram (2000 bytes) in front of 100 small ones is
// read as the first Message, cut to MaxDatagram and flagged Truncated; the
// small ones all follow, whole and in order.
func TestUDPOversizedDatagram(t *testing.T) {
	for _, impl := range udpImpls {
		t.Run(impl.name, func(t *testing.T) {
			if impl.netUDP {
				skipNetUDPUnderWine(t)
			}
			a := listenT(t, impl.listen, lo4)
			b := listenT(t, impl.listen, lo4)
			const small = 100
			out := []Message{{Buf: pattern(0, 2000), N: 2000, Addr: b.LocalAddr()}}
			for i := 1; i <= small; i++ {
				out = append(out, Message{Buf: pattern(i, 20), N: 20, Addr: b.LocalAddr()})
			}
			n, err := a.WriteBatch(out)
			require.NoError(t, err)
			require.Equal(t, len(out), n)

			got := readMsgs(t, b, len(out), MaxDatagram)
			assert.True(t, got[0].Truncated)
			assert.Equal(t, MaxDatagram, got[0].N)
			assert.Equal(t, pattern(0, 2000)[:MaxDatagram], got[0].Buf)
			assert.Equal(t, a.LocalAddr(), got[0].Addr)
			for i := 1; i <= small; i++ {
				assert.False(t, got[i].Truncated, "datagram %d", i)
				assert.Equal(t, pattern(i, 20), got[i].Buf, "datagram %d", i)
			}
			assert.Zero(t, b.(interface{ Stats() UDPStats }).Stats().RecvDropped)
		})
	}
}

// Windows fails the read of a datagram larger than the buffer with
// WSAEMSGSIZE (after filling the buffer, without the sender). The portable
// reader passes it on as a truncated datagram: not an error to back off
// from, and not a silent loss.
func TestPortableMsgSizeError(t *testing.T) {
	skipNetUDPUnderWine(t)
	conn, err := listenUDPConn(lo4, UDPOptions{})
	require.NoError(t, err)
	var calls atomic.Int64
	peer := netip.MustParseAddrPort("127.0.0.1:9")
	p := startPortable(conn, func(b []byte) (int, netip.AddrPort, error) {
		switch calls.Add(1) {
		case 1, 2, 3:
			return len(b), netip.AddrPort{}, &net.OpError{Op: "wsarecvfrom", Net: "udp", Err: os.NewSyscallError("wsarecvfrom", wsaEMsgSize)}
		case 4:
			return copy(b, "fine"), peer, nil
		}
		return conn.ReadFromUDPAddrPort(b) // blocks until Close
	})
	t.Cleanup(func() { p.Close() })
	got := readMsgs(t, p, 4, MaxDatagram)
	for i := range 3 {
		assert.True(t, got[i].Truncated, "datagram %d", i)
		assert.Equal(t, MaxDatagram, got[i].N, "datagram %d", i)
		assert.False(t, got[i].Addr.IsValid(), "Windows reports no sender")
	}
	assert.False(t, got[3].Truncated)
	assert.Equal(t, "fine", string(got[3].Buf))
	assert.Equal(t, peer, got[3].Addr)
}
