package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
	"github.com/lightyear-conn/lightyear_conn/internal/wine"
)

// skipWTUnderWine: quic-go binds with Go's net.ListenUDP, which wine 8.0
// fails ("winapi error #10045", issue 10), so a wt:// server cannot start.
func skipWTUnderWine(t *testing.T) {
	t.Helper()
	if v, ok := wine.Version(); ok {
		t.Skipf("under wine %s, Go's net.ListenUDP fails (#10045), so WebTransport cannot listen", v)
	}
}

func newWebOptions() *cCWebOptions {
	o := new(cWebOptions)
	webOptionsDefaults(o)
	return (*cCWebOptions)(unsafe.Pointer(o))
}

func newWebStats() *cWebStats {
	st := new(cWebStats)
	st.struct_size = cU32(unsafe.Sizeof(*st))
	return st
}

// webServer makes a stopped server on bind; the test destroys it.
func webServer(t *testing.T, bind string) *cServer {
	t.Helper()
	var s *cServer
	if rc, msg, _ := onThread(func() cInt { return ly__go_server_create(serverConfig(bind), &s) }); rc != 0 {
		t.Fatalf("ly_server_create(%q): %d %s", bind, rc, msg)
	}
	t.Cleanup(func() { ly__go_server_destroy(s) })
	return s
}

func wantCode(t *testing.T, what string, rc cInt, msg string, code cInt, inMsg string) {
	t.Helper()
	if rc != code || !strings.Contains(msg, inMsg) {
		t.Errorf("%s: %d %q, want %d and a message with %q", what, rc, msg, code, inMsg)
	}
}

func TestWebBinds(t *testing.T) {
	for _, tc := range []struct{ bind, inMsg string }{
		{"ftp://127.0.0.1:0", `scheme "ftp"`},
		{"ws://0.0.0.0:8080", "loopback"},
		{"ws://[::]:8080", "loopback"},
		{"wt://127.0.0.1", "127.0.0.1"},
		{"wt://127.0.0.1:0?port=1", "public="},
		{"wt://127.0.0.1:0?public=nowhere", "public"},
		{"127.0.0.1:0,ws://localhost:8080", "localhost"},
		{"udp://not-an-address", "not-an-address"},
	} {
		var s *cServer
		rc, msg, _ := onThread(func() cInt { return ly__go_server_create(serverConfig(tc.bind), &s) })
		if rc == 0 {
			ly__go_server_destroy(s)
		}
		wantCode(t, tc.bind, rc, msg, errInvalidArgument, tc.inMsg)
	}

	skipWTUnderWine(t)
	// udp:// is a bare address; the browser listeners follow the UDP
	// sockets in ly_server_address, with their scheme.
	s := webServer(t, "ws://127.0.0.1:0 udp://127.0.0.1:0,wt://127.0.0.1:0?public=127.0.0.1:0")
	mustOK(t, "ly_server_start", ly__go_server_start(s))
	var got []string
	for i := cU32(0); ; i++ {
		buf := make([]byte, 64)
		n := ly__go_server_address(s, i, cchars(buf), 64)
		if n < 0 {
			break
		}
		got = append(got, string(buf[:n]))
	}
	if len(got) != 3 || strings.Contains(got[0], "://") || !strings.HasPrefix(got[1], "ws://127.0.0.1:") || !strings.HasPrefix(got[2], "wt://127.0.0.1:") {
		t.Errorf("ly_server_address: %q, want UDP bare, then ws://, wt://", got)
	}
	for _, a := range got {
		if strings.HasSuffix(a, ":0") {
			t.Errorf("address %q: port 0 after start", a)
		}
	}

	// wss:// needs a certificate: start says so until one is set.
	w := webServer(t, "wss://127.0.0.1:0")
	rc, msg, _ := onThread(func() cInt { return ly__go_server_start(w) })
	wantCode(t, "start wss without a certificate", rc, msg, errInvalidArgument, "cert_file")
	certFile, keyFile := certFiles(t)
	o := newWebOptions()
	(*cWebOptions)(unsafe.Pointer(o)).cert_file = cString(certFile)
	(*cWebOptions)(unsafe.Pointer(o)).key_file = cString(keyFile)
	mustOK(t, "ly_server_set_web_options", ly__go_server_set_web_options(w, o))
	mustOK(t, "ly_server_start wss", ly__go_server_start(w))
}

// A port in use is a socket error at start, for each transport.
func TestWebPortInUse(t *testing.T) {
	skipWTUnderWine(t)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, bind := range []string{"ws://" + tcp.Addr().String(), "wt://" + udp.LocalAddr().String()} {
		s := webServer(t, "127.0.0.1:0,"+bind)
		rc, msg, _ := onThread(func() cInt { return ly__go_server_start(s) })
		wantCode(t, bind, rc, msg, errSocket, "in use")
		if ly__go_server_running(s) != 0 {
			t.Errorf("%s: running after a failed start", bind)
		}
	}
}

func TestWebOptions(t *testing.T) {
	skipWTUnderWine(t)
	s := webServer(t, "ws://127.0.0.1:0,wt://127.0.0.1:0,wss://127.0.0.1:0")
	certFile, keyFile := certFiles(t)
	set := func(what string, change func(o *cWebOptions), code cInt, inMsg string) {
		t.Helper()
		o := newWebOptions()
		oo := (*cWebOptions)(unsafe.Pointer(o))
		oo.cert_file, oo.key_file = cString(certFile), cString(keyFile)
		change(oo)
		rc, msg, _ := onThread(func() cInt { return ly__go_server_set_web_options(s, o) })
		wantCode(t, what, rc, msg, code, inMsg)
	}
	rc, msg, _ := onThread(func() cInt { return ly__go_server_set_web_options(s, nil) })
	wantCode(t, "NULL", rc, msg, errInvalidArgument, "NULL")
	set("struct_size", func(o *cWebOptions) { o.struct_size-- }, errInvalidArgument, "struct_size")
	set("validity over 14 days", func(o *cWebOptions) { o.cert_validity_seconds = 14*86400 + 1 }, errInvalidArgument, "14 days")
	set("validity under a minute", func(o *cWebOptions) { o.cert_validity_seconds = 59 }, errInvalidArgument, "cert_validity_seconds")
	set("cert without key", func(o *cWebOptions) { o.key_file = nil }, errInvalidArgument, "together")
	set("unreadable cert", func(o *cWebOptions) { o.cert_file = cString(certFile + ".gone") }, errInvalidArgument, "cert_file")
	set("wss without cert", func(o *cWebOptions) { o.cert_file, o.key_file = nil, nil }, errInvalidArgument, "wss")
	set("path", func(o *cWebOptions) { o.path = cString("netcode") }, errInvalidArgument, "path")
	set("max_sessions", func(o *cWebOptions) { o.max_sessions = 1<<20 + 1 }, errInvalidArgument, "max_sessions")
	set("send_queue", func(o *cWebOptions) { o.send_queue = 0xffffffff }, errInvalidArgument, "send_queue")

	// A refused call changed nothing: the hashes are the ones made at create.
	before := hashes(t, s)
	set("14 days, every field", func(o *cWebOptions) {
		o.cert_validity_seconds = 14 * 86400
		o.allowed_origins = cString("https://game.example.com, http://localhost:8000")
		o.path = cString("/netcode")
		o.max_sessions, o.max_sessions_per_ip = 8, 2
		o.recv_queue, o.session_recv_queue, o.send_queue = 64, 16, 8
		o.handshake_timeout_ms, o.idle_timeout_ms, o.write_timeout_ms = 2000, 3000, 1000
	}, 0, "")
	// wt:// with cert_file presents that certificate: no hashes.
	if after := hashes(t, s); len(before) != 1 || len(after) != 0 {
		t.Errorf("hashes before %x, after options with cert_file %x: want one, then none", before, after)
	}
	mustOK(t, "ly_server_start", ly__go_server_start(s))
	set("running", func(o *cWebOptions) {}, errAlreadyActive, "stop")
	mustOK(t, "ly_server_stop", ly__go_server_stop(s))

	// New options remake the self-signed certificates; a restart keeps them.
	w := webServer(t, "wt://127.0.0.1:0")
	before = hashes(t, w)
	mustOK(t, "ly_server_set_web_options", ly__go_server_set_web_options(w, newWebOptions()))
	after := hashes(t, w)
	if len(after) != 1 || after[0] == before[0] {
		t.Errorf("hashes before %x, after new options %x: want one, remade", before, after)
	}
	mustOK(t, "ly_server_start", ly__go_server_start(w))
	mustOK(t, "ly_server_stop", ly__go_server_stop(w))
	if got := hashes(t, w); len(got) != 1 || got[0] != after[0] {
		t.Errorf("hashes after a restart %x, want %x kept", got, after)
	}

	// Options on a server without browser binds are checked and kept.
	u := webServer(t, "127.0.0.1:0")
	mustOK(t, "options on a UDP server", ly__go_server_set_web_options(u, newWebOptions()))
	rc, msg, _ = onThread(func() cInt { return ly__go_server_web_rotate_cert(u) })
	wantCode(t, "rotate without wt", rc, msg, errInvalidArgument, "wt://")
	if n := ly__go_server_web_cert_hashes(u, nil, 0, nil); n != 0 {
		t.Errorf("hashes of a UDP server: %d", n)
	}
}

func hashes(t *testing.T, s *cServer) [][32]byte {
	t.Helper()
	var n cU32
	if rc := ly__go_server_web_cert_hashes(s, nil, 0, &n); rc != 0 && rc != errBufferTooSmall {
		t.Fatalf("ly_server_web_cert_hashes: %d", rc)
	}
	out := make([][32]byte, n+1) // one spare: the call must say how many it wrote
	rc := ly__go_server_web_cert_hashes(s, (*cU8)(unsafe.Pointer(&out[0][0])), n+1, &n)
	if rc < 0 || cU32(rc) != n {
		t.Fatalf("ly_server_web_cert_hashes: %d, count %d", rc, n)
	}
	return out[:n]
}

func TestWebCertHashes(t *testing.T) {
	s := webServer(t, "wt://127.0.0.1:0")
	var n cU32 = 99
	if rc := ly__go_server_web_cert_hashes(s, nil, 0, &n); rc != errBufferTooSmall || n != 1 {
		t.Errorf("no room: %d, count %d; want LY_ERR_BUFFER_TOO_SMALL, 1", rc, n)
	}
	if rc := ly__go_server_web_cert_hashes(s, nil, 1, &n); rc != errInvalidArgument {
		t.Errorf("NULL hashes with room for 1: %d", rc)
	}
	first := hashes(t, s)
	mustOK(t, "ly_server_web_rotate_cert", ly__go_server_web_rotate_cert(s))
	got := hashes(t, s)
	if len(got) != 2 || got[1] != first[0] || got[0] == first[0] {
		t.Fatalf("after rotation %x, want a new hash first, then %x", got, first[0])
	}
	// One slot for two: nothing written.
	var one [32]byte
	if rc := ly__go_server_web_cert_hashes(s, (*cU8)(unsafe.Pointer(&one[0])), 1, &n); rc != errBufferTooSmall || n != 2 || one != ([32]byte{}) {
		t.Errorf("room for 1 of 2: %d, count %d, wrote %x", rc, n, one)
	}
}

// A netcode client over WebSocket and one over WebTransport (pinned to
// the hashes the C API reports) exchange payloads with a server made
// through the exports; the web stats count them.
func TestWebExchange(t *testing.T) {
	skipWTUnderWine(t)
	s := webServer(t, "127.0.0.1:0,ws://127.0.0.1:0,wt://127.0.0.1:0")
	pins := hashes(t, s)
	if st := newWebStats(); ly__go_server_web_stats(s, st) != 0 || st.sessions_accepted != 0 {
		t.Fatalf("stats before start: %+v", st)
	}
	mustOK(t, "ly_server_start", ly__go_server_start(s))
	addr := func(i cU32) netip.AddrPort {
		buf := make([]byte, 64)
		n := ly__go_server_address(s, i, cchars(buf), 64)
		_, a, _ := strings.Cut(string(buf[:max(n, 0)]), "://")
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			t.Fatalf("address %d: %q", i, buf[:max(n, 0)])
		}
		return ap
	}
	wsAddr, wtAddr := addr(1), addr(2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dials := []func(netip.AddrPort) (transport.Transport, error){
		func(a netip.AddrPort) (transport.Transport, error) {
			return webclient.DialWS(ctx, "ws://"+a.String()+"/", a, nil)
		},
		func(a netip.AddrPort) (transport.Transport, error) {
			return webclient.DialWT(ctx, "https://"+a.String()+"/", a, webclient.PinnedTLS(pins...))
		},
	}
	var clients []*netcode.Client
	for i, a := range []netip.AddrPort{wsAddr, wtAddr} {
		tok := make([]byte, 2048)
		p := tokenParams(a.String())
		(*cTokenParams)(unsafe.Pointer(p)).client_id = cU64(100 + i)
		mustOK(t, "ly_token_generate", ly__go_token_generate(p, cbuf(tok), 2048))
		c := netcode.NewClient(tok, netcode.ClientConfig{Dial: dials[i]})
		defer c.Close()
		if err := c.Connect(); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	const count = 50
	connected, got := map[uint64]bool{}, make([]int, len(clients))
	sent := make([]int, len(clients))
	buf := make([]byte, 1200)
	for step := 0; got[0] < count || got[1] < count; step++ {
		if step == 2000 {
			t.Fatalf("after %d steps: connected %v, echoes %v", step, connected, got)
		}
		for k, c := range clients {
			if err := c.Update(5 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
			for c.State() == core.StateConnected && sent[k] < count && sent[k]-got[k] < 4 {
				if err := c.Send(payload(k, sent[k])); err != nil {
					t.Fatal(err)
				}
				sent[k]++
			}
		}
		mustOK(t, "ly_server_update", ly__go_server_update(s, 0.005))
		var ev cEvent
		for ly__go_server_poll(s, &ev, cbuf(buf), 1200) == 1 {
			switch ev._type {
			case cU32(core.EventConnected):
				connected[uint64(ev.client.id)] = true
				abuf := make([]byte, 64)
				n := ly__go_server_client_address(s, ev.client, cchars(abuf), 64)
				if a, err := netip.ParseAddrPort(string(abuf[:max(n, 0)])); err != nil || a.Addr() != netip.MustParseAddr("127.0.0.1") {
					t.Errorf("client address %q", abuf[:max(n, 0)])
				}
			case cU32(core.EventPayload):
				mustOK(t, "echo", ly__go_server_send(s, ev.client, cbytes(buf[:ev.payload_size]), ev.payload_size))
			}
		}
		for k, c := range clients {
			for p, ok := c.Receive(); ok; p, ok = c.Receive() {
				if !bytes.Equal(p, payload(k, got[k])) {
					t.Fatalf("client %d echo %d: wrong bytes", k, got[k])
				}
				got[k]++
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !connected[100] || !connected[101] {
		t.Errorf("connected events for %v, want 100 and 101", connected)
	}
	st := newWebStats()
	mustOK(t, "ly_server_web_stats", ly__go_server_web_stats(s, st))
	if st.sessions_accepted != 2 || st.sessions_active != 2 || st.received < 2*count || st.sent < 2*count || st.refused_origin != 0 {
		t.Errorf("web stats %+v: want 2 sessions, at least %d messages each way", *st, 2*count)
	}
	small := newWebStats()
	small.struct_size--
	if rc := ly__go_server_web_stats(s, small); rc != errInvalidArgument {
		t.Errorf("small struct_size: %d", rc)
	}
	mustOK(t, "ly_server_stop", ly__go_server_stop(s))
	mustOK(t, "ly_server_web_stats", ly__go_server_web_stats(s, st))
	if st.sessions_active != 0 || st.closed_server != 2 {
		t.Errorf("after stop: active %d, closed by the server %d; want 0, 2", st.sessions_active, st.closed_server)
	}
}

func payload(k, i int) []byte {
	b := make([]byte, 1+(i*397+k)%1200)
	for j := range b {
		b[j] = byte(j*7 + i*13 + k)
	}
	return b
}

// certFiles writes a self-signed certificate for 127.0.0.1 and its key
// as PEM: what set_web_options reads (nothing here checks its issuer).
func certFiles(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
