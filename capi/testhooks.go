package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
#include "aead.h"

// aead.c built with LY_AEAD_SCALAR, by aead_scalar.c.
LY__HIDDEN void ly__aead_seal_scalar(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
                                     size_t ad_len, const uint8_t nonce[12], const uint8_t key[32]);
LY__HIDDEN int ly__aead_open_scalar(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
                                    size_t ad_len, const uint8_t nonce[12], const uint8_t key[32]);
LY__HIDDEN void ly__chacha20_scalar(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12],
                                    const uint8_t key[32], uint32_t counter);
LY__HIDDEN void ly__poly1305_scalar(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32]);

// Either build, by the scalar flag.
static void ly__test_seal(int scalar, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
                          size_t ad_len, const uint8_t *nonce, const uint8_t *key)
{
    (scalar ? ly__aead_seal_scalar : ly__aead_seal)(out, in, len, ad, ad_len, nonce, key);
}
static int ly__test_open(int scalar, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad,
                         size_t ad_len, const uint8_t *nonce, const uint8_t *key)
{
    return (scalar ? ly__aead_open_scalar : ly__aead_open)(out, in, len, ad, ad_len, nonce, key);
}
static void ly__test_chacha20(int scalar, uint8_t *out, const uint8_t *in, size_t len, const uint8_t *nonce,
                              const uint8_t *key, uint32_t counter)
{
    (scalar ? ly__chacha20_scalar : ly__chacha20)(out, in, len, nonce, key, counter);
}
static void ly__test_poly1305(int scalar, uint8_t *tag, const uint8_t *msg, size_t len, const uint8_t *key)
{
    (scalar ? ly__poly1305_scalar : ly__poly1305)(tag, msg, len, key);
}

// For the AEAD benchmarks: a C call that does nothing (what crossing from
// Go into C costs), and n seals in place in one call (what a seal costs
// in C, without that crossing).
static void ly__test_noop(void) {}
static void ly__test_seal_n(int scalar, uint8_t *buf, size_t len, const uint8_t *ad, size_t ad_len,
                            const uint8_t *nonce, const uint8_t *key, int n)
{
    for (int i = 0; i < n; i++)
        ly__test_seal(scalar, buf, buf, len, ad, ad_len, nonce, key);
}
#include "tick.h"
*/
import "C"

import (
	"net/netip"
	"sync/atomic"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// What the Go tests of this package need and cannot write themselves:
// cgo is not available in _test.go files. Only panicPoint and dialHook
// are read by the library (a nil check, a nil field); the rest is for the
// tests.

// panicHook is nil except in tests, which set it to make panicPoint panic.
// panicPoint is called where the library reads the caller's input (byte
// buffers, strings, address lists), so that a test can make exports that
// take no handle panic; see panic_test.go. It costs one nil check.
var panicHook func()

func panicPoint() {
	if panicHook != nil {
		panicHook()
	}
}

// dialHook is nil except in tests, which set it to open the sockets of the
// netcode clients made afterwards their own way (a host without IPv6, say).
// nil is netcode's default, DialUDP.
var dialHook func(netip.AddrPort) (transport.Transport, error)

// The C types the exports take, for the tests.
type (
	cInt             = C.int
	cU8              = C.uint8_t
	cCU8             = C.ly__cu8
	cChar            = C.char
	cCChar           = C.ly__cchar
	cServer          = C.ly_server
	cClient          = C.ly_client
	cID              = C.ly_client_id
	cEvent           = C.ly_event
	cStats           = C.ly_stats
	cTokenInfo       = C.ly_token_info
	cConditioner     = C.ly_conditioner_config
	cServerConfig    = C.ly_server_config
	cTokenParams     = C.ly_token_params
	cSteamConfig     = C.ly_steam_config
	cSteamServerCfg  = C.ly_steam_server_config
	cSteamClientCfg  = C.ly_steam_client_config
	cConnStatus      = C.ly_connection_status
	cCServerConfig   = C.ly__cserver_config
	cCTokenParams    = C.ly__ctoken_params
	cCConditioner    = C.ly__cconditioner_config
	cCSteamConfig    = C.ly__csteam_config
	cCSteamServerCfg = C.ly__csteam_server_config
	cCSteamClientCfg = C.ly__csteam_client_config
	cCClientConfig   = C.ly__cclient_config
	cU32             = C.uint32_t
	cU64             = C.uint64_t
	cDouble          = C.double
	cRequest         = C.ly_token_request
	cFetchOptions    = C.ly_token_fetch_options
	cCFetchOptions   = C.ly__ctoken_fetch_options
	cFleetConfig     = C.ly_fleet_config
	cCFleetConfig    = C.ly__cfleet_config
	cWebOptions      = C.ly_web_options
	cCWebOptions     = C.ly__cweb_options
	cWebStats        = C.ly_web_stats
)

func webOptionsDefaults(o *cWebOptions) {
	C.ly_web_options_defaults_sized(o, C.uint32_t(unsafe.Sizeof(*o)))
}

func fetchOptionsDefaults(o *cFetchOptions) { C.ly_token_fetch_options_defaults(o) }
func fleetConfigDefaults(c *cFleetConfig)   { C.ly_fleet_config_defaults(c) }

// lastError is ly_last_error() of the calling thread (lock the goroutine
// to its thread around the call that failed and this one).
func lastError() string { return C.GoString(C.ly_last_error()) }

// The *_defaults functions, which are C.
func serverConfigDefaults(c *cServerConfig) { C.ly_server_config_defaults(c) }
func tokenParamsDefaults(p *cTokenParams)   { C.ly_token_params_defaults(p) }
func steamConfigDefaults(c *cSteamConfig) {
	C.ly_steam_config_defaults_sized(c, C.uint32_t(unsafe.Sizeof(*c)))
}
func steamServerConfigDefaults(c *cSteamServerCfg) { C.ly_steam_server_config_defaults(c) }
func steamClientConfigDefaults(c *cSteamClientCfg) { C.ly_steam_client_config_defaults(c) }
func cString(s string) *cChar                      { return C.CString(s) } // never freed: tests only

// goServerUpdates counts the calls of ly__go_server_update (one atomic
// add each), so that a test can tell the ticks a steady server answered
// in C (tick.c) from those that entered Go.
var goServerUpdates atomic.Uint64

// The C entries of a steady server's tick, as a C caller reaches them (the
// Go tests otherwise call the ly__go_ exports directly), and how many
// updates the C side answered.
func cServerUpdate(h *cServer, dt float64) cInt { return C.ly_server_update(h, C.double(dt)) }
func cServerPollBatch(h *cServer, ev *cEvent, n uint32, buf *cU8, size uint32) cInt {
	return C.ly_server_poll_batch(h, ev, C.uint32_t(n), buf, C.uint32_t(size))
}
func cServerFlush(h *cServer) cInt { return C.ly_server_flush(h) }
func cServerSend(h *cServer, id cID, data []byte) cInt {
	var p *C.uint8_t
	if len(data) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	return C.ly_server_send(h, id, p, C.uint32_t(len(data)))
}
func cServerBroadcast(h *cServer, data []byte) cInt {
	var p *C.uint8_t
	if len(data) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	return C.ly_server_broadcast(h, p, C.uint32_t(len(data)))
}
func cServerPoll(h *cServer, ev *cEvent, buf *cU8, size uint32) cInt {
	return C.ly_server_poll(h, ev, buf, C.uint32_t(size))
}
func cServerRunning(h *cServer) cInt      { return C.ly_server_running(h) }
func cServerNumConnected(h *cServer) cInt { return C.ly_server_num_connected(h) }
func tickHits() uint64                    { return uint64(C.ly__tick_hits()) }

// tickSlotTaken reports whether another server handle holds h's slot of
// the C tick (tick.c), so that h can never run its tick in C.
func tickSlotTaken(h *cServer) bool { return C.ly__tick_slot_taken(C.uint64_t(serverBits(h))) != 0 }

// The header's event types and reasons, for the tests.
const (
	evConnected         = C.LY_EVENT_CONNECTED
	evDisconnected      = C.LY_EVENT_DISCONNECTED
	evPayload           = C.LY_EVENT_PAYLOAD
	reasonLocal         = C.LY_REASON_LOCAL
	reasonRemote        = C.LY_REASON_REMOTE
	reasonTimedOut      = C.LY_REASON_TIMED_OUT
	reasonServerStopped = C.LY_REASON_SERVER_STOPPED
	maxPayloadSize      = C.LY_MAX_PAYLOAD_SIZE
)

// The ChaCha20-Poly1305 of aead.c, for aead_test.go, in its two builds:
// the library's (ChaCha20 with vector extensions: GCC and Clang on
// little-endian targets; Poly1305 with 64-bit limbs where the compiler has
// unsigned __int128) and the scalar one (aead_scalar.c: ChaCha20 a block
// at a time and Poly1305 with 26-bit limbs, what other compilers and
// big-endian or 32-bit targets build). out and in may be
// the same memory (in place) but must not overlap otherwise.
type aeadImpl struct {
	name   string
	scalar bool
}

var aeadImpls = []aeadImpl{{"vector", false}, {"scalar", true}}

func (a aeadImpl) flag() C.int {
	if a.scalar {
		return 1
	}
	return 0
}

func bytesPtr(b []byte) *C.uint8_t { return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))) }

// seal encrypts in to out[:len(in)] and writes the tag after it.
func (a aeadImpl) seal(out, in, ad []byte, nonce *[12]byte, key *[32]byte) {
	if len(out) < len(in)+16 {
		panic("aeadImpl.seal: out is shorter than in plus the tag")
	}
	C.ly__test_seal(a.flag(), bytesPtr(out), bytesPtr(in), C.size_t(len(in)), bytesPtr(ad), C.size_t(len(ad)), bytesPtr(nonce[:]), bytesPtr(key[:]))
}

// open checks the tag at the end of sealed and decrypts the rest to out;
// false if the tag does not match.
func (a aeadImpl) open(out, sealed, ad []byte, nonce *[12]byte, key *[32]byte) bool {
	n := len(sealed) - 16
	if n < 0 || len(out) < n {
		panic("aeadImpl.open: sealed is shorter than the tag, or out than the plaintext")
	}
	return C.ly__test_open(a.flag(), bytesPtr(out), bytesPtr(sealed), C.size_t(n), bytesPtr(ad), C.size_t(len(ad)), bytesPtr(nonce[:]), bytesPtr(key[:])) == 0
}

// chacha20XOR XORs in with the key stream from block counter on, to out.
func (a aeadImpl) chacha20XOR(out, in []byte, nonce *[12]byte, key *[32]byte, counter uint32) {
	if len(out) < len(in) {
		panic("aeadImpl.chacha20XOR: out is shorter than in")
	}
	C.ly__test_chacha20(a.flag(), bytesPtr(out), bytesPtr(in), C.size_t(len(in)), bytesPtr(nonce[:]), bytesPtr(key[:]), C.uint32_t(counter))
}

// poly1305Sum is the Poly1305 tag of msg under a one-time key.
func (a aeadImpl) poly1305Sum(msg []byte, key *[32]byte) (tag [16]byte) {
	C.ly__test_poly1305(a.flag(), bytesPtr(tag[:]), bytesPtr(msg), C.size_t(len(msg)), bytesPtr(key[:]))
	return tag
}

func cgoNoop() { C.ly__test_noop() }

// sealN seals buf[:len(buf)-16] in place n times in one C call.
func (a aeadImpl) sealN(buf, ad []byte, nonce *[12]byte, key *[32]byte, n int) {
	C.ly__test_seal_n(a.flag(), bytesPtr(buf), C.size_t(len(buf)-16), bytesPtr(ad), C.size_t(len(ad)), bytesPtr(nonce[:]), bytesPtr(key[:]), C.int(n))
}

// tickUpdateOnly runs the C half of ly_server_update alone (ly__tick_update),
// without the Go update a LY__TICK_CONTINUE asks for: a test can then put
// another thread's calls between the two halves, as a host with two threads
// may.
func tickUpdateOnly(h *cServer, dt float64) int {
	return int(C.ly__tick_update(C.uint64_t(serverBits(h)), C.double(dt)))
}
