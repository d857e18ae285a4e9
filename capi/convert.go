package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// bytesOf views C memory as a Go slice without copying. The slice must not
// outlive the call.
func bytesOf[T ~uint8](p *T, n C.uint32_t) []byte {
	panicPoint()
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// parseAddresses reads a list of "ip:port" separated by spaces or commas.
func parseAddresses(s *C.ly__cchar) ([]netip.AddrPort, error) {
	panicPoint()
	if s == nil {
		return nil, nil
	}
	var out []netip.AddrPort
	for _, f := range strings.FieldsFunc(C.GoString((*C.char)(unsafe.Pointer(s))), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		a, err := netip.ParseAddrPort(f)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", f, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// writeString copies s and a NUL into buf, or reports the size needed.
func writeString(s string, buf *C.char, size C.uint32_t) C.int {
	if buf == nil {
		return fail(errInvalidArgument, "buffer is NULL")
	}
	if int(size) < len(s)+1 {
		return fail(errBufferTooSmall, "buffer of %d bytes, need %d", size, len(s)+1)
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size))
	copy(dst, s)
	dst[len(s)] = 0
	return C.int(len(s))
}

// duration converts a dt in seconds, refusing negative, NaN and infinite
// values. A finite dt too long for a time.Duration (over 292 years)
// saturates to the longest, as the clocks it advances do.
func duration(dt C.double) (time.Duration, bool) {
	f := float64(dt)
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	ns := f * 1e9
	// float64(math.MaxInt64) is 2^63, one past the range: converting it
	// (or anything above) to an integer is undefined, so compare first.
	if ns >= math.MaxInt64 {
		return math.MaxInt64, true
	}
	return time.Duration(ns), true
}

func goClientID(id C.ly_client_id) core.ClientID {
	return core.ClientID{Kind: core.Kind(id.kind), ID: uint64(id.id)}
}

func cClientID(id core.ClientID) C.ly_client_id {
	return C.ly_client_id{id: C.uint64_t(id.ID), kind: C.uint32_t(id.Kind)}
}
