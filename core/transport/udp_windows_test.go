package transport

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// UDP opens winsock sockets itself here (udp_windows.go).
const netUDPTransport = false

// errNoFamily is how winsock says the address family is not installed.
const errNoFamily = windows.WSAEAFNOSUPPORT

func init() {
	platformCases = append(platformCases,
		transportCase{"UDPDualStack", udpPair(netip.MustParseAddrPort("[::]:0"), listenDualStackTransport), false},
	)
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

// withNativeListen makes openSocket fail with what fail returns for a
// network ("udp4", "udp6", "udp" for dual-stack), for the test.
func withNativeListen(t *testing.T, fail func(network string) error) {
	real := openSocket
	openSocket = func(network string) (windows.Handle, error) {
		if err := fail(network); err != nil {
			return windows.InvalidHandle, err
		}
		return real(network)
	}
	t.Cleanup(func() { openSocket = real })
}

// ReadDrained is true exactly when ReadBatch stopped at WSAEWOULDBLOCK:
// after a short batch, never after one that filled every Message.
func TestUDPReadDrained(t *testing.T) {
	a := listenT(t, listenUDPTransport, lo4)
	b := listenT(t, listenUDPTransport, lo4).(*UDP)
	const count = 5
	for i := range count {
		send(t, a, b.LocalAddr(), pattern(i, 10))
	}
	msgs := newMsgs(2)
	got, full := 0, 0
	deadline := time.Now().Add(waitTimeout)
	for got < count {
		n, err := b.ReadBatch(msgs)
		require.NoError(t, err)
		got += n
		if n == len(msgs) {
			full++
			assert.False(t, b.ReadDrained(), "a full batch says nothing about the queue")
		} else {
			assert.True(t, b.ReadDrained(), "a short batch ended at WSAEWOULDBLOCK")
			require.False(t, time.Now().After(deadline), "got %d of %d", got, count)
			idle()
		}
	}
	assert.NotZero(t, full, "no full batch: the test proved nothing")
	n, err := b.ReadBatch(msgs)
	require.NoError(t, err)
	require.Zero(t, n)
	assert.True(t, b.ReadDrained())
}

// A child process never inherits the socket.
func TestUDPNotInherited(t *testing.T) {
	u := listenT(t, listenUDPTransport, lo4).(*UDP)
	var flags uint32
	get := windows.NewLazySystemDLL("kernel32.dll").NewProc("GetHandleInformation")
	ok, _, err := get.Call(uintptr(u.sock), uintptr(unsafe.Pointer(&flags)))
	require.NotZero(t, ok, "GetHandleInformation: %v", err)
	assert.Zero(t, flags&windows.HANDLE_FLAG_INHERIT)
}
