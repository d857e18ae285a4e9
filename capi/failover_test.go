package main

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// ly_client_connect on a host without IPv6 (dialHook fails IPv6 sockets
// as socket(AF_INET6) does there): a token whose first address is IPv6
// connects through the next one; a token with only IPv6 addresses is
// LY_ERR_SOCKET, as the header says.
func TestConnectSkipsUnopenableAddress(t *testing.T) {
	dialHook = func(server netip.AddrPort) (transport.Transport, error) {
		if !server.Addr().Unmap().Is4() {
			return nil, &net.OpError{Op: "listen", Net: "udp", Err: os.NewSyscallError("socket", syscall.EAFNOSUPPORT)}
		}
		return netcode.DialUDP(server)
	}
	defer func() { dialHook = nil }()
	f := newFixture(t)
	defer f.close()

	connect := func(addrs string) (*cClient, cInt) {
		t.Helper()
		tok := make([]byte, 2048)
		mustOK(t, "ly_token_generate", ly__go_token_generate(tokenParams(addrs), cbuf(tok), 2048))
		var c *cClient
		mustOK(t, "ly_client_create", ly__go_client_create(cbytes(tok), 2048, nil, &c))
		f.keepClient(c)
		return c, ly__go_client_connect(c)
	}

	c, rc := connect("[2001:db8::1]:40000 " + f.addr)
	if rc != 0 {
		t.Fatalf("ly_client_connect with an unopenable first address = %d", rc)
	}
	pumpConnected(t, f.srv, c)

	c, rc = connect("[2001:db8::1]:40000 [2001:db8::2]:40000")
	if rc != errSocket {
		t.Fatalf("ly_client_connect with no openable address = %d, want LY_ERR_SOCKET", rc)
	}
	var state cInt
	mustOK(t, "ly_client_get_state", ly__go_client_get_state(c, &state))
	if state != cInt(core.StateDisconnected) {
		t.Fatalf("state %d after a failed connect", state)
	}
}
