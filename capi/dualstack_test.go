package main

import (
	"net/netip"
	"strings"
	"testing"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// A server bound to "[::]:0" serves an IPv4 client that connects to
// 127.0.0.1, over real loopback, and reports it as plain IPv4 (never
// ::ffff:127.0.0.1). On a host without IPv6 the bind falls back to
// 0.0.0.0 and the same holds.
func TestWildcardServerServesIPv4ThroughExports(t *testing.T) {
	cfg := new(cServerConfig)
	serverConfigDefaults(cfg)
	cfg.protocol_id = testProtocol
	for i, b := range testKey {
		cfg.private_key[i] = cU8(b)
	}
	cfg.bind_addresses = cString("[::]:0")
	cfg.public_addresses = cString("127.0.0.1:0")
	var srv *cServer
	mustOK(t, "ly_server_create", ly__go_server_create((*cCServerConfig)(unsafe.Pointer(cfg)), &srv))
	defer ly__go_server_destroy(srv)
	mustOK(t, "ly_server_start", ly__go_server_start(srv))
	buf := make([]byte, 64)
	n := ly__go_server_address(srv, 0, cchars(buf), 64)
	if n <= 0 {
		t.Fatalf("ly_server_address: %d", n)
	}
	bound := netip.MustParseAddrPort(string(buf[:n]))
	if !bound.Addr().IsUnspecified() {
		t.Fatalf("bound to %v", bound)
	}
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bound.Port())

	tok := make([]byte, 2048)
	mustOK(t, "ly_token_generate", ly__go_token_generate(tokenParams(to.String()), cbuf(tok), 2048))
	var c *cClient
	mustOK(t, "ly_client_create", ly__go_client_create(cbytes(tok), 2048, nil, &c))
	defer ly__go_client_destroy(c)
	mustOK(t, "ly_client_connect", ly__go_client_connect(c))
	pumpConnected(t, srv, c)
	n = ly__go_server_client_address(srv, cClientID(core.NetcodeID(5)), cchars(buf), 64)
	if n <= 0 {
		t.Fatalf("ly_server_client_address: %d", n)
	}
	if got := string(buf[:n]); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Fatalf("client seen at %q, want plain 127.0.0.1", got)
	}
}
