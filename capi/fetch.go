package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/tokenclient"
)

// background counts the goroutines the library starts for token requests
// and fleet registrations; ly_shutdown waits for them.
var background sync.WaitGroup

// goBackground runs f on a goroutine that ly_shutdown waits for. A panic
// in f is recovered (it would abort the host) and handed to onPanic.
func goBackground(f func(), onPanic func(error)) {
	background.Add(1)
	go func() {
		defer background.Done()
		defer func() {
			if r := recover(); r != nil {
				onPanic(fmt.Errorf("internal error: %v\n%s", r, debug.Stack()))
			}
		}()
		f()
	}()
}

// fetchCode maps a tokenclient error to its LY_ERR_* code.
func fetchCode(err error) C.int {
	switch {
	case errors.Is(err, tokenclient.ErrInvalidOptions):
		return errInvalidArgument
	case errors.Is(err, tokenclient.ErrUnauthorized):
		return errUnauthorized
	case errors.Is(err, tokenclient.ErrRateLimited):
		return errRateLimited
	case errors.Is(err, tokenclient.ErrNoServer):
		return errNoServer
	case errors.Is(err, tokenclient.ErrTLS):
		return errTLS
	case errors.Is(err, tokenclient.ErrTimeout):
		return errTimeout
	case errors.Is(err, tokenclient.ErrHTTP):
		return errHTTP
	case errors.Is(err, tokenclient.ErrNetwork), errors.Is(err, tokenclient.ErrCanceled):
		return errSocket
	}
	return errInternal
}

// fetchClient checks the caller's options and makes a client; the C
// strings are copied, the CA file read.
func fetchClient(o *C.ly__ctoken_fetch_options) (*tokenclient.Client, C.int) {
	if o == nil {
		return nil, fail(errInvalidArgument, "options is NULL")
	}
	if o.struct_size < C.uint32_t(unsafe.Sizeof(*o)) {
		return nil, fail(errInvalidArgument, "ly_token_fetch_options.struct_size is %d, want %d (call ly_token_fetch_options_defaults)", o.struct_size, unsafe.Sizeof(*o))
	}
	c, err := tokenclient.New(tokenclient.Options{
		URL:         goString(o.url),
		Credential:  goString(o.credential),
		Fingerprint: goString(o.pin_sha256),
		CAFile:      goString(o.ca_file),
		Tag:         goString(o.tag),
		Timeout:     time.Duration(o.timeout_ms) * time.Millisecond,
	})
	if err != nil {
		return nil, fail(fetchCode(err), "%v", err)
	}
	return c, C.LY_OK
}

//export ly__go_token_fetch
func ly__go_token_fetch(o *C.ly__ctoken_fetch_options, out *C.uint8_t, outSize C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil {
		return fail(errInvalidArgument, "out is NULL")
	}
	if outSize < tokenclient.TokenSize {
		return fail(errBufferTooSmall, "token buffer of %d bytes, need %d", outSize, tokenclient.TokenSize)
	}
	c, rc := fetchClient(o)
	if c == nil {
		return rc
	}
	defer c.Close()
	tok, err := c.Fetch(context.Background())
	if err != nil {
		return fail(fetchCode(err), "%v", err)
	}
	copy(bytesOf(out, outSize), tok)
	return tokenclient.TokenSize
}

// tokenRequest is what a ly_token_request* names. The goroutine writes
// token or err, then closes done; poll reads them only after done.
type tokenRequest struct {
	cancel context.CancelFunc
	done   chan struct{}
	token  []byte
	err    error
	code   C.int
}

func requestBits(h *C.ly_token_request) uint64 { return uint64(uintptr(unsafe.Pointer(h))) }

//export ly__go_token_request_start
func ly__go_token_request_start(o *C.ly__ctoken_fetch_options, out **C.ly_token_request) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil {
		return fail(errInvalidArgument, "out is NULL")
	}
	c, rc := fetchClient(o)
	if c == nil {
		return rc
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &tokenRequest{cancel: cancel, done: make(chan struct{})}
	bits := handles.add(kindTokenRequest, r)
	if bits == 0 {
		cancel()
		c.Close()
		return fail(errInternal, "handle table full (at most %d handles live at once)", indexMask+1)
	}
	// done is closed after the result is written, by whichever of the
	// two ends the goroutine (a deferred close would run before a
	// panic's handler wrote its error).
	goBackground(func() {
		defer c.Close()
		tok, err := c.Fetch(ctx)
		if err != nil {
			r.err, r.code = err, fetchCode(err)
		} else {
			r.token = tok
		}
		close(r.done)
	}, func(err error) {
		r.err, r.code = err, errInternal
		close(r.done)
	})
	*out = C.ly__token_request_from_bits(C.uintptr_t(bits))
	return C.LY_OK
}

//export ly__go_token_request_poll
func ly__go_token_request_poll(h *C.ly_token_request, out *C.uint8_t, outSize C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil {
		return fail(errInvalidArgument, "out is NULL")
	}
	if outSize < tokenclient.TokenSize {
		return fail(errBufferTooSmall, "token buffer of %d bytes, need %d", outSize, tokenclient.TokenSize)
	}
	dst := bytesOf(out, outSize)
	e := handles.acquire(kindTokenRequest, requestBits(h))
	if e == nil {
		return fail(errInvalidHandle, "invalid token request handle %p", h)
	}
	defer e.mu.Unlock()
	r := e.obj.(*tokenRequest)
	select {
	case <-r.done:
	default:
		return C.LY_TOKEN_PENDING
	}
	if r.err != nil {
		return fail(r.code, "%v", r.err)
	}
	copy(dst, r.token)
	return tokenclient.TokenSize
}

//export ly__go_token_request_free
func ly__go_token_request_free(h *C.ly_token_request) (rc C.int) {
	defer recoverPanic(&rc)
	e := handles.remove(kindTokenRequest, requestBits(h))
	if e == nil {
		return fail(errInvalidHandle, "invalid token request handle %p", h)
	}
	defer e.mu.Unlock()
	e.obj.(*tokenRequest).cancel()
	e.obj = nil
	return C.LY_OK
}
