package transport

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withListen replaces listenUDP for the test: a host whose kernel has no
// IPv6, say (withNativeListen does the same for a transport that opens
// its sockets without the net package). Tests that use it must not run in
// parallel.
func withListen(t *testing.T, fake func(real func(string, *net.UDPAddr) (*net.UDPConn, error), network string, laddr *net.UDPAddr) (*net.UDPConn, error)) {
	real := listenUDP
	listenUDP = func(network string, laddr *net.UDPAddr) (*net.UDPConn, error) { return fake(real, network, laddr) }
	t.Cleanup(func() { listenUDP = real })
}

// noIPv6 fails every socket Go would open as AF_INET6 ("udp6", or "udp"
// on an IPv6 address) the way socket(2) does on a kernel without IPv6.
func noIPv6(real func(string, *net.UDPAddr) (*net.UDPConn, error), network string, laddr *net.UDPAddr) (*net.UDPConn, error) {
	if network == "udp6" || network == "udp" && laddr.IP.To4() == nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: os.NewSyscallError("socket", syscall.EAFNOSUPPORT)}
	}
	return real(network, laddr)
}

// On a host without IPv6, [::] binds 0.0.0.0 on the same port and serves
// IPv4 clients; a specific IPv6 address still fails.
func TestUDPWildcardWithoutIPv6(t *testing.T) {
	withListen(t, noIPv6)
	withNativeListen(t, func(network string) error {
		if network != "udp4" {
			return os.NewSyscallError("socket", errNoFamily)
		}
		return nil
	})
	for _, impl := range udpImpls {
		t.Run(impl.name, func(t *testing.T) {
			if impl.netUDP {
				skipNetUDPUnderWine(t)
			}
			server, err := impl.listen(netip.MustParseAddrPort("[::]:0"))
			require.NoError(t, err, "[::] must fall back to IPv4")
			defer server.Close()
			require.Equal(t, netip.IPv4Unspecified(), server.LocalAddr().Addr())
			require.NotZero(t, server.LocalAddr().Port())

			client := listenT(t, impl.listen, lo4)
			to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), server.LocalAddr().Port())
			send(t, client, to, []byte("hello"))
			got := readN(t, server, 1)
			assert.Equal(t, "hello", string(got[0].data))
			assert.Equal(t, client.LocalAddr(), got[0].from)
			send(t, server, got[0].from, []byte("welcome"))
			assert.Equal(t, "welcome", string(readN(t, client, 1)[0].data))

			// An IPv6 destination cannot be reached: skipped and counted.
			n, err := server.WriteBatch([]Message{{Buf: []byte("x"), N: 1, Addr: netip.MustParseAddrPort("[::1]:9")}})
			require.NoError(t, err)
			require.Equal(t, 1, n)
			require.EqualValues(t, 1, server.(interface{ Stats() UDPStats }).Stats().SendSkipped)

			_, err = impl.listen(lo6)
			require.True(t, familyUnavailable(err), "a specific IPv6 address has no fallback: %v", err)
		})
	}
}

// Only a missing address family falls back: [::] whose port is taken must
// fail, not quietly become an IPv4-only server.
func TestUDPWildcardOtherErrorNoFallback(t *testing.T) {
	var calls []string
	withListen(t, func(real func(string, *net.UDPAddr) (*net.UDPConn, error), network string, laddr *net.UDPAddr) (*net.UDPConn, error) {
		calls = append(calls, network)
		if network == "udp" {
			return nil, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
		}
		return real(network, laddr)
	})
	withNativeListen(t, func(network string) error {
		calls = append(calls, network)
		if network == "udp" {
			return os.NewSyscallError("bind", syscall.EADDRINUSE)
		}
		return nil
	})
	_, err := ListenUDP(netip.MustParseAddrPort("[::]:0"))
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	require.Equal(t, []string{"udp"}, calls)
}
