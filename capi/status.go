package main

/*
#include "lightyear_conn.h"
*/
import "C"

import (
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/steamworks"
)

// The connection status of Steam connections (ly_connection_status).

func checkStatusOut(out *C.ly_connection_status) C.int {
	if out == nil {
		return fail(errInvalidArgument, "status is NULL")
	}
	if out.struct_size < C.uint32_t(unsafe.Sizeof(*out)) {
		return fail(errInvalidArgument, "ly_connection_status.struct_size is %d, want %d", out.struct_size, unsafe.Sizeof(*out))
	}
	return C.LY_OK
}

func fillStatus(out *C.ly_connection_status, st steamworks.ConnectionStatus) {
	*out = C.ly_connection_status{
		struct_size:             out.struct_size,
		state:                   C.int32_t(st.State),
		ping_ms:                 C.int32_t(st.Ping.Milliseconds()),
		quality_local:           C.float(st.QualityLocal),
		quality_remote:          C.float(st.QualityRemote),
		out_packets_per_sec:     C.float(st.OutPacketsPerSec),
		out_bytes_per_sec:       C.float(st.OutBytesPerSec),
		in_packets_per_sec:      C.float(st.InPacketsPerSec),
		in_bytes_per_sec:        C.float(st.InBytesPerSec),
		send_rate_bytes_per_sec: C.int32_t(st.SendRateBytesPerSec),
		pending_unreliable:      C.int32_t(st.PendingUnreliable),
		pending_reliable:        C.int32_t(st.PendingReliable),
		sent_unacked_reliable:   C.int32_t(st.SentUnackedReliable),
		queue_time_us:           C.int64_t(st.QueueTime.Microseconds()),
	}
}

//export ly__go_server_connection_status
func ly__go_server_connection_status(h *C.ly_server, client C.ly_client_id, out *C.ly_connection_status) (rc C.int) {
	defer recoverPanic(&rc)
	if rc := checkStatusOut(out); rc != C.LY_OK {
		return rc
	}
	id := goClientID(client)
	if id.Kind != core.KindSteam {
		return fail(errInvalidArgument, "client %v is not a Steam client: only Steam connections have a status", id)
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	b, ok := s.srv.Backend(core.KindSteam)
	if !ok {
		return fail(errUnknownClient, "client %v: the server has no Steam backend", id)
	}
	st, err := b.(*steamworks.Server).ConnectionStatus(id)
	if err != nil {
		return failErr(err, errNotConnected)
	}
	fillStatus(out, st)
	return C.LY_OK
}

//export ly__go_client_connection_status
func ly__go_client_connection_status(h *C.ly_client, out *C.ly_connection_status) (rc C.int) {
	defer recoverPanic(&rc)
	if rc := checkStatusOut(out); rc != C.LY_OK {
		return rc
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	sc, ok := c.cli.(*steamworks.Client)
	if !ok {
		return fail(errInvalidArgument, "not a Steam client: only Steam connections have a status")
	}
	st, err := sc.ConnectionStatus()
	if err != nil {
		return failErr(err, errNotConnected)
	}
	fillStatus(out, st)
	return C.LY_OK
}
