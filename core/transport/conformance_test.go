package transport

import (
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A transportCase builds two endpoints that reach each other at their
// LocalAddr. Every implementation runs the same suite.
type transportCase struct {
	name   string
	pair   func(t *testing.T) (a, b Transport)
	netUDP bool // built on Go's net.UDPConn, which wine cannot run
}

// platformCases is filled by the _linux tests.
var platformCases []transportCase

func transportCases() []transportCase {
	cases := []transportCase{
		{"UDP4", udpPair(lo4, listenUDPTransport), netUDPTransport},
		{"UDP6", udpPair(lo6, listenUDPTransport), netUDPTransport},
		{"Portable4", udpPair(lo4, listenPortableTransport), true},
		{"Portable6", udpPair(lo6, listenPortableTransport), true},
		{"Mem4", memPair(lo4), false},
		{"Mem6", memPair(lo6), false},
	}
	return append(cases, platformCases...)
}

type listenFunc func(netip.AddrPort) (Transport, error)

func listenUDPTransport(addr netip.AddrPort) (Transport, error) { return ListenUDP(addr) }

func listenPortableTransport(addr netip.AddrPort) (Transport, error) {
	return listenPortable(addr, UDPOptions{})
}

// listenT opens a transport closed at the end of the test, skipping the
// test when the address family is unavailable on this machine.
func listenT(t testing.TB, listen listenFunc, addr netip.AddrPort) Transport {
	t.Helper()
	tr, err := listen(addr)
	if err != nil && addr.Addr().Is6() {
		t.Skipf("IPv6 unavailable: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func udpPair(addr netip.AddrPort, listen listenFunc) func(*testing.T) (Transport, Transport) {
	return func(t *testing.T) (Transport, Transport) {
		return listenT(t, listen, addr), listenT(t, listen, addr)
	}
}

func memPair(addr netip.AddrPort) func(*testing.T) (Transport, Transport) {
	return func(t *testing.T) (Transport, Transport) {
		nw := NewMemNetwork()
		listen := func(a netip.AddrPort) (Transport, error) { return nw.Listen(a) }
		return listenT(t, listen, addr), listenT(t, listen, addr)
	}
}

func TestConformance(t *testing.T) {
	for _, tc := range transportCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.netUDP {
				skipNetUDPUnderWine(t)
			}
			t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, tc.pair) })
			t.Run("EmptyRead", func(t *testing.T) { testEmptyRead(t, tc.pair) })
			t.Run("Close", func(t *testing.T) { testClose(t, tc.pair) })
			t.Run("CloseWhileReading", func(t *testing.T) { testCloseWhileReading(t, tc.pair) })
			t.Run("SkipsBadMessages", func(t *testing.T) { testSkipsBadMessages(t, tc.pair) })
			t.Run("FlagsTruncated", func(t *testing.T) { testFlagsTruncated(t, tc.pair) })
			t.Run("ZeroAllocs", func(t *testing.T) { testZeroAllocs(t, tc.pair) })
		})
	}
}

// testRoundTrip sends 100 datagrams of distinct sizes from 0 to MaxDatagram
// in one batch (more than one kernel batch) and checks each arrives intact.
func testRoundTrip(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	a, b := pair(t)
	const count = 100
	sizeOf := func(i int) int {
		if i == count-1 {
			return MaxDatagram
		}
		return i * 97 % MaxDatagram // distinct for i < 100, since 97 and 1500 are coprime
	}
	out := make([]Message, count)
	index := make(map[int]int, count) // size -> datagram
	for i := range out {
		p := pattern(i, sizeOf(i))
		out[i] = Message{Buf: p, N: len(p), Addr: b.LocalAddr()}
		index[len(p)] = i
	}
	n, err := a.WriteBatch(out)
	require.NoError(t, err)
	require.Equal(t, count, n)

	got := readN(t, b, count)
	seen := make(map[int]bool, count)
	for _, r := range got {
		i, ok := index[len(r.data)]
		require.True(t, ok, "unexpected size %d", len(r.data))
		require.False(t, seen[i], "datagram %d twice", i)
		seen[i] = true
		assert.Equal(t, pattern(i, sizeOf(i)), r.data, "datagram %d", i)
		assert.Equal(t, a.LocalAddr(), r.from)
	}

	// And back, to the address the datagrams came from.
	send(t, b, got[0].from, []byte("reply"))
	back := readN(t, a, 1)
	assert.Equal(t, "reply", string(back[0].data))
	assert.Equal(t, b.LocalAddr(), back[0].from)
}

func testEmptyRead(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	_, b := pair(t)
	start := time.Now()
	n, err := b.ReadBatch(newMsgs(8))
	assert.NoError(t, err)
	assert.Zero(t, n)
	n, err = b.ReadBatch(nil)
	assert.NoError(t, err)
	assert.Zero(t, n)
	assert.Less(t, time.Since(start), time.Second, "ReadBatch must not wait")
}

func testClose(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	a, b := pair(t)
	local := a.LocalAddr()
	send(t, a, b.LocalAddr(), []byte("pending")) // Close must not trip over queued data
	readN(t, b, 0)
	require.NoError(t, b.Close())
	require.NoError(t, a.Close())
	assert.NoError(t, a.Close(), "second Close")

	_, err := a.ReadBatch(newMsgs(1))
	assert.ErrorIs(t, err, ErrClosed)
	_, err = a.WriteBatch([]Message{{Buf: []byte("x"), N: 1, Addr: local}})
	assert.ErrorIs(t, err, ErrClosed)
	_, err = b.ReadBatch(newMsgs(1))
	assert.ErrorIs(t, err, ErrClosed)
	assert.Equal(t, local, a.LocalAddr())
}

// testCloseWhileReading closes from another goroutine during reads and
// writes; run under -race this checks Close's concurrency promise.
func testCloseWhileReading(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	a, b := pair(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		msgs := newMsgs(8)
		for {
			if _, err := b.ReadBatch(msgs); err != nil {
				errs <- err
				return
			}
			runtime.Gosched()
		}
	}()
	go func() {
		defer wg.Done()
		out := []Message{{Buf: []byte("spam"), N: 4, Addr: b.LocalAddr()}}
		for {
			if _, err := b.WriteBatch(out); err != nil {
				errs <- err
				return
			}
			runtime.Gosched()
		}
	}()
	send(t, a, b.LocalAddr(), []byte("x"))
	time.Sleep(10 * time.Millisecond) // let both loops spin; not a correctness wait
	require.NoError(t, b.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.ErrorIs(t, err, ErrClosed)
	}
}

// testSkipsBadMessages: malformed Messages are skipped and counted as
// written; the good ones around them still go.
func testSkipsBadMessages(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	a, b := pair(t)
	to := b.LocalAddr()
	out := []Message{
		{Buf: []byte("first"), N: 5, Addr: to},
		{Buf: []byte("x"), N: 2, Addr: to},  // N beyond Buf
		{Buf: []byte("x"), N: -1, Addr: to}, // negative N
		{Buf: []byte("x"), N: 1},            // no address
		{Buf: []byte("last"), N: 4, Addr: to},
	}
	n, err := a.WriteBatch(out)
	require.NoError(t, err)
	assert.Equal(t, len(out), n)
	got := readN(t, b, 2)
	assert.ElementsMatch(t, []string{"first", "last"}, []string{string(got[0].data), string(got[1].data)})
}

// testFlagsTruncated: a datagram larger than the reader's Buf is delivered
// cut to it, in its place, with Truncated set, not dropped; the ones after
// it come whole, and a Message read into again loses the flag.
func testFlagsTruncated(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	a, b := pair(t)
	to := b.LocalAddr()
	out := []Message{
		{Buf: pattern(1, 100), N: 100, Addr: to},
		{Buf: pattern(2, 5), N: 5, Addr: to},
		{Buf: pattern(3, 10), N: 10, Addr: to}, // fits exactly
	}
	_, err := a.WriteBatch(out)
	require.NoError(t, err)
	got := readMsgs(t, b, len(out), 10)
	for i, want := range []struct {
		data      []byte
		truncated bool
	}{{pattern(1, 100)[:10], true}, {pattern(2, 5), false}, {pattern(3, 10), false}} {
		assert.Equal(t, want.data, got[i].Buf, "datagram %d", i)
		assert.Equal(t, len(want.data), got[i].N, "datagram %d", i)
		assert.Equal(t, want.truncated, got[i].Truncated, "datagram %d", i)
		assert.Equal(t, a.LocalAddr(), got[i].Addr, "datagram %d", i)
	}
}

// testZeroAllocs pins the steady-state packet path: one datagram written
// and read back allocates nothing.
func testZeroAllocs(t *testing.T, pair func(*testing.T) (Transport, Transport)) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	a, b := pair(t)
	out := []Message{{Buf: pattern(0, 100), N: 100, Addr: b.LocalAddr()}}
	in := newMsgs(4)
	failed := false
	roundTrip := func() {
		if _, err := a.WriteBatch(out); err != nil {
			failed = true
			return
		}
		deadline := time.Now().Add(waitTimeout)
		for {
			n, err := b.ReadBatch(in)
			if err != nil || n > 1 {
				failed = true
				return
			}
			if n == 1 {
				return
			}
			if time.Now().After(deadline) {
				failed = true
				return
			}
			// Not a yield: AllocsPerRun runs with GOMAXPROCS=1, where a
			// goroutine that only yields starves the netpoller and the
			// portable reader waits for sysmon's 10ms poll.
			idle()
		}
	}
	for range 10 {
		roundTrip() // warm pools and caches
	}
	allocs := testing.AllocsPerRun(200, roundTrip)
	require.False(t, failed, "round trip failed")
	assert.Zero(t, allocs, "allocations per round trip")
}

func TestErrorsAreSentinels(t *testing.T) {
	_, err := ListenUDP(netip.AddrPort{})
	assert.True(t, errors.Is(err, ErrInvalidAddr), "%v", err)
	_, err = NewMemNetwork().Listen(netip.AddrPort{})
	assert.True(t, errors.Is(err, ErrInvalidAddr), "%v", err)
}
