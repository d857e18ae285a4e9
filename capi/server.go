package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"net/netip"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/local"
	"github.com/lightyear-conn/lightyear_conn/core/multi"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// serverHandle is what a ly_server* names: one server over a netcode
// backend (when it has addresses to bind) and a local backend.
type serverHandle struct {
	srv        *multi.Server
	nc         *netcode.Server // nil when nothing is bound
	loc        *local.Server
	maxClients int
	// held is an event taken from the server that did not fit the
	// caller's buffer: it is handed out first next time, so nothing is
	// lost. Its payload lives in heldBuf.
	held    core.Event
	hasHeld bool
	heldBuf []byte
	ids     []core.ClientID // scratch for connected_ids
	fleet   *fleetReg       // nil unless registered in the fleet (fleet.go)
	// The browser binds (web.go), after the numUDP UDP sockets in the
	// netcode server's address order.
	web    []*webBind
	numUDP int
	t      tickState // tick.go
}

// serverConfigSizeV1 is the smallest struct_size accepted: the config as
// it was before token_history_size. On 64-bit ABIs that field took the
// tail padding and old callers pass the full size (their padding zeroed by
// ly_server_config_defaults); on 32-bit ones it grew the struct.
var serverConfigSizeV1 = C.uint32_t(unsafe.Offsetof(C.ly_server_config{}.token_history_size))

// hasField reports whether a caller's struct of size bytes holds the field
// that ends at end.
func hasField(size C.uint32_t, end uintptr) bool { return uintptr(size) >= end }

func serverBits(h *C.ly_server) uint64 { return uint64(uintptr(unsafe.Pointer(h))) }

// lockServer finds and locks a server handle; the caller unlocks e.mu.
func lockServer(h *C.ly_server) (*entry, *serverHandle, C.int) {
	e := handles.acquire(kindServer, serverBits(h))
	if e == nil {
		return nil, nil, fail(errInvalidHandle, "invalid server handle %p", h)
	}
	s := e.obj.(*serverHandle)
	// Whatever the call does, it finds the server's state back from the
	// C tick's mirror, if it was there (tick.go).
	s.importTick(e.h)
	return e, s, C.LY_OK
}

// onServer runs f on a locked server and maps its error: the shape of
// every export whose only result is an error code. f does not escape, so
// the closure costs no allocation.
func onServer(h *C.ly_server, fallback C.int, f func(*serverHandle) error) C.int {
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if err := f(s); err != nil {
		return failErr(err, fallback)
	}
	return C.LY_OK
}

//export ly__go_server_create
func ly__go_server_create(cfg *C.ly__cserver_config, out **C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	if cfg == nil || out == nil {
		return fail(errInvalidArgument, "config and out must not be NULL")
	}
	if cfg.struct_size < serverConfigSizeV1 {
		return fail(errInvalidArgument, "ly_server_config.struct_size is %d, want at least %d (sizeof(ly_server_config) is %d: call ly_server_config_defaults)", cfg.struct_size, serverConfigSizeV1, unsafe.Sizeof(*cfg))
	}
	var historySize int // 0: the default
	if hasField(cfg.struct_size, unsafe.Offsetof(cfg.token_history_size)+unsafe.Sizeof(cfg.token_history_size)) {
		// Checked before the conversion: on 32-bit platforms int(v) of a
		// v >= 2^31 is negative, which would mean the default.
		if cfg.token_history_size > 1<<30 {
			return fail(errInvalidArgument, "token_history_size %d is over 1073741824", cfg.token_history_size)
		}
		historySize = int(cfg.token_history_size)
	}
	// Checked here too: a server without bind addresses has no netcode
	// backend to refuse them, and ly_server_max_clients returns it as an int.
	if cfg.max_clients > 1<<20 {
		return fail(errInvalidArgument, "max_clients %d is over 1048576", cfg.max_clients)
	}
	public, err := parseAddresses(cfg.public_addresses)
	if err != nil {
		return fail(errInvalidArgument, "public_addresses: %v", err)
	}
	// Bare and udp:// entries are UDP sockets; ws://, wss:// and wt://
	// ones are listeners of the same netcode server (web.go).
	ncfg := netcode.ServerConfig{PublicAddresses: public}
	webBinds, err := configureBinds(&ncfg, splitBinds(cfg.bind_addresses))
	if err != nil {
		return fail(errInvalidArgument, "bind_addresses: %v", err)
	}
	var key netcode.Key
	copy(key[:], unsafe.Slice((*byte)(unsafe.Pointer(&cfg.private_key[0])), netcode.KeySize))
	h := &serverHandle{loc: local.NewServer(local.Config{}), maxClients: int(cfg.max_clients), web: webBinds, numUDP: len(ncfg.Addresses)}
	if h.maxClients == 0 {
		h.maxClients = netcode.DefaultMaxClients
	}
	backends := []multi.Backend{h.loc}
	if len(ncfg.Addresses)+len(ncfg.Listeners) > 0 {
		h.nc, err = netcode.NewServer(netcode.ServerConfig{
			ProtocolID:       uint64(cfg.protocol_id),
			PrivateKey:       key,
			Addresses:        ncfg.Addresses,
			PublicAddresses:  ncfg.PublicAddresses,
			Listeners:        ncfg.Listeners,
			MaxClients:       h.maxClients,
			BatchSends:       cfg.batch_sends != 0,
			TokenHistorySize: historySize,
			// 0 stays 0: the netcode default.
			MaxTokenLifetime: time.Duration(cfg.max_token_lifetime_seconds) * time.Second,
		})
		if err != nil {
			return failErr(err, errInvalidArgument)
		}
		backends = append([]multi.Backend{h.nc}, backends...)
	}
	if h.srv, err = multi.New(backends...); err != nil {
		return failErr(err, errInternal)
	}
	bits := handles.add(kindServer, h)
	if bits == 0 { // nothing is open before Start: the server is just dropped
		return fail(errInternal, "handle table full (at most %d handles live at once)", indexMask+1)
	}
	*out = C.ly__server_from_bits(C.uintptr_t(bits))
	return C.LY_OK
}

//export ly__go_server_destroy
func ly__go_server_destroy(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	e := handles.remove(kindServer, serverBits(h))
	if e == nil {
		return fail(errInvalidHandle, "invalid server handle %p", h)
	}
	defer e.mu.Unlock()
	sh := e.obj.(*serverHandle)
	// The state back from C first, as lockServer does: Stop tells every
	// client with the next sequences, which Go's stale copy would reuse
	// (ChaCha20-Poly1305 nonces spent under the same keys, and dropped
	// as replays by the clients, which then only time out).
	sh.importTick(e.h)
	sh.releaseTick(e.h) // before anything closes: no C entry answers for it now
	sh.stopFleet()
	sh.srv.Stop()
	sh.loc.Close() // local clients waiting for a start stop waiting
	e.obj = nil
	return C.LY_OK
}

//export ly__go_server_start
func ly__go_server_start(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	return onServer(h, errSocket, func(s *serverHandle) error { return s.srv.Start() })
}

//export ly__go_server_stop
func ly__go_server_stop(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	return onServer(h, errSocket, func(s *serverHandle) error {
		s.stopFleet()
		return s.srv.Stop()
	})
}

//export ly__go_server_running
func ly__go_server_running(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if s.srv.Running() {
		return 1
	}
	return 0
}

//export ly__go_server_update
func ly__go_server_update(h *C.ly_server, dtSeconds C.double) (rc C.int) {
	defer recoverPanic(&rc)
	goServerUpdates.Add(1)
	dt, ok := duration(dtSeconds)
	if !ok {
		return fail(errInvalidArgument, "dt must be a finite number of seconds >= 0, got %v", float64(dtSeconds))
	}
	return onServer(h, errSocket, func(s *serverHandle) error {
		err := s.srv.Update(dt)
		s.publishConnected()
		if err == nil {
			s.publishTick(serverBits(h))
		}
		return err
	})
}

//export ly__go_server_flush
func ly__go_server_flush(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	return onServer(h, errSocket, func(s *serverHandle) error {
		err := s.srv.Flush()
		if err == nil {
			s.publishTick(serverBits(h))
		}
		return err
	})
}

//export ly__go_server_send
func ly__go_server_send(h *C.ly_server, client C.ly_client_id, data *C.ly__cu8, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if data == nil && size > 0 {
		return fail(errInvalidArgument, "data is NULL")
	}
	return onServer(h, errSocket, func(s *serverHandle) error { return s.srv.Send(goClientID(client), bytesOf(data, size)) })
}

//export ly__go_server_broadcast
func ly__go_server_broadcast(h *C.ly_server, data *C.ly__cu8, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if data == nil && size > 0 {
		return fail(errInvalidArgument, "data is NULL")
	}
	return onServer(h, errSocket, func(s *serverHandle) error { return s.srv.Broadcast(bytesOf(data, size)) })
}

//export ly__go_server_disconnect
func ly__go_server_disconnect(h *C.ly_server, client C.ly_client_id) (rc C.int) {
	defer recoverPanic(&rc)
	return onServer(h, errInternal, func(s *serverHandle) error { return s.srv.Disconnect(goClientID(client)) })
}

//export ly__go_server_disconnect_all
func ly__go_server_disconnect_all(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	return onServer(h, errInternal, func(s *serverHandle) error { return s.srv.DisconnectAll() })
}

//export ly__go_server_num_connected
func ly__go_server_num_connected(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	return C.int(s.srv.NumConnected())
}

//export ly__go_server_max_clients
func ly__go_server_max_clients(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	return C.int(s.maxClients)
}

//export ly__go_server_connected_ids
func ly__go_server_connected_ids(h *C.ly_server, ids *C.ly_client_id, maxIDs C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if ids == nil && maxIDs > 0 {
		return fail(errInvalidArgument, "ids is NULL")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	s.ids = s.srv.ConnectedIDs(s.ids[:0])
	if maxIDs > 0 {
		out := unsafe.Slice(ids, int(maxIDs))
		for i := 0; i < len(s.ids) && i < len(out); i++ {
			out[i] = cClientID(s.ids[i])
		}
	}
	return C.int(len(s.ids))
}

//export ly__go_server_client_address
func ly__go_server_client_address(h *C.ly_server, client C.ly_client_id, buf *C.char, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if buf == nil {
		return fail(errInvalidArgument, "buf is NULL")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	a, ok := s.srv.ClientAddr(goClientID(client))
	if !ok {
		return fail(errUnknownClient, "no connected client %v", goClientID(client))
	}
	if !a.IsValid() {
		return writeString("", buf, size) // connected, but no address (local, P2P)
	}
	return writeString(a.String(), buf, size)
}

//export ly__go_server_client_user_data
func ly__go_server_client_user_data(h *C.ly_server, client C.ly_client_id, userData *C.uint8_t) (rc C.int) {
	defer recoverPanic(&rc)
	if userData == nil {
		return fail(errInvalidArgument, "user_data is NULL")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	ud, ok := s.srv.ClientUserData(goClientID(client))
	if !ok {
		return fail(errUnknownClient, "no connected client %v", goClientID(client))
	}
	copy(bytesOf(userData, C.LY_USER_DATA_SIZE), ud[:])
	return C.LY_OK
}

//export ly__go_server_address
func ly__go_server_address(h *C.ly_server, index C.uint32_t, buf *C.char, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if buf == nil {
		return fail(errInvalidArgument, "buf is NULL")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if !s.srv.Running() {
		return fail(errNotRunning, "server not running")
	}
	var addrs []netip.AddrPort
	if s.nc != nil {
		addrs = s.nc.LocalAddrs()
	}
	if int(index) >= len(addrs) {
		return fail(errInvalidArgument, "address index %d of %d", index, len(addrs))
	}
	return writeString(s.addressString(int(index), addrs[index]), buf, size)
}

// next returns the held event, if any, else the server's next one (those
// the C tick queued are in the netcode server's queue since the import).
func (s *serverHandle) next(ev *core.Event) bool {
	if s.hasHeld {
		*ev = s.held
		return true
	}
	return s.srv.PollEvent(ev)
}

// hold keeps ev for the next poll, copying its payload out of the
// server's buffer (which the next PollEvent recycles).
func (s *serverHandle) hold(ev *core.Event) {
	if !s.hasHeld {
		s.heldBuf = append(s.heldBuf[:0], ev.Payload...)
		s.held = *ev
		s.held.Payload = s.heldBuf
		s.hasHeld = true
	}
}

func fillEvent(out *C.ly_event, ev *core.Event, offset int) {
	*out = C.ly_event{
		_type:  C.uint32_t(ev.Type),
		reason: C.uint32_t(ev.Reason),
		client: cClientID(ev.Client),
	}
	switch ev.Type {
	case core.EventPayload:
		out.payload_size = C.uint32_t(len(ev.Payload))
		out.payload_offset = C.uint32_t(offset)
	case core.EventWarning:
		out.reason = C.uint32_t(ev.Warning)
	}
}

//export ly__go_server_poll
func ly__go_server_poll(h *C.ly_server, event *C.ly_event, buf *C.uint8_t, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if event == nil || (buf == nil && size > 0) {
		return fail(errInvalidArgument, "event must not be NULL, nor buf when buf_size > 0")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	var ev core.Event
	if !s.next(&ev) {
		*event = C.ly_event{}
		s.publishTick(serverBits(h))
		return 0
	}
	fillEvent(event, &ev, 0)
	if len(ev.Payload) > int(size) {
		s.hold(&ev)
		return fail(errBufferTooSmall, "payload of %d bytes, buffer of %d", len(ev.Payload), size)
	}
	copy(bytesOf(buf, size), ev.Payload)
	s.hasHeld = false
	s.publishTick(serverBits(h))
	return 1
}

//export ly__go_server_poll_batch
func ly__go_server_poll_batch(h *C.ly_server, events *C.ly_event, maxEvents C.uint32_t, buf *C.uint8_t, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if (events == nil && maxEvents > 0) || (buf == nil && size > 0) {
		return fail(errInvalidArgument, "events or buf is NULL with a non-zero size")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if maxEvents == 0 {
		return 0
	}
	out := unsafe.Slice(events, int(maxEvents))
	payloads := bytesOf(buf, size)
	offset, n := 0, 0
	var ev core.Event
	for n < len(out) && s.next(&ev) {
		if offset+len(ev.Payload) > len(payloads) {
			s.hold(&ev)
			if n == 0 {
				fillEvent(&out[0], &ev, 0)
				return fail(errBufferTooSmall, "payload of %d bytes, buffer of %d", len(ev.Payload), size)
			}
			break
		}
		fillEvent(&out[n], &ev, offset)
		offset += copy(payloads[offset:], ev.Payload)
		s.hasHeld = false
		n++
	}
	s.publishTick(serverBits(h))
	return C.int(n)
}
