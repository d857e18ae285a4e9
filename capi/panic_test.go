package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/steamworks"
)

// A panic inside an export must come back as LY_ERR_INTERNAL with a
// message, never reach C (where it would abort the host), and leave the
// library working: the handle's lock released, the handle usable.
//
// TestPanicBecomesInternalError makes every export written in Go panic
// once, in one of these ways:
//
//   - armServer, armClient, armLocal: the handle's entry is made to name a
//     nil object of its kind, so the export panics with a nil pointer
//     dereference at its first use of the object, after it has locked the
//     handle: the panic a real bug would cause, where a real bug would.
//   - armHook: panicHook panics where the library reads the caller's
//     input (bytesOf, parseAddresses, goString), for the exports that take
//     no handle.
//   - armSteam: a stand-in Steam library is "open" and the server's entry
//     is corrupted as for armServer (ly_steam_close and
//     ly_server_add_steam reach servers only with Steam open).
//
// After each, the export is called again and must not fail internally, and
// the fixture's handles must answer at once (a lock left held would hang
// them; the test gives up after a few seconds and says so).
//
// TestEveryExportRecovers checks the source: every export's first
// statement is `defer recoverPanic(&rc)`, rc being its named result, and
// the exports written in Go and in C are exactly the LY_API functions of
// the header. Both tests fail when an export is added without its case.

const panicMessage = "forced panic (capi/panic_test.go)"

type arm int

const (
	armServer arm = iota
	armClient
	armLocal
	armHook
	armSteam
	// armRequest: the fixture's token request (a fetch from a port where
	// nothing listens) is corrupted as for armServer.
	armRequest
)

type panicCase struct {
	export string
	arm    arm
	call   func(f *fixture) cInt
	// gone names the fixture handles the panicking call took with it
	// (a destroy, ly_shutdown): they answer LY_ERR_INVALID_HANDLE after.
	gone string // "", "server", "client", "local", "all"
}

// exportsWithoutPanicCase are the Go exports that nothing a test can do
// makes panic; TestEveryExportRecovers still checks their recovery.
var exportsWithoutPanicCase = map[string]string{
	"ly_conditioner_preset_config_sized": "takes no handle and reads no buffer or string: only its out pointer",
}

var testKey = [32]byte{
	0x60, 0x6a, 0xbe, 0x6e, 0xc9, 0x19, 0x10, 0xea, 0x9a, 0x65, 0x62, 0xf6, 0x6f, 0x2b, 0x30, 0xe4,
	0x43, 0x71, 0xd6, 0x2c, 0xd1, 0x99, 0x27, 0x26, 0x6b, 0x3c, 0x60, 0xf4, 0xb7, 0x15, 0xab, 0xa1,
}

const testProtocol = 0x4C5950414E494331

// Go memory handed to the exports as C pointers; they never keep it.
func cstr(s string) *cCChar { b := append([]byte(s), 0); return (*cCChar)(unsafe.Pointer(&b[0])) }
func cbytes(b []byte) *cCU8 { return (*cCU8)(unsafe.Pointer(&b[0])) }
func cbuf(b []byte) *cU8    { return (*cU8)(unsafe.Pointer(&b[0])) }
func cchars(b []byte) *cChar {
	return (*cChar)(unsafe.Pointer(&b[0]))
}
func keyPtr() *cCU8 { return (*cCU8)(unsafe.Pointer(&testKey[0])) }

func serverConfig(bind string) *cCServerConfig {
	cfg := new(cServerConfig)
	serverConfigDefaults(cfg)
	cfg.protocol_id = testProtocol
	for i, b := range testKey {
		cfg.private_key[i] = cU8(b)
	}
	if bind != "" {
		cfg.bind_addresses = cString(bind)
	}
	return (*cCServerConfig)(unsafe.Pointer(cfg))
}

func tokenParams(addr string) *cCTokenParams {
	p := new(cTokenParams)
	tokenParamsDefaults(p)
	p.protocol_id = testProtocol
	p.client_id = 5
	p.private_key = (*cU8)(unsafe.Pointer(&testKey[0]))
	p.public_addresses = cString(addr)
	return (*cCTokenParams)(unsafe.Pointer(p))
}

func newConnStatus() *cConnStatus {
	st := new(cConnStatus)
	st.struct_size = cU32(unsafe.Sizeof(*st))
	return st
}

func newStats() *cStats {
	st := new(cStats)
	st.struct_size = cU32(unsafe.Sizeof(*st))
	return st
}

// fixture: a running server with a netcode socket on 127.0.0.1 and a
// connected local client, and an idle netcode client for it.
type fixture struct {
	t       *testing.T
	srv     *cServer
	nc, loc *cClient
	req     *cRequest // armRequest only
	addr    string
	token   []byte
	// Handles the cases make; destroyed with the fixture.
	servers []*cServer
	clients []*cClient
	// stuck: a handle lock was left held; close would wait for it forever.
	stuck bool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t}
	mustOK(t, "ly_server_create", ly__go_server_create(serverConfig("127.0.0.1:0"), &f.srv))
	mustOK(t, "ly_server_start", ly__go_server_start(f.srv))
	buf := make([]byte, 64)
	n := ly__go_server_address(f.srv, 0, cchars(buf), 64)
	if n <= 0 {
		t.Fatalf("ly_server_address: %d", n)
	}
	f.addr = string(buf[:n])
	mustOK(t, "ly_server_connect_local", ly__go_server_connect_local(f.srv, 7, &f.loc))
	mustOK(t, "ly_client_create_manual",
		ly__go_client_create_manual(cstr(f.addr), 1, testProtocol, keyPtr(), 32, nil, &f.nc))
	f.token = make([]byte, 2048)
	mustOK(t, "ly_token_generate", ly__go_token_generate(tokenParams(f.addr), cbuf(f.token), 2048))
	return f
}

func (f *fixture) keepServer(s *cServer) { f.servers = append(f.servers, s) }
func (f *fixture) keepClient(c *cClient) { f.clients = append(f.clients, c) }

// close destroys whatever is left; handles already gone are fine.
func (f *fixture) close() {
	if f.stuck {
		return
	}
	for _, c := range append(f.clients, f.nc, f.loc) {
		if c != nil {
			ly__go_client_destroy(c)
		}
	}
	for _, s := range append(f.servers, f.srv) {
		if s != nil {
			ly__go_server_destroy(s)
		}
	}
	if f.req != nil {
		ly__go_token_request_free(f.req)
	}
}

// fetchOptions asks url for a token, pinned to a certificate nobody has.
func fetchOptions(url string) *cCFetchOptions {
	o := new(cFetchOptions)
	fetchOptionsDefaults(o)
	o.url = cString(url)
	o.credential = cString("panic-test")
	o.pin_sha256 = cString(strings.Repeat("ab", 32))
	o.timeout_ms = 2000
	return (*cCFetchOptions)(unsafe.Pointer(o))
}

// refusedURL is a port of 127.0.0.1 where nothing listens (fetches from
// it fail at once).
const refusedURL = "https://127.0.0.1:1"

// deadFleet registers with a Redis nobody runs: registration succeeds
// (the Redis work is asynchronous) and its rounds fail.
func deadFleet() *cCFleetConfig {
	c := new(cFleetConfig)
	fleetConfigDefaults(c)
	c.redis_url = cString("127.0.0.1:1")
	return (*cCFleetConfig)(unsafe.Pointer(c))
}

func mustOK(t *testing.T, what string, rc cInt) {
	t.Helper()
	if rc != 0 {
		t.Fatalf("%s: %d", what, rc)
	}
}

// pumpConnected updates a connecting client c and its server srv in 10 ms
// steps, through the exports, until c is connected; it fails the test
// after 500 steps.
func pumpConnected(t *testing.T, srv *cServer, c *cClient) {
	t.Helper()
	var state cInt
	for i := 0; state != cInt(core.StateConnected); i++ {
		if i == 500 {
			t.Fatalf("client not connected: state %d", state)
		}
		mustOK(t, "ly_client_update", ly__go_client_update(c, 0.01))
		mustOK(t, "ly_server_update", ly__go_server_update(srv, 0.01))
		mustOK(t, "ly_client_get_state", ly__go_client_get_state(c, &state))
	}
}

// onThread runs call on a goroutine locked to its thread and returns its
// result and that thread's ly_last_error; ok is false if it did not
// return within a few seconds (a handle lock left held).
func onThread(call func() cInt) (rc cInt, msg string, ok bool) {
	type result struct {
		rc  cInt
		msg string
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		rc := call()
		done <- result{rc, lastError()}
	}()
	select {
	case r := <-done:
		return r.rc, r.msg, true
	case <-time.After(5 * time.Second):
		return 0, "", false
	}
}

// corrupt makes the live handle h name a nil object of its kind; restore
// puts the object back, or, if the handle is gone, closes the object.
// restore itself needs the handle's lock, so it is run with onThread.
func corrupt(t *testing.T, kind handleKind, h uint64) (restore func()) {
	t.Helper()
	e := handles.acquire(kind, h)
	if e == nil {
		t.Fatalf("handle %#x not live", h)
	}
	saved := e.obj
	switch kind {
	case kindServer:
		e.obj = (*serverHandle)(nil)
	case kindClient:
		e.obj = (*clientHandle)(nil)
	case kindTokenRequest:
		e.obj = (*tokenRequest)(nil)
	}
	e.mu.Unlock()
	return func() {
		if e := handles.acquire(kind, h); e != nil {
			e.obj = saved
			e.mu.Unlock()
			return
		}
		switch o := saved.(type) {
		case *serverHandle:
			o.srv.Stop()
		case *clientHandle:
			o.cli.Close()
		case *tokenRequest:
			o.cancel()
		}
	}
}

func setSteamLib(lib *steamworks.Library) {
	steam.Lock()
	steam.lib = lib
	steam.Unlock()
}

var someClient = cID{id: 1, kind: 1}

var panicCases = []panicCase{
	// Library.
	{export: "ly_shutdown", arm: armServer, gone: "all", call: func(f *fixture) cInt { return ly__go_shutdown() }},

	// Keys and tokens.
	// Token fetch.
	{export: "ly_token_fetch", arm: armHook, call: func(f *fixture) cInt {
		return ly__go_token_fetch(fetchOptions("http://127.0.0.1:1"), cbuf(make([]byte, 2048)), 2048)
	}},
	{export: "ly_token_request_start", arm: armHook, call: func(f *fixture) cInt {
		var r *cRequest
		rc := ly__go_token_request_start(fetchOptions(refusedURL), &r)
		if rc == 0 {
			ly__go_token_request_free(r)
		}
		return rc
	}},
	{export: "ly_token_request_poll", arm: armRequest, call: func(f *fixture) cInt {
		return ly__go_token_request_poll(f.req, cbuf(make([]byte, 2048)), 2048)
	}},
	{export: "ly_token_request_free", arm: armRequest, call: func(f *fixture) cInt { return ly__go_token_request_free(f.req) }},

	// Fleet registration.
	{export: "ly_server_fleet_register", arm: armServer, call: func(f *fixture) cInt {
		rc := ly__go_server_fleet_register(f.srv, deadFleet())
		if rc == 0 {
			rc = ly__go_server_fleet_deregister(f.srv)
		}
		return rc
	}},
	{export: "ly_server_fleet_deregister", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_fleet_deregister(f.srv) }},
	{export: "ly_server_fleet_status", arm: armServer, call: func(f *fixture) cInt {
		if rc := ly__go_server_fleet_status(f.srv); rc != errNotRunning {
			return rc
		}
		return 0
	}},

	{export: "ly_key_generate", arm: armHook, call: func(f *fixture) cInt {
		return ly__go_key_generate(cbuf(make([]byte, 32)))
	}},
	{export: "ly_token_generate", arm: armHook, call: func(f *fixture) cInt {
		return ly__go_token_generate(tokenParams("127.0.0.1:40000"), cbuf(make([]byte, 2048)), 2048)
	}},
	{export: "ly_token_read", arm: armHook, call: func(f *fixture) cInt {
		info := new(cTokenInfo)
		info.struct_size = cU32(unsafe.Sizeof(*info))
		return ly__go_token_read(cbytes(f.token), 2048, info)
	}},
	{export: "ly_token_address", arm: armHook, call: func(f *fixture) cInt {
		return ly__go_token_address(cbytes(f.token), 2048, 0, cchars(make([]byte, 64)), 64)
	}},

	// Server lifetime and operations.
	{export: "ly_server_create", arm: armHook, call: func(f *fixture) cInt {
		var s *cServer
		rc := ly__go_server_create(serverConfig("127.0.0.1:0"), &s)
		f.keepServer(s)
		return rc
	}},
	{export: "ly_server_destroy", arm: armServer, gone: "server", call: func(f *fixture) cInt { return ly__go_server_destroy(f.srv) }},
	{export: "ly_server_start", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_start(f.srv) }},
	{export: "ly_server_stop", arm: armServer, call: func(f *fixture) cInt {
		rc := ly__go_server_stop(f.srv)
		if rc == 0 { // the second call stopped it: start it again for the checks
			if rc = ly__go_server_start(f.srv); rc == 0 {
				rc = ly__go_client_connect(f.loc)
			}
		}
		return rc
	}},
	{export: "ly_server_running", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_running(f.srv) }},
	{export: "ly_server_update", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_update(f.srv, 0.016) }},
	{export: "ly_server_flush", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_flush(f.srv) }},
	{export: "ly_server_send", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_send(f.srv, someClient, cbytes([]byte("hello")), 5)
	}},
	{export: "ly_server_broadcast", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_broadcast(f.srv, cbytes([]byte("hello")), 5)
	}},
	{export: "ly_server_disconnect", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_disconnect(f.srv, someClient) }},
	{export: "ly_server_disconnect_all", arm: armServer, call: func(f *fixture) cInt {
		rc := ly__go_server_disconnect_all(f.srv)
		if rc == 0 { // the second call disconnected the local client: connect it again for the checks
			rc = ly__go_client_connect(f.loc)
		}
		return rc
	}},
	{export: "ly_server_num_connected", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_num_connected(f.srv) }},
	{export: "ly_server_max_clients", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_max_clients(f.srv) }},
	{export: "ly_server_connected_ids", arm: armServer, call: func(f *fixture) cInt {
		ids := make([]cID, 4)
		return ly__go_server_connected_ids(f.srv, &ids[0], 4)
	}},
	{export: "ly_server_client_address", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_client_address(f.srv, someClient, cchars(make([]byte, 64)), 64)
	}},
	{export: "ly_server_client_user_data", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_client_user_data(f.srv, someClient, cbuf(make([]byte, 256)))
	}},
	{export: "ly_server_address", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_address(f.srv, 0, cchars(make([]byte, 64)), 64)
	}},

	// Events.
	{export: "ly_server_poll", arm: armServer, call: func(f *fixture) cInt {
		var ev cEvent
		return ly__go_server_poll(f.srv, &ev, cbuf(make([]byte, 1200)), 1200)
	}},
	{export: "ly_server_poll_batch", arm: armServer, call: func(f *fixture) cInt {
		evs := make([]cEvent, 8)
		return ly__go_server_poll_batch(f.srv, &evs[0], 8, cbuf(make([]byte, 4096)), 4096)
	}},

	// Stats.
	{export: "ly_server_set_web_options", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_set_web_options(f.srv, newWebOptions())
	}},
	{export: "ly_server_web_cert_hashes", arm: armServer, call: func(f *fixture) cInt {
		var n cU32
		return ly__go_server_web_cert_hashes(f.srv, nil, 0, &n)
	}},
	{export: "ly_server_web_rotate_cert", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_web_rotate_cert(f.srv) }},
	{export: "ly_server_web_stats", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_web_stats(f.srv, newWebStats()) }},
	{export: "ly_server_stats", arm: armServer, call: func(f *fixture) cInt { return ly__go_server_stats(f.srv, newStats()) }},
	{export: "ly_server_client_stats", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_client_stats(f.srv, someClient, newStats())
	}},
	{export: "ly_client_stats", arm: armClient, call: func(f *fixture) cInt { return ly__go_client_stats(f.nc, newStats()) }},
	{export: "ly_server_connection_status", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_connection_status(f.srv, cID{id: 1, kind: cU32(core.KindSteam)}, newConnStatus())
	}},
	{export: "ly_client_connection_status", arm: armClient, call: func(f *fixture) cInt {
		return ly__go_client_connection_status(f.nc, newConnStatus())
	}},

	// Conditioner.
	{export: "ly_server_set_conditioner", arm: armServer, call: func(f *fixture) cInt {
		return ly__go_server_set_conditioner(f.srv, nil, nil)
	}},
	{export: "ly_client_set_conditioner", arm: armClient, call: func(f *fixture) cInt {
		return ly__go_client_set_conditioner(f.nc, nil, nil)
	}},

	// Local clients.
	{export: "ly_server_connect_local", arm: armServer, call: func(f *fixture) cInt {
		var c *cClient
		rc := ly__go_server_connect_local(f.srv, 8, &c)
		f.keepClient(c)
		return rc
	}},
	{export: "ly_client_send", arm: armLocal, call: func(f *fixture) cInt { return ly__go_client_send(f.loc, cbytes([]byte("hi")), 2) }},
	{export: "ly_client_receive", arm: armLocal, call: func(f *fixture) cInt {
		return ly__go_client_receive(f.loc, cbuf(make([]byte, 1200)), 1200, nil)
	}},
	{export: "ly_client_disconnect", arm: armLocal, call: func(f *fixture) cInt {
		rc := ly__go_client_disconnect(f.loc)
		if rc == 0 { // the second call disconnected it: connect it again for the checks
			rc = ly__go_client_connect(f.loc)
		}
		return rc
	}},
	{export: "ly_client_destroy", arm: armLocal, gone: "local", call: func(f *fixture) cInt { return ly__go_client_destroy(f.loc) }},

	// Clients.
	{export: "ly_client_create", arm: armHook, call: func(f *fixture) cInt {
		var c *cClient
		rc := ly__go_client_create(cbytes(f.token), 2048, nil, &c)
		f.keepClient(c)
		return rc
	}},
	{export: "ly_client_create_manual", arm: armHook, call: func(f *fixture) cInt {
		var c *cClient
		rc := ly__go_client_create_manual(cstr(f.addr), 2, testProtocol, keyPtr(), 32, nil, &c)
		f.keepClient(c)
		return rc
	}},
	{export: "ly_client_destroy", arm: armClient, gone: "client", call: func(f *fixture) cInt { return ly__go_client_destroy(f.nc) }},
	{export: "ly_client_connect", arm: armClient, call: func(f *fixture) cInt {
		rc := ly__go_client_connect(f.nc)
		ly__go_client_disconnect(f.nc)
		return rc
	}},
	{export: "ly_client_set_token", arm: armClient, call: func(f *fixture) cInt {
		return ly__go_client_set_token(f.nc, cbytes(f.token), 2048)
	}},
	{export: "ly_client_update", arm: armClient, call: func(f *fixture) cInt { return ly__go_client_update(f.nc, 0.016) }},
	{export: "ly_client_send", arm: armClient, call: func(f *fixture) cInt { return ly__go_client_send(f.nc, cbytes([]byte("hi")), 2) }},
	{export: "ly_client_receive", arm: armClient, call: func(f *fixture) cInt {
		return ly__go_client_receive(f.nc, cbuf(make([]byte, 1200)), 1200, nil)
	}},
	{export: "ly_client_get_state", arm: armClient, call: func(f *fixture) cInt {
		var st cInt
		return ly__go_client_get_state(f.nc, &st)
	}},
	{export: "ly_client_disconnect_reason", arm: armClient, call: func(f *fixture) cInt { return ly__go_client_disconnect_reason(f.nc) }},
	{export: "ly_client_disconnect", arm: armClient, call: func(f *fixture) cInt { return ly__go_client_disconnect(f.nc) }},
	{export: "ly_client_local_address", arm: armClient, call: func(f *fixture) cInt {
		return ly__go_client_local_address(f.nc, cchars(make([]byte, 64)), 64)
	}},
	{export: "ly_client_id_of", arm: armClient, call: func(f *fixture) cInt {
		var id cID
		return ly__go_client_id_of(f.nc, &id)
	}},

	// Steam (no real library: the panics come before one is needed).
	{export: "ly_steam_open", arm: armHook, call: func(f *fixture) cInt {
		cfg := new(cSteamConfig)
		steamConfigDefaults(cfg)
		cfg.library_path = cString("/nonexistent/libsteam_api.so")
		return ly__go_steam_open((*cCSteamConfig)(unsafe.Pointer(cfg)))
	}},
	{export: "ly_steam_close", arm: armSteam, call: func(f *fixture) cInt { return ly__go_steam_close() }},
	{export: "ly_server_add_steam", arm: armSteam, call: func(f *fixture) cInt {
		cfg := new(cSteamServerCfg)
		steamServerConfigDefaults(cfg)
		cfg.address = cString("127.0.0.1:27015")
		return ly__go_server_add_steam(f.srv, (*cCSteamServerCfg)(unsafe.Pointer(cfg)))
	}},
	{export: "ly_client_create_steam", arm: armHook, call: func(f *fixture) cInt {
		cfg := new(cSteamClientCfg)
		steamClientConfigDefaults(cfg)
		cfg.address = cString("127.0.0.1:27015")
		var c *cClient
		rc := ly__go_client_create_steam((*cCSteamClientCfg)(unsafe.Pointer(cfg)), &c)
		f.keepClient(c)
		return rc
	}},
}

func TestPanicBecomesInternalError(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range panicCases {
		covered[c.export] = true
		name := c.export
		switch c.arm {
		case armLocal:
			name += "/local"
		case armSteam:
			name += "/steam"
		case armRequest:
			name += "/request"
		}
		t.Run(name, func(t *testing.T) { runPanicCase(t, c) })
	}
	goExports, _ := exportsOf(t)
	for _, name := range goExports {
		if !covered[name] && exportsWithoutPanicCase[name] == "" {
			t.Errorf("%s: no case in panicCases (capi/panic_test.go): add one, or a reason to exportsWithoutPanicCase", name)
		}
	}
	for name := range covered {
		if !contains(goExports, name) {
			t.Errorf("panicCases names %s, which is not an export written in Go", name)
		}
	}
}

func runPanicCase(t *testing.T, c panicCase) {
	f := newFixture(t)
	defer f.close()
	var undo func()
	want := "nil pointer dereference"
	switch c.arm {
	case armServer:
		undo = corrupt(t, kindServer, serverBits(f.srv))
	case armClient:
		undo = corrupt(t, kindClient, clientBits(f.nc))
	case armLocal:
		undo = corrupt(t, kindClient, clientBits(f.loc))
	case armHook:
		panicHook = func() { panic(panicMessage) }
		undo = func() { panicHook = nil }
		want = panicMessage
	case armRequest:
		mustOK(t, "ly_token_request_start", ly__go_token_request_start(fetchOptions(refusedURL), &f.req))
		undo = corrupt(t, kindTokenRequest, requestBits(f.req))
	case armSteam:
		setSteamLib(new(steamworks.Library)) // never used: the server panics first
		restore := corrupt(t, kindServer, serverBits(f.srv))
		undo = func() {
			restore()
			setSteamLib(nil)
		}
	}
	entries := []*entry{
		handles.lookup(kindServer, serverBits(f.srv)),
		handles.lookup(kindClient, clientBits(f.nc)),
		handles.lookup(kindClient, clientBits(f.loc)),
	}
	rc, msg, ok := onThread(func() cInt { return c.call(f) })
	if !ok {
		f.stuck = true
		t.Fatalf("%s did not return (a lock held?)", c.export)
	}
	if _, _, ok := onThread(func() cInt { undo(); return 0 }); !ok {
		f.stuck = true
		t.Fatalf("after the panic in %s, the handle's lock is still held", c.export)
	}
	// No entry is left locked, not even one the call took out of the
	// table (a caller that looked it up just before would wait forever).
	for i, e := range entries {
		if !e.mu.TryLock() {
			f.stuck = true
			t.Fatalf("after the panic in %s, fixture handle %d is still locked", c.export, i)
		}
		e.mu.Unlock()
	}
	if rc != errInternal {
		t.Errorf("%s returned %d, want LY_ERR_INTERNAL (%d); last error %q", c.export, rc, errInternal, msg)
	}
	if !strings.HasPrefix(msg, "internal error: ") || !strings.Contains(msg, want) {
		t.Errorf("%s: last error %q, want \"internal error: ...%s...\"", c.export, msg, want)
	}

	// The library goes on: the export works again, and so do the handles.
	if rc, msg, ok := onThread(func() cInt { return c.call(f) }); !ok || rc == errInternal {
		t.Errorf("%s again: rc %d (returned: %v), last error %q", c.export, rc, ok, msg)
	}
	checkAlive(t, f, "server", c.gone, func() cInt { return ly__go_server_update(f.srv, 0.016) })
	checkAlive(t, f, "server", c.gone, func() cInt {
		switch rc := ly__go_server_running(f.srv); rc {
		case 1:
			return 0
		case 0:
			return -100 // stopped: not what the fixture left
		default:
			return rc
		}
	})
	checkAlive(t, f, "client", c.gone, func() cInt { return ly__go_client_update(f.nc, 0.016) })
	checkAlive(t, f, "local", c.gone, func() cInt { var st cInt; return ly__go_client_get_state(f.loc, &st) })
	if c.gone != "server" { // a destroyed server disconnected its local client
		checkAlive(t, f, "local", c.gone, func() cInt { return ly__go_client_send(f.loc, cbytes([]byte("after")), 5) })
	}
	var s *cServer // and new handles can be made
	if rc := ly__go_server_create(serverConfig(""), &s); rc != 0 {
		t.Errorf("ly_server_create after the panic: %d", rc)
	}
	f.keepServer(s)
}

// checkAlive runs a call on a fixture handle that must succeed (LY_OK),
// or answer LY_ERR_INVALID_HANDLE if the panicking call took the handle.
func checkAlive(t *testing.T, f *fixture, which, gone string, call func() cInt) {
	t.Helper()
	want := cInt(0)
	if gone == which || gone == "all" {
		want = errInvalidHandle
	}
	rc, msg, ok := onThread(call)
	if !ok {
		f.stuck = true
		t.Fatalf("a call on the fixture's %s did not return: its lock is still held", which)
	}
	if rc != want {
		t.Errorf("a call on the fixture's %s returned %d, want %d; last error %q", which, rc, want, msg)
	}
}

// TestEveryExportRecovers checks that every export defers recoverPanic
// into its named result first thing, and that the Go and C exports are
// exactly the header's LY_API functions.
func TestEveryExportRecovers(t *testing.T) {
	goExports, cExports := exportsOf(t)
	header := headerFunctions(t)
	// Each Go export ly__go_X is reached through its C entry ly_X (entry.c).
	entries := entriesOf(t)
	for _, name := range goExports {
		if !contains(entries, name) {
			t.Errorf("Go export %s has no LY_ENTRY line in entry.c", name)
		}
	}
	if len(entries) != len(goExports) {
		t.Errorf("entry.c has %d LY_ENTRY lines for %d Go exports", len(entries), len(goExports))
	}
	all := append(append([]string{}, goExports...), cExports...)
	sort.Strings(all)
	if strings.Join(all, " ") != strings.Join(header, " ") {
		t.Errorf("exports written in Go and C:\n  %v\nLY_API functions of the header:\n  %v", all, header)
	}
	if len(goExports) < 40 {
		t.Fatalf("found only %d Go exports", len(goExports))
	}
}

// exportsOf parses capi: the public names of the Go exports (ly_X for
// //export ly__go_X, each checked for its recoverPanic) and the LY_API
// functions defined in the C files.
func exportsOf(t *testing.T) (goExports, cExports []string) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Doc == nil {
				continue
			}
			for _, cm := range fn.Doc.List {
				if exp, ok := strings.CutPrefix(cm.Text, "//export "); ok {
					name, ok := strings.CutPrefix(exp, "ly__go_")
					if !ok {
						t.Errorf("%s: a Go export is named ly__go_X and reached through ly_X in entry.c", exp)
					}
					goExports = append(goExports, "ly_"+name)
					if why := recovers(fn); why != "" {
						t.Errorf("%s (%s): %s", exp, fset.Position(fn.Pos()), why)
					}
				}
			}
		}
	}
	def := regexp.MustCompile(`(?m)^LY_API [^;{(]*\(?\b(ly_\w+)\)?\([^;]*\{`)
	cfiles, _ := filepath.Glob("*.c")
	for _, name := range cfiles {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range def.FindAllSubmatch(src, -1) {
			cExports = append(cExports, string(m[1]))
		}
	}
	sort.Strings(goExports)
	sort.Strings(cExports)
	return goExports, cExports
}

// entriesOf lists the public names of entry.c's LY_ENTRY lines.
func entriesOf(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("entry.c")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^LY_ENTRY\((\w+),`).FindAllSubmatch(src, -1) {
		out = append(out, "ly_"+string(m[1]))
	}
	return out
}

// recovers says what is wrong with fn's panic recovery, or "".
func recovers(fn *ast.FuncDecl) string {
	res := fn.Type.Results
	if res == nil || len(res.List) != 1 || len(res.List[0].Names) != 1 || res.List[0].Names[0].Name != "rc" {
		return "the result must be one, named rc"
	}
	if fn.Body == nil || len(fn.Body.List) == 0 {
		return "no body"
	}
	d, ok := fn.Body.List[0].(*ast.DeferStmt)
	if !ok {
		return "the first statement is not `defer recoverPanic(&rc)`"
	}
	if id, ok := d.Call.Fun.(*ast.Ident); !ok || id.Name != "recoverPanic" || len(d.Call.Args) != 1 {
		return "the first statement defers something else than recoverPanic(&rc)"
	}
	u, ok := d.Call.Args[0].(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return "recoverPanic is not given &rc"
	}
	if id, ok := u.X.(*ast.Ident); !ok || id.Name != "rc" {
		return "recoverPanic is not given &rc"
	}
	return ""
}

// headerFunctions lists the LY_API functions of include/lightyear_conn.h.
func headerFunctions(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../include/lightyear_conn.h")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^LY_API [^;(]*\(?\b(ly_\w+)\)?\(`).FindAllSubmatch(src, -1) {
		out = append(out, string(m[1]))
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
