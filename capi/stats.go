package main

/*
#include "lightyear_conn.h"
*/
import "C"

import (
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// statsSizeV1 is sizeof(ly_stats) before dropped_oversized: callers built
// against it still get every field they have room for.
var statsSizeV1 = C.uint32_t(unsafe.Offsetof(C.ly_stats{}.dropped_oversized))

// fillStats writes st into out, up to out's struct_size (checked by
// checkStats).
func fillStats(out *C.ly_stats, st core.Stats) C.int {
	full := C.ly_stats{
		struct_size:                out.struct_size,
		packets_sent:               C.uint64_t(st.PacketsSent),
		packets_received:           C.uint64_t(st.PacketsReceived),
		bytes_sent:                 C.uint64_t(st.BytesSent),
		bytes_received:             C.uint64_t(st.BytesReceived),
		dropped_malformed:          C.uint64_t(st.DroppedMalformed),
		dropped_replayed:           C.uint64_t(st.DroppedReplayed),
		dropped_decrypt_failed:     C.uint64_t(st.DroppedDecryptFailed),
		dropped_unknown_address:    C.uint64_t(st.DroppedUnknownAddress),
		dropped_queue_full:         C.uint64_t(st.DroppedQueueFull),
		dropped_rejected:           C.uint64_t(st.DroppedRejected),
		seconds_since_last_receive: C.double(st.SinceLastReceive.Seconds()),
		dropped_oversized:          C.uint64_t(st.DroppedOversized),
		dropped_table_full:         C.uint64_t(st.DroppedTableFull),
	}
	n := min(uintptr(out.struct_size), unsafe.Sizeof(full))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), n), unsafe.Slice((*byte)(unsafe.Pointer(&full)), n))
	return C.LY_OK
}

func checkStats(out *C.ly_stats) C.int {
	if out == nil {
		return fail(errInvalidArgument, "stats is NULL")
	}
	if out.struct_size < statsSizeV1 {
		return fail(errInvalidArgument, "ly_stats.struct_size is %d, want at least %d (sizeof(ly_stats) is %d)", out.struct_size, statsSizeV1, unsafe.Sizeof(*out))
	}
	return C.LY_OK
}

//export ly__go_server_stats
func ly__go_server_stats(h *C.ly_server, out *C.ly_stats) (rc C.int) {
	defer recoverPanic(&rc)
	if rc := checkStats(out); rc != C.LY_OK {
		return rc
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	return fillStats(out, s.srv.Stats())
}

//export ly__go_server_client_stats
func ly__go_server_client_stats(h *C.ly_server, client C.ly_client_id, out *C.ly_stats) (rc C.int) {
	defer recoverPanic(&rc)
	if rc := checkStats(out); rc != C.LY_OK {
		return rc
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	st, ok := s.srv.ClientStats(goClientID(client))
	if !ok {
		return fail(errUnknownClient, "no connected client %v", goClientID(client))
	}
	return fillStats(out, st)
}

//export ly__go_client_stats
func ly__go_client_stats(h *C.ly_client, out *C.ly_stats) (rc C.int) {
	defer recoverPanic(&rc)
	if rc := checkStats(out); rc != C.LY_OK {
		return rc
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	return fillStats(out, c.cli.Stats())
}
