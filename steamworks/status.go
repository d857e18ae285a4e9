package steamworks

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// ConnectionStatus is Steam's live view of one connection
// (SteamNetConnectionRealTimeStatus_t).
type ConnectionStatus struct {
	State               int // Steam's connection state: 1 connecting ... 3 connected
	Ping                time.Duration
	QualityLocal        float32 // fraction of packets delivered, as seen here (-1 unknown)
	QualityRemote       float32 // and as the peer sees it
	OutPacketsPerSec    float32
	OutBytesPerSec      float32
	InPacketsPerSec     float32
	InBytesPerSec       float32
	SendRateBytesPerSec int
	PendingUnreliable   int // bytes queued, not yet sent
	PendingReliable     int
	SentUnackedReliable int
	QueueTime           time.Duration // expected wait before a message sent now goes out
}

func connectionStatus(l *Library, conn uint32) (ConnectionStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ConnectionStatus{}, errLibraryClosed
	}
	var rt C.lys_RealTimeStatus
	if r := C.lys_real_time_status(l.c, C.uint32_t(conn), &rt); r != C.LYS_RESULT_OK {
		return ConnectionStatus{}, fmt.Errorf("%w: GetConnectionRealTimeStatus: EResult %d", core.ErrNotConnected, int(r))
	}
	return ConnectionStatus{
		State:               int(rt.eState),
		Ping:                time.Duration(rt.ping) * time.Millisecond,
		QualityLocal:        float32(rt.qualityLocal),
		QualityRemote:       float32(rt.qualityRemote),
		OutPacketsPerSec:    float32(rt.outPacketsPerSec),
		OutBytesPerSec:      float32(rt.outBytesPerSec),
		InPacketsPerSec:     float32(rt.inPacketsPerSec),
		InBytesPerSec:       float32(rt.inBytesPerSec),
		SendRateBytesPerSec: int(rt.sendRateBytesPerSec),
		PendingUnreliable:   int(rt.pendingUnreliable),
		PendingReliable:     int(rt.pendingReliable),
		SentUnackedReliable: int(rt.sentUnackedReliable),
		QueueTime:           time.Duration(rt.usecQueueTime) * time.Microsecond,
	}, nil
}
