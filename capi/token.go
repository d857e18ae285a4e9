package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"fmt"
	"runtime/debug"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

//export ly__go_key_generate
func ly__go_key_generate(key *C.uint8_t) (rc C.int) {
	defer recoverPanic(&rc)
	if key == nil {
		return fail(errInvalidArgument, "key is NULL")
	}
	k, err := netcode.GenerateKey()
	if err != nil {
		return failErr(err, errInvalidKey)
	}
	copy(bytesOf(key, netcode.KeySize), k[:])
	return C.LY_OK
}

//export ly__go_token_generate
func ly__go_token_generate(p *C.ly__ctoken_params, out *C.uint8_t, outSize C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if p == nil || out == nil {
		return fail(errInvalidArgument, "params and out must not be NULL")
	}
	if p.struct_size < C.uint32_t(unsafe.Sizeof(*p)) {
		return fail(errInvalidArgument, "ly_token_params.struct_size is %d, want %d (call ly_token_params_defaults)", p.struct_size, unsafe.Sizeof(*p))
	}
	if p.private_key == nil || (p.user_data == nil && p.user_data_size > 0) {
		return fail(errInvalidArgument, "private_key must not be NULL, nor user_data when user_data_size > 0")
	}
	if outSize < netcode.ConnectTokenSize {
		return fail(errBufferTooSmall, "token buffer of %d bytes, need %d", outSize, netcode.ConnectTokenSize)
	}
	if p.user_data_size > netcode.UserDataSize {
		return fail(errInvalidToken, "user data of %d bytes, at most %d", p.user_data_size, netcode.UserDataSize)
	}
	public, err := parseAddresses((*C.ly__cchar)(unsafe.Pointer(p.public_addresses)))
	if err != nil {
		return fail(errInvalidArgument, "public_addresses: %v", err)
	}
	internal, err := parseAddresses((*C.ly__cchar)(unsafe.Pointer(p.internal_addresses)))
	if err != nil {
		return fail(errInvalidArgument, "internal_addresses: %v", err)
	}
	params := netcode.TokenParams{
		ProtocolID:        uint64(p.protocol_id),
		ClientID:          uint64(p.client_id),
		PublicAddresses:   public,
		InternalAddresses: internal,
		ExpireSeconds:     int64(p.expire_seconds),
		TimeoutSeconds:    int32(p.timeout_seconds),
	}
	copy(params.PrivateKey[:], bytesOf(p.private_key, netcode.KeySize))
	copy(params.UserData[:], bytesOf(p.user_data, p.user_data_size))
	tok, err := netcode.GenerateConnectToken(params)
	if err != nil {
		return failErr(err, errInvalidToken)
	}
	b, err := tok.MarshalBinary()
	if err != nil {
		return failErr(err, errInvalidToken)
	}
	copy(bytesOf(out, outSize), b)
	return C.LY_OK
}

func parseToken(token *C.ly__cu8, size C.uint32_t) (*netcode.ConnectToken, C.int) {
	if token == nil {
		return nil, fail(errInvalidArgument, "token is NULL")
	}
	t, err := netcode.ParseConnectToken(bytesOf(token, size))
	if err != nil {
		return nil, failErr(err, errInvalidToken)
	}
	return t, C.LY_OK
}

//export ly__go_token_read
func ly__go_token_read(token *C.ly__cu8, size C.uint32_t, info *C.ly_token_info) (rc C.int) {
	defer recoverPanic(&rc)
	if info == nil {
		return fail(errInvalidArgument, "info is NULL")
	}
	if info.struct_size < C.uint32_t(unsafe.Sizeof(*info)) {
		return fail(errInvalidArgument, "ly_token_info.struct_size is %d, want %d", info.struct_size, unsafe.Sizeof(*info))
	}
	t, rc := parseToken(token, size)
	if t == nil {
		return rc
	}
	info.protocol_id = C.uint64_t(t.ProtocolID)
	info.create_timestamp = C.uint64_t(t.CreateTimestamp)
	info.expire_timestamp = C.uint64_t(t.ExpireTimestamp)
	info.timeout_seconds = C.int32_t(t.TimeoutSeconds)
	info.num_addresses = C.uint32_t(len(t.ServerAddresses))
	return C.LY_OK
}

//export ly__go_token_address
func ly__go_token_address(token *C.ly__cu8, size C.uint32_t, index C.uint32_t, buf *C.char, bufSize C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	t, rc := parseToken(token, size)
	if t == nil {
		return rc
	}
	if int(index) >= len(t.ServerAddresses) {
		return fail(errInvalidArgument, "address index %d of %d", index, len(t.ServerAddresses))
	}
	return writeString(t.ServerAddresses[index].String(), buf, bufSize)
}

//export ly__go_shutdown
func ly__go_shutdown() (rc C.int) {
	defer recoverPanic(&rc)
	// Every entry comes back locked and is unlocked and closed even if
	// closing another panics; the first panic is raised again at the end.
	var panicked any
	for _, e := range handles.removeAll() {
		func() {
			defer func() {
				if r := recover(); r != nil && panicked == nil {
					panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
				}
				e.obj = nil
				e.mu.Unlock()
			}()
			switch h := e.obj.(type) {
			case *serverHandle:
				h.importTick(e.h) // as in ly__go_server_destroy
				h.releaseTick(e.h)
				h.stopFleet()
				h.srv.Stop()
				h.loc.Close()
			case *clientHandle:
				h.cli.Close()
			case *tokenRequest:
				h.cancel()
			}
		}()
	}
	// The fetches just cancelled, and nothing else is left running.
	background.Wait()
	steam.Lock()
	defer steam.Unlock()
	err := closeSteam()
	if panicked != nil {
		panic(panicked)
	}
	if err != nil {
		return failErr(err, errInternal)
	}
	return C.LY_OK
}
