package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"net/netip"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// client is what every backend's client offers.
type client interface {
	core.Client
	Stats() core.Stats
}

// clientHandle is what a ly_client* names: a netcode or a local client.
type clientHandle struct {
	cli client
	// held is a received payload that did not fit the caller's buffer.
	held    []byte
	heldBuf []byte
}

func clientBits(h *C.ly_client) uint64 { return uint64(uintptr(unsafe.Pointer(h))) }

func lockClient(h *C.ly_client) (*entry, *clientHandle, C.int) {
	e := handles.acquire(kindClient, clientBits(h))
	if e == nil {
		return nil, nil, fail(errInvalidHandle, "invalid client handle %p", h)
	}
	return e, e.obj.(*clientHandle), C.LY_OK
}

// onClient is onServer for clients.
func onClient(h *C.ly_client, fallback C.int, f func(*clientHandle) error) C.int {
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if err := f(c); err != nil {
		return failErr(err, fallback)
	}
	return C.LY_OK
}

// clientConfig reads an optional ly_client_config.
func clientConfig(cfg *C.ly__cclient_config) (netcode.ClientConfig, C.int) {
	if cfg == nil {
		return netcode.ClientConfig{Dial: dialHook}, C.LY_OK
	}
	if cfg.struct_size < C.uint32_t(unsafe.Sizeof(*cfg)) {
		return netcode.ClientConfig{}, fail(errInvalidArgument, "ly_client_config.struct_size is %d, want %d (call ly_client_config_defaults)", cfg.struct_size, unsafe.Sizeof(*cfg))
	}
	return netcode.ClientConfig{ClientID: uint64(cfg.client_id), ReceiveQueueSize: int(cfg.receive_queue_size), Dial: dialHook}, C.LY_OK
}

// addClient makes a handle for c, or closes c if the table is full.
func addClient(c client, out **C.ly_client) C.int {
	h := handles.add(kindClient, &clientHandle{cli: c})
	if h == 0 {
		c.Close()
		return fail(errInternal, "handle table full (at most %d handles live at once)", indexMask+1)
	}
	*out = C.ly__client_from_bits(C.uintptr_t(h))
	return C.LY_OK
}

//export ly__go_client_create
func ly__go_client_create(token *C.ly__cu8, tokenSize C.uint32_t, cfg *C.ly__cclient_config, out **C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	if token == nil || out == nil {
		return fail(errInvalidArgument, "token and out must not be NULL")
	}
	config, rc := clientConfig(cfg)
	if rc != C.LY_OK {
		return rc
	}
	return addClient(netcode.NewClient(bytesOf(token, tokenSize), config), out)
}

//export ly__go_client_create_manual
func ly__go_client_create_manual(server *C.ly__cchar, clientID, protocolID C.uint64_t, key *C.ly__cu8, keySize C.uint32_t, cfg *C.ly__cclient_config, out **C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	if server == nil || key == nil || out == nil {
		return fail(errInvalidArgument, "server_address, private_key and out must not be NULL")
	}
	addr, err := netip.ParseAddrPort(C.GoString((*C.char)(unsafe.Pointer(server))))
	if err != nil {
		return fail(errInvalidArgument, "server_address: %v", err)
	}
	k, err := netcode.KeyFromBytes(bytesOf(key, keySize))
	if err != nil {
		return failErr(err, errInvalidKey)
	}
	config, rc := clientConfig(cfg)
	if rc != C.LY_OK {
		return rc
	}
	c, err := netcode.NewManualClient(addr, uint64(clientID), uint64(protocolID), k, config)
	if err != nil {
		return failErr(err, errInvalidArgument)
	}
	return addClient(c, out)
}

//export ly__go_client_destroy
func ly__go_client_destroy(h *C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	e := handles.remove(kindClient, clientBits(h))
	if e == nil {
		return fail(errInvalidHandle, "invalid client handle %p", h)
	}
	defer e.mu.Unlock()
	e.obj.(*clientHandle).cli.Close()
	e.obj = nil
	return C.LY_OK
}

//export ly__go_client_connect
func ly__go_client_connect(h *C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	c.held = nil
	if err := c.cli.Connect(); err != nil {
		return failErr(err, errSocket)
	}
	return C.LY_OK
}

//export ly__go_client_set_token
func ly__go_client_set_token(h *C.ly_client, token *C.ly__cu8, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if token == nil {
		return fail(errInvalidArgument, "token is NULL")
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	nc, ok := c.cli.(*netcode.Client)
	if !ok {
		return fail(errInvalidArgument, "a local client has no token")
	}
	if err := nc.SetToken(bytesOf(token, size)); err != nil {
		return failErr(err, errInternal)
	}
	return C.LY_OK
}

//export ly__go_client_update
func ly__go_client_update(h *C.ly_client, dtSeconds C.double) (rc C.int) {
	defer recoverPanic(&rc)
	dt, ok := duration(dtSeconds)
	if !ok {
		return fail(errInvalidArgument, "dt must be a finite number of seconds >= 0, got %v", float64(dtSeconds))
	}
	return onClient(h, errSocket, func(c *clientHandle) error { return c.cli.Update(dt) })
}

//export ly__go_client_send
func ly__go_client_send(h *C.ly_client, data *C.ly__cu8, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if data == nil && size > 0 {
		return fail(errInvalidArgument, "data is NULL")
	}
	return onClient(h, errSocket, func(c *clientHandle) error { return c.cli.Send(bytesOf(data, size)) })
}

//export ly__go_client_receive
func ly__go_client_receive(h *C.ly_client, buf *C.uint8_t, size C.uint32_t, needed *C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if buf == nil && size > 0 {
		return fail(errInvalidArgument, "buf is NULL")
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	p := c.held
	if p == nil {
		var ok bool
		if p, ok = c.cli.Receive(); !ok {
			return 0
		}
	}
	if len(p) > int(size) {
		if c.held == nil {
			c.heldBuf = append(c.heldBuf[:0], p...)
			c.held = c.heldBuf
		}
		if needed != nil {
			*needed = C.uint32_t(len(p))
		}
		return fail(errBufferTooSmall, "payload of %d bytes, buffer of %d", len(p), size)
	}
	c.held = nil
	return C.int(copy(bytesOf(buf, size), p))
}

//export ly__go_client_get_state
func ly__go_client_get_state(h *C.ly_client, state *C.int) (rc C.int) {
	defer recoverPanic(&rc)
	if state == nil {
		return fail(errInvalidArgument, "state is NULL")
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	*state = C.int(c.cli.State())
	return C.LY_OK
}

//export ly__go_client_disconnect_reason
func ly__go_client_disconnect_reason(h *C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	return C.int(c.cli.DisconnectReason())
}

//export ly__go_client_disconnect
func ly__go_client_disconnect(h *C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	return onClient(h, errSocket, func(c *clientHandle) error { return c.cli.Disconnect() })
}

//export ly__go_client_local_address
func ly__go_client_local_address(h *C.ly_client, buf *C.char, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if buf == nil { // an argument error comes before a handle error
		return fail(errInvalidArgument, "buf is NULL")
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	a := c.cli.LocalAddr()
	if !a.IsValid() {
		return writeString("", buf, size)
	}
	return writeString(a.String(), buf, size)
}

//export ly__go_client_id_of
func ly__go_client_id_of(h *C.ly_client, id *C.ly_client_id) (rc C.int) {
	defer recoverPanic(&rc)
	if id == nil {
		return fail(errInvalidArgument, "id is NULL")
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	*id = cClientID(c.cli.ID())
	return C.LY_OK
}

//export ly__go_server_connect_local
func ly__go_server_connect_local(h *C.ly_server, id C.uint64_t, out **C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil {
		return fail(errInvalidArgument, "out is NULL")
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	c, err := s.loc.Connect(uint64(id))
	if err != nil {
		return failErr(err, errInternal)
	}
	return addClient(c, out)
}
