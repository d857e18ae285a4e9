package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/debug"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// The LY_ERR_* codes, as Go values.
const (
	errInvalidHandle   = C.LY_ERR_INVALID_HANDLE
	errInvalidArgument = C.LY_ERR_INVALID_ARGUMENT
	errBufferTooSmall  = C.LY_ERR_BUFFER_TOO_SMALL
	errPayloadSize     = C.LY_ERR_PAYLOAD_SIZE
	errNotConnected    = C.LY_ERR_NOT_CONNECTED
	errUnknownClient   = C.LY_ERR_UNKNOWN_CLIENT
	errInvalidToken    = C.LY_ERR_INVALID_TOKEN
	errInvalidKey      = C.LY_ERR_INVALID_KEY
	errNotRunning      = C.LY_ERR_NOT_RUNNING
	errAlreadyActive   = C.LY_ERR_ALREADY_ACTIVE
	errSocket          = C.LY_ERR_SOCKET
	errInternal        = C.LY_ERR_INTERNAL
	errSendBufferFull  = C.LY_ERR_SEND_BUFFER_FULL
	// Token fetch (fetch.go).
	errUnauthorized = C.LY_ERR_UNAUTHORIZED
	errRateLimited  = C.LY_ERR_RATE_LIMITED
	errNoServer     = C.LY_ERR_NO_SERVER
	errTLS          = C.LY_ERR_TLS
	errTimeout      = C.LY_ERR_TIMEOUT
	errHTTP         = C.LY_ERR_HTTP
)

// fail records msg as the calling thread's last error and returns code.
// cgo runs an export on the calling C thread, so the C thread-local
// storage is the caller's.
func fail(code C.int, format string, args ...any) C.int {
	setLastError(fmt.Sprintf(format, args...))
	return code
}

func setLastError(msg string) {
	if len(msg) == 0 {
		C.ly__set_last_error(nil, 0)
		return
	}
	C.ly__set_last_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
}

// codeOf maps an error from core to its LY_ERR_* code. fallback is the
// code for errors that carry no sentinel (socket failures, mostly).
func codeOf(err error, fallback C.int) C.int {
	switch {
	case errors.Is(err, core.ErrPayloadSize):
		return errPayloadSize
	case errors.Is(err, core.ErrNotConnected):
		return errNotConnected
	case errors.Is(err, core.ErrUnknownClient):
		return errUnknownClient
	case errors.Is(err, core.ErrNotStarted):
		return errNotRunning
	case errors.Is(err, core.ErrAlreadyStarted), errors.Is(err, core.ErrAlreadyActive):
		return errAlreadyActive
	case errors.Is(err, core.ErrInvalidArgument), errors.Is(err, netcode.ErrInvalidConfig):
		return errInvalidArgument
	case errors.Is(err, core.ErrClosed):
		return errInvalidHandle
	case errors.Is(err, netcode.ErrInvalidToken), errors.Is(err, netcode.ErrTokenDecrypt):
		return errInvalidToken
	case errors.Is(err, netcode.ErrInvalidKey):
		return errInvalidKey
	case errors.Is(err, core.ErrSendBufferFull):
		return errSendBufferFull
	}
	return fallback
}

// failErr records err and returns its code.
func failErr(err error, fallback C.int) C.int {
	code := codeOf(err, fallback)
	setLastError(err.Error())
	return code
}

// recoverPanic turns a panic inside an export into LY_ERR_INTERNAL: a
// panic that crossed into C would abort the host process. Use as
// `defer recoverPanic(&rc)` with a named result.
func recoverPanic(rc *C.int) {
	if r := recover(); r != nil {
		setLastError(fmt.Sprintf("internal error: %v\n%s", r, debug.Stack()))
		*rc = errInternal
	}
}
