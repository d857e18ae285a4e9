package transport

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func init() {
	// The fallback a kernel without recvmmsg/sendmmsg gets.
	platformCases = append(platformCases,
		transportCase{"UDPFallback4", udpPair(lo4, listenFallbackTransport), true},
		transportCase{"UDPDualStack", udpPair(netip.MustParseAddrPort("[::]:0"), listenDualStackTransport), true},
	)
}

func listenFallbackTransport(addr netip.AddrPort) (Transport, error) {
	conn, err := listenUDPConn(addr, UDPOptions{})
	if err != nil {
		return nil, err
	}
	return newUDP(conn, true)
}

// listenDualStackTransport binds [::] but reports a loopback address, so
// the conformance suite drives a dual-stack socket over IPv6.
func listenDualStackTransport(addr netip.AddrPort) (Transport, error) {
	u, err := ListenUDP(addr)
	if err != nil {
		return nil, err
	}
	u.local = netip.AddrPortFrom(netip.IPv6Loopback(), u.local.Port())
	return u, nil
}

func TestUDPUsesMmsg(t *testing.T) {
	u := listenLo4(t)
	assert.Nil(t, u.portable, "this kernel supports recvmmsg/sendmmsg; the fast path should be in use")
	assert.True(t, u.is4)
}

func rawFD(t *testing.T, u *UDP, f func(fd int)) {
	t.Helper()
	require.GreaterOrEqual(t, u.fd, 0, "the fast path's own descriptor")
	f(u.fd)
}

// With IP_RECVERR set, Linux reports ICMP port unreachable on an unconnected
// socket as a pending ECONNREFUSED. ReadBatch must swallow it.
func TestUDPIgnoresConnRefused(t *testing.T) {
	a := listenLo4(t)
	b := listenLo4(t)
	gone, err := ListenUDP(lo4)
	require.NoError(t, err)
	dead := gone.LocalAddr()
	require.NoError(t, gone.Close())

	rawFD(t, a, func(fd int) {
		require.NoError(t, unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1))
	})
	send(t, a, dead, []byte("anyone?"))
	waitFor(t, "POLLERR", func() bool {
		var revents int16
		rawFD(t, a, func(fd int) {
			fds := []unix.PollFd{{Fd: int32(fd)}}
			if _, err := unix.Poll(fds, 0); err == nil {
				revents = fds[0].Revents
			}
		})
		return revents&unix.POLLERR != 0
	})

	n, err := a.ReadBatch(newMsgs(4))
	require.NoError(t, err)
	require.Zero(t, n)
	var soErr int
	rawFD(t, a, func(fd int) { soErr, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR) })
	assert.Zero(t, soErr, "ReadBatch should have consumed the pending error")

	send(t, a, b.LocalAddr(), []byte("ok"))
	assert.Equal(t, "ok", string(readN(t, b, 1)[0].data))
	send(t, b, a.LocalAddr(), []byte("back"))
	assert.Equal(t, "back", string(readN(t, a, 1)[0].data))
}

// More than maxBatch datagrams: WriteBatch chunks, ReadBatch caps.
func TestUDPLargeBatches(t *testing.T) {
	a := listenLo4(t)
	b := listenLo4(t)
	const count = 3*maxBatch + 5
	out := make([]Message, count)
	for i := range out {
		out[i] = Message{Buf: pattern(i, 20), N: 20, Addr: b.LocalAddr()}
	}
	n, err := a.WriteBatch(out)
	require.NoError(t, err)
	require.Equal(t, count, n)

	in := newMsgs(2 * maxBatch)
	got := 0
	deadline := time.Now().Add(waitTimeout)
	for got < count {
		n, err := b.ReadBatch(in)
		require.NoError(t, err)
		require.LessOrEqual(t, n, maxBatch)
		got += n
		require.False(t, time.Now().After(deadline), "got %d of %d", got, count)
	}
}

func TestSockaddrCodec(t *testing.T) {
	var zones zoneCache
	for _, tc := range []struct {
		name string
		ap   string
		is4  bool
		want string // after a round trip; "" means unreachable
	}{
		{"v4 on v4", "192.0.2.1:9", true, "192.0.2.1:9"},
		{"mapped on v4", "[::ffff:192.0.2.1]:9", true, "192.0.2.1:9"},
		{"v6 on v4", "[2001:db8::1]:9", true, ""},
		{"v6 on v6", "[2001:db8::1]:65535", false, "[2001:db8::1]:65535"},
		{"v4 on v6 is mapped and unmapped back", "192.0.2.1:1", false, "192.0.2.1:1"},
		{"numeric zone", "[fe80::1%1]:443", false, "[fe80::1%lo]:443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sa unix.RawSockaddrInet6
			n, ok := encodeSockaddr(&sa, netip.MustParseAddrPort(tc.ap), tc.is4, &zones)
			if tc.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			got, ok := decodeSockaddr(&sa, n, &zones)
			require.True(t, ok)
			want := netip.MustParseAddrPort(tc.want)
			if want.Addr().Zone() == "lo" && got.Addr().Zone() != "lo" {
				t.Skipf("interface 1 is %q, not lo", got.Addr().Zone())
			}
			assert.Equal(t, want, got)
		})
	}
	var sa unix.RawSockaddrInet6
	_, ok := decodeSockaddr(&sa, 0, &zones)
	assert.False(t, ok, "an empty sockaddr is not an address")
}

func TestUDPOptions(t *testing.T) {
	getBuf := func(u *UDP, opt int) int {
		var v int
		rawFD(t, u, func(fd int) { v, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt) })
		return v
	}
	u, err := ListenUDPOptions(lo4, UDPOptions{ReadBuffer: 1 << 20, WriteBuffer: -1})
	require.NoError(t, err)
	defer u.Close()
	def, err := ListenUDPOptions(lo4, UDPOptions{ReadBuffer: -1, WriteBuffer: -1})
	require.NoError(t, err)
	defer def.Close()
	// Linux reports double the request; a capped request is still fine.
	if getBuf(u, unix.SO_RCVBUF) < 1<<20 {
		t.Logf("SO_RCVBUF capped at %d", getBuf(u, unix.SO_RCVBUF))
	}
	assert.Equal(t, getBuf(def, unix.SO_SNDBUF), getBuf(u, unix.SO_SNDBUF), "negative keeps the OS default")
	assert.NotEqual(t, getBuf(def, unix.SO_RCVBUF), getBuf(u, unix.SO_RCVBUF))
}

// On the recvmmsg path the kernel flags a datagram longer than its buffer
// with MSG_TRUNC and goes on: with a 2000-byte datagram queued in front of
// 100 small ones, one ReadBatch fills the whole batch, the first Message
// truncated, and the next ReadBatch starts where it stopped.
func TestUDPTruncatedFillsBatch(t *testing.T) {
	a := listenLo4(t)
	b := listenLo4(t)
	require.Nil(t, b.portable)
	out := []Message{{Buf: pattern(0, 2000), N: 2000, Addr: b.LocalAddr()}}
	for i := 1; i <= 100; i++ {
		out = append(out, Message{Buf: pattern(i, 20), N: 20, Addr: b.LocalAddr()})
	}
	n, err := a.WriteBatch(out)
	require.NoError(t, err)
	require.Equal(t, len(out), n)
	// Loopback queues a datagram at the receiver within the send call.
	in := newMsgs(maxBatch)
	n, err = b.ReadBatch(in)
	require.NoError(t, err)
	require.Equal(t, maxBatch, n, "a truncated datagram must not shorten the batch")
	assert.True(t, in[0].Truncated)
	assert.Equal(t, MaxDatagram, in[0].N)
	assert.Equal(t, a.LocalAddr(), in[0].Addr)
	for i := 1; i < n; i++ {
		require.False(t, in[i].Truncated, "datagram %d", i)
		require.Equal(t, pattern(i, 20), in[i].Buf[:in[i].N], "datagram %d", i)
	}
	n, err = b.ReadBatch(in)
	require.NoError(t, err)
	require.Equal(t, 100+1-maxBatch, n)
	assert.False(t, in[0].Truncated, "the flag is cleared on a Message read into again")
	assert.Equal(t, pattern(maxBatch, 20), in[0].Buf[:in[0].N])
	assert.Zero(t, b.Stats().RecvDropped)
}

// ReadDrained is true exactly when the kernel's batch stopped short, that
// is when the socket was emptied; a full batch, or one with a truncated
// datagram in it, says nothing.
func TestUDPReadDrained(t *testing.T) {
	a := listenLo4(t)
	b := listenLo4(t)
	var _ ReadDrainer = b
	in := newMsgs(8)
	out := []Message{{Buf: pattern(0, 2000), N: 2000, Addr: b.LocalAddr()}}
	for i := 1; i < 10; i++ {
		out = append(out, Message{Buf: pattern(i, 20), N: 20, Addr: b.LocalAddr()})
	}
	_, err := a.WriteBatch(out)
	require.NoError(t, err)
	for _, want := range []struct {
		n       int
		drained bool
	}{{8, false}, {2, true}, {0, true}} {
		n, err := b.ReadBatch(in)
		require.NoError(t, err)
		require.Equal(t, want.n, n)
		assert.Equal(t, want.drained, b.ReadDrained(), "after reading %d", n)
	}
	_, err = b.ReadBatch(nil)
	require.NoError(t, err)
	assert.False(t, b.ReadDrained(), "an empty batch asks nothing")

	fallback, err := listenFallbackTransport(lo4)
	require.NoError(t, err)
	defer fallback.Close()
	_, err = fallback.ReadBatch(in)
	require.NoError(t, err)
	assert.False(t, fallback.(*UDP).ReadDrained(), "the portable path cannot tell")
}

// listenLo4 opens a UDP socket on 127.0.0.1 that the test closes at its end.
func listenLo4(t *testing.T) *UDP {
	t.Helper()
	u, err := ListenUDP(lo4)
	require.NoError(t, err)
	t.Cleanup(func() { u.Close() })
	return u
}

// The fast path's descriptor is not in Go's network poller: a descriptor
// the poller watches wakes a runtime thread parked in epoll_wait for every
// datagram that arrives. Every epoll instance of the process is read from
// /proc/self/fdinfo, which lists the descriptors each one watches.
func TestUDPStaysOutOfThePoller(t *testing.T) {
	u := listenLo4(t)
	peer := listenLo4(t)
	// The poller exists (the net package made the socket), so a watched
	// descriptor would show up in it; peer's traffic makes sure of it.
	_, err := peer.WriteBatch([]Message{{Buf: []byte("x"), N: 1, Addr: u.LocalAddr()}})
	require.NoError(t, err)

	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	instances := 0
	for _, e := range fds {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || target != "anon_inode:[eventpoll]" {
			continue
		}
		instances++
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		require.NoError(t, err)
		for _, line := range strings.Split(string(info), "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 2 && fields[0] == "tfd:" {
				require.NotEqual(t, strconv.Itoa(u.fd), fields[1], "epoll instance %s watches the socket", e.Name())
				require.NotEqual(t, strconv.Itoa(peer.fd), fields[1], "epoll instance %s watches the socket", e.Name())
			}
		}
	}
	require.Positive(t, instances, "the net package made Go's poller, which must be looked into")

	msgs := []Message{{Buf: make([]byte, 16)}}
	require.Eventually(t, func() bool {
		n, err := u.ReadBatch(msgs)
		return err == nil && n == 1
	}, 2*time.Second, time.Millisecond, "the datagram still arrives")
}

// Close while another goroutine reads and writes: the calls in flight end
// with ErrClosed or success, and the descriptor is closed once they are
// out (the last one closes it).
func TestUDPCloseWithCallsInFlight(t *testing.T) {
	for round := 0; round < 20; round++ {
		u := listenLo4(t)
		fd := u.fd
		var wg sync.WaitGroup
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func(write bool) {
				defer wg.Done()
				msgs := []Message{{Buf: make([]byte, 16), N: 4, Addr: u.LocalAddr()}}
				for {
					var err error
					if write {
						_, err = u.WriteBatch(msgs)
					} else {
						_, err = u.ReadBatch(msgs)
					}
					if err != nil {
						assert.ErrorIs(t, err, ErrClosed)
						return
					}
				}
			}(g == 0)
		}
		time.Sleep(time.Millisecond)
		require.NoError(t, u.Close())
		wg.Wait()
		require.Zero(t, u.inFlight.Load())
		// Closed: fcntl on it fails (unless another test reopened the
		// number meanwhile, which this package's tests do not do in
		// parallel with this one).
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		require.ErrorIs(t, err, unix.EBADF, "round %d", round)
	}
}

// Requeue: datagrams a driver read from the descriptor itself come back
// from ReadBatch first, in order, with their senders decoded as a read
// decodes them (IPv4, and IPv4 mapped by a dual-stack socket, unmapped),
// truncation kept, across batches; then the socket is read again.
func TestUDPRequeue(t *testing.T) {
	a := listenLo4(t)
	b := listenLo4(t)
	send(t, a, b.LocalAddr(), []byte("from the socket"))
	waitFor(t, "datagram queued", func() bool {
		var n int
		rawFD(t, b, func(fd int) { n, _ = unix.IoctlGetInt(fd, unix.SIOCINQ) })
		return n > 0
	})

	sa4 := make([]byte, unix.SizeofSockaddrInet4)
	(*unix.RawSockaddrInet4)(unsafe.Pointer(&sa4[0])).Family = unix.AF_INET
	copy(sa4[4:8], []byte{127, 0, 0, 9})
	sa4[2], sa4[3] = 0x12, 0x34 // port 4660, network order
	sa6 := make([]byte, unix.SizeofSockaddrInet6)
	r6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sa6[0]))
	r6.Family = unix.AF_INET6
	r6.Addr = netip.MustParseAddr("::ffff:10.1.2.3").As16()
	sa6[2], sa6[3] = 0, 80
	big := pattern(3, MaxDatagram+10)

	b.Requeue([]byte("one"), sa4, false)
	b.Requeue([]byte("two"), sa6, true)
	b.Requeue(big, sa4, false)
	b.Requeue([]byte("bad"), []byte{0, 0}, false) // no address: dropped

	in := newMsgs(2)
	n, err := b.ReadBatch(in)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	assert.Equal(t, "one", string(in[0].Buf[:in[0].N]))
	assert.Equal(t, netip.MustParseAddrPort("127.0.0.9:4660"), in[0].Addr)
	assert.False(t, in[0].Truncated)
	assert.Equal(t, "two", string(in[1].Buf[:in[1].N]))
	assert.Equal(t, netip.MustParseAddrPort("10.1.2.3:80"), in[1].Addr)
	assert.True(t, in[1].Truncated)
	assert.False(t, b.ReadDrained(), "more may be waiting")

	n, err = b.ReadBatch(in)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the big one; the one without an address is dropped")
	assert.Equal(t, MaxDatagram, in[0].N)
	assert.True(t, in[0].Truncated, "cut to MaxDatagram")
	assert.Equal(t, uint64(1), b.Stats().RecvDropped)

	got := readN(t, b, 1)
	assert.Equal(t, "from the socket", string(got[0].data))
	assert.Equal(t, a.LocalAddr(), got[0].from)
}
