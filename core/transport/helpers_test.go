package transport

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/internal/wine"
)

// waitTimeout bounds every poll loop: long enough for a loaded CI machine,
// short enough that a lost datagram fails fast.
const waitTimeout = 5 * time.Second

var (
	lo4 = netip.MustParseAddrPort("127.0.0.1:0")
	lo6 = netip.MustParseAddrPort("[::1]:0")
)

// newMsgs returns n read Messages with MaxDatagram buffers.
func newMsgs(n int) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i].Buf = make([]byte, MaxDatagram)
	}
	return msgs
}

// received is a copy of one datagram, safe to keep after the next read.
type received struct {
	data []byte
	from netip.AddrPort
}

// readN polls tr until want datagrams arrived or waitTimeout passed.
func readN(t testing.TB, tr Transport, want int) []received {
	t.Helper()
	msgs := newMsgs(64)
	var got []received
	deadline := time.Now().Add(waitTimeout)
	for len(got) < want {
		n, err := tr.ReadBatch(msgs)
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		for _, m := range msgs[:n] {
			got = append(got, received{append([]byte{}, m.Buf[:m.N]...), m.Addr})
		}
		if n == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("got %d of %d datagrams within %v", len(got), want, waitTimeout)
			}
			idle()
		}
	}
	return got
}

// readMsgs is readN keeping whole Messages, flags included; each Buf is a
// copy of Buf[:N]. size is the length of the Bufs read into.
func readMsgs(t testing.TB, tr Transport, want, size int) []Message {
	t.Helper()
	msgs := make([]Message, 32)
	for i := range msgs {
		msgs[i].Buf = make([]byte, size)
	}
	var got []Message
	deadline := time.Now().Add(waitTimeout)
	for len(got) < want {
		n, err := tr.ReadBatch(msgs[:min(len(msgs), want-len(got))])
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		for _, m := range msgs[:n] {
			m.Buf = append([]byte(nil), m.Buf[:m.N]...)
			got = append(got, m)
		}
		if n == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("got %d of %d datagrams within %v", len(got), want, waitTimeout)
			}
			idle()
		}
	}
	return got
}

// idle is how the poll loops wait for more data, as a game loop waits for
// its next tick. A loop that never blocks (spinning, or only yielding)
// delays the wakeup of the portable transport's reader goroutine: the idle
// thread that should run it sleeps in the netpoller while the spinner holds
// the other P, and on a VM waking a halted vCPU is slow.
func idle() { time.Sleep(time.Microsecond) }

// waitFor polls cond until it holds or waitTimeout passed.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// send writes one datagram and requires it to be accepted.
func send(t testing.TB, tr Transport, to netip.AddrPort, b []byte) {
	t.Helper()
	n, err := tr.WriteBatch([]Message{{Buf: b, N: len(b), Addr: to}})
	if err != nil || n != 1 {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
}

// pattern is the content of test datagram i.
func pattern(i, size int) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	return b
}

// skipNetUDPUnderWine skips a test of Go's own UDP sockets (the portable
// transport) under wine: wine 8.0 fails net.ListenUDP, since it does not
// implement the WSAIoctl SIO_UDP_CONNRESET Go's net package issues on every
// UDP socket (WSAEOPNOTSUPP, "winapi error #10045"), and a blocking
// WSARecvFrom from Go crashes it. The Windows transport (udp_windows.go)
// uses neither.
func skipNetUDPUnderWine(t testing.TB) {
	t.Helper()
	if v, ok := wine.Version(); ok {
		t.Skipf("under wine %s, Go's net.ListenUDP fails (SIO_UDP_CONNRESET unimplemented, #10045) and a blocking WSARecvFrom crashes wine", v)
	}
}
