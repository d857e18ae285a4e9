package transport

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func memListen(t *testing.T, nw *MemNetwork, addr string) *MemConn {
	t.Helper()
	c, err := nw.Listen(netip.MustParseAddrPort(addr))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// Datagrams arrive in exactly the order they were sent, across senders.
func TestMemOrdering(t *testing.T) {
	nw := NewMemNetwork()
	a := memListen(t, nw, "10.0.0.1:1")
	b := memListen(t, nw, "10.0.0.2:1")
	srv := memListen(t, nw, "10.0.0.3:1")
	for i := range 500 {
		from := a
		if i%3 == 0 {
			from = b
		}
		send(t, from, srv.LocalAddr(), pattern(i, 1+i%50))
	}
	assert.Equal(t, 500, srv.Pending())
	got := readN(t, srv, 500)
	for i, r := range got {
		want := a.LocalAddr()
		if i%3 == 0 {
			want = b.LocalAddr()
		}
		require.Equal(t, pattern(i, 1+i%50), r.data, "datagram %d", i)
		require.Equal(t, want, r.from, "datagram %d", i)
	}
	n, err := srv.ReadBatch(newMsgs(4))
	assert.NoError(t, err)
	assert.Zero(t, n)
	st := nw.Stats()
	assert.Equal(t, MemStats{Sent: 500, Delivered: 500}, st)
}

func TestMemFilter(t *testing.T) {
	nw := NewMemNetwork()
	a := memListen(t, nw, "10.0.0.1:1")
	b := memListen(t, nw, "10.0.0.2:1")
	var seen []netip.AddrPort
	nw.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		seen = append(seen, from, to)
		return p[0]%2 == 0 // drop odd datagrams
	})
	for i := range 10 {
		send(t, a, b.LocalAddr(), []byte{byte(i)})
	}
	got := readN(t, b, 5)
	for i, r := range got {
		assert.Equal(t, []byte{byte(2 * i)}, r.data)
	}
	assert.Zero(t, b.Pending())
	assert.Equal(t, []netip.AddrPort{a.LocalAddr(), b.LocalAddr()}, seen[:2])
	st := nw.Stats()
	assert.Equal(t, uint64(5), st.Filtered)
	assert.Equal(t, uint64(5), st.Delivered)
	assert.Equal(t, uint64(5), st.Dropped())

	// A partition in one direction only, then healed.
	nw.SetFilter(func(from, _ netip.AddrPort, _ []byte) bool { return from != a.LocalAddr() })
	send(t, a, b.LocalAddr(), []byte("lost"))
	send(t, b, a.LocalAddr(), []byte("kept"))
	assert.Zero(t, b.Pending())
	assert.Equal(t, 1, a.Pending())
	nw.SetFilter(nil)
	send(t, a, b.LocalAddr(), []byte("healed"))
	assert.Equal(t, "healed", string(readN(t, b, 1)[0].data))
}

func TestMemUnknownDestination(t *testing.T) {
	nw := NewMemNetwork()
	a := memListen(t, nw, "10.0.0.1:1")
	send(t, a, netip.MustParseAddrPort("10.0.0.9:1"), []byte("void"))
	assert.Equal(t, uint64(1), nw.Stats().Unroutable)

	// A closed endpoint is an unknown destination too.
	b := memListen(t, nw, "10.0.0.2:1")
	require.NoError(t, b.Close())
	send(t, a, b.LocalAddr(), []byte("void"))
	assert.Equal(t, uint64(2), nw.Stats().Unroutable)
	n, err := a.ReadBatch(newMsgs(1))
	assert.NoError(t, err)
	assert.Zero(t, n)
}

func TestMemPorts(t *testing.T) {
	nw := NewMemNetwork()
	a := memListen(t, nw, "127.0.0.1:0")
	b := memListen(t, nw, "127.0.0.1:0")
	assert.NotZero(t, a.LocalAddr().Port())
	assert.NotEqual(t, a.LocalAddr(), b.LocalAddr())
	assert.GreaterOrEqual(t, int(a.LocalAddr().Port()), memFirstPort)

	_, err := nw.Listen(a.LocalAddr())
	assert.ErrorIs(t, err, ErrAddrInUse)
	// Same port, other address: fine.
	memListen(t, nw, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), a.LocalAddr().Port()).String())

	// Closing frees the address.
	addr := a.LocalAddr()
	require.NoError(t, a.Close())
	memListen(t, nw, addr.String())

	// Mapped addresses are plain IPv4 on a MemNetwork too.
	m := memListen(t, nw, "[::ffff:10.1.1.1]:7")
	assert.Equal(t, netip.MustParseAddrPort("10.1.1.1:7"), m.LocalAddr())

	_, err = nw.Listen(netip.AddrPort{})
	assert.ErrorIs(t, err, ErrInvalidAddr)
}

func TestMemPortExhaustion(t *testing.T) {
	nw := NewMemNetwork()
	ip := netip.MustParseAddr("10.0.0.1")
	for range 65536 - memFirstPort {
		_, err := nw.Listen(netip.AddrPortFrom(ip, 0))
		require.NoError(t, err)
	}
	_, err := nw.Listen(netip.AddrPortFrom(ip, 0))
	assert.ErrorIs(t, err, ErrAddrInUse)
}

// Unspecified addresses route and answer like sockets bound to them.
func TestMemWildcard(t *testing.T) {
	nw := NewMemNetwork()
	srv4 := memListen(t, nw, "0.0.0.0:4000")
	srv6 := memListen(t, nw, "[::]:6000")
	c4 := memListen(t, nw, "127.0.0.1:0")
	c6 := memListen(t, nw, "[::1]:0")

	send(t, c4, netip.MustParseAddrPort("127.0.0.1:4000"), []byte("a"))
	r := readN(t, srv4, 1)[0]
	assert.Equal(t, c4.LocalAddr(), r.from)
	send(t, srv4, r.from, []byte("b"))
	assert.Equal(t, netip.MustParseAddrPort("127.0.0.1:4000"), readN(t, c4, 1)[0].from)

	// [::] takes IPv4 too, and answers from the IPv4 loopback.
	send(t, c4, netip.MustParseAddrPort("127.0.0.1:6000"), []byte("c"))
	r = readN(t, srv6, 1)[0]
	send(t, srv6, r.from, []byte("d"))
	assert.Equal(t, netip.MustParseAddrPort("127.0.0.1:6000"), readN(t, c4, 1)[0].from)

	send(t, c6, netip.MustParseAddrPort("[::1]:6000"), []byte("e"))
	r = readN(t, srv6, 1)[0]
	assert.Equal(t, c6.LocalAddr(), r.from)
	send(t, srv6, r.from, []byte("f"))
	assert.Equal(t, netip.MustParseAddrPort("[::1]:6000"), readN(t, c6, 1)[0].from)
}

func TestMemOverflowAndLimits(t *testing.T) {
	nw := NewMemNetwork()
	a := memListen(t, nw, "10.0.0.1:1")
	b := memListen(t, nw, "10.0.0.2:1")
	out := make([]Message, memQueueLimit+3)
	for i := range out {
		out[i] = Message{Buf: []byte{1}, N: 1, Addr: b.LocalAddr()}
	}
	n, err := a.WriteBatch(out)
	require.NoError(t, err)
	assert.Equal(t, len(out), n)
	assert.Equal(t, memQueueLimit, b.Pending())
	assert.Equal(t, uint64(3), nw.Stats().Overflowed)
	require.NoError(t, b.Close()) // returns the queued buffers
	assert.Zero(t, b.Pending())

	c := memListen(t, nw, "10.0.0.3:1")
	big := make([]byte, maxUDPPayload+1)
	send(t, a, c.LocalAddr(), big[:MaxDatagram+1]) // delivered, too big to read whole
	send(t, a, c.LocalAddr(), big)                 // refused
	send(t, a, c.LocalAddr(), []byte("small"))
	got := readMsgs(t, c, 2, MaxDatagram)
	assert.True(t, got[0].Truncated)
	assert.Equal(t, MaxDatagram, got[0].N)
	assert.False(t, got[1].Truncated)
	assert.Equal(t, "small", string(got[1].Buf))
	st := nw.Stats()
	assert.Equal(t, uint64(1), st.Invalid)
	assert.Equal(t, uint64(1), st.Truncated)
}

// Every endpoint may be used from any goroutine.
func TestMemConcurrent(t *testing.T) {
	nw := NewMemNetwork()
	srv := memListen(t, nw, "10.0.0.1:1")
	const senders, each = 4, 200
	var wg sync.WaitGroup
	for s := range senders {
		c := memListen(t, nw, netip.AddrPortFrom(netip.MustParseAddr("10.0.1.1"), uint16(s+1)).String())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := c.WriteBatch([]Message{{Buf: []byte{byte(i)}, N: 1, Addr: srv.LocalAddr()}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	got := readN(t, srv, senders*each)
	wg.Wait()
	// Per sender, order holds.
	next := map[netip.AddrPort]byte{}
	for _, r := range got {
		require.Equal(t, next[r.from], r.data[0])
		next[r.from]++
	}
}
