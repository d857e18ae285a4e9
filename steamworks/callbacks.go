package steamworks

/*
#cgo noescape lys_pump
#cgo nocallback lys_pump
#cgo noescape lys_drain
#cgo nocallback lys_drain
#include "shim.h"
*/
import "C"

import (
	"net/netip"
	"sync"
	"unsafe"
)

// Steam's connection states (ESteamNetworkingConnectionState).
const (
	stateNone                   = C.LYS_STATE_NONE
	stateConnecting             = C.LYS_STATE_CONNECTING
	stateFindingRoute           = C.LYS_STATE_FINDING_ROUTE
	stateConnected              = C.LYS_STATE_CONNECTED
	stateClosedByPeer           = C.LYS_STATE_CLOSED_BY_PEER
	stateProblemDetectedLocally = C.LYS_STATE_PROBLEM_DETECTED_LOCALLY
)

// status is one connection status change, in Go.
type status struct {
	conn, listen uint32
	state        int32
	oldState     int32
	endReason    int32
	identityType int32
	steamID      uint64         // when identityType is a SteamID
	addr         netip.AddrPort // invalid when Steam does not know it (relayed)
	endDebug     string
}

// statusSink is a server or client receiving the status changes of its
// connections. post runs with Library.mu held and must only queue.
type statusSink interface{ post(st status) }

// inbox is a statusSink's queue: pump appends under Library.mu, and the
// owner's Update swaps it with a spare buffer to handle the changes
// without the lock.
type inbox struct {
	queued []status // guarded by Library.mu
	spare  []status
}

func (b *inbox) post(st status) { b.queued = append(b.queued, st) }

// drain hands every queued change to handle, outside mu.
func (b *inbox) drain(mu *sync.Mutex, handle func(*status)) {
	mu.Lock()
	batch := b.queued
	b.queued = b.spare[:0]
	mu.Unlock()
	for i := range batch {
		handle(&batch[i])
		batch[i] = status{}
	}
	b.spare = batch[:0]
}

// pump runs Steam's callbacks and hands every status change to the owner
// of its connection. Whoever calls it (any server's or client's Update)
// delivers changes for all of them; each owner acts on its own in its own
// Update.
func (l *Library) pump() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errLibraryClosed
	}
	n := int(C.lys_pump(l.c, &l.buf[0], C.int(len(l.buf))))
	for {
		for i := range n {
			l.route(&l.buf[i])
		}
		if n < len(l.buf) {
			return nil
		}
		n = int(C.lys_drain(&l.buf[0], C.int(len(l.buf))))
	}
}

// route finds the owner of a change; l.mu is held. A new connection on a
// listen socket becomes its server's. Changes for connections nobody owns
// (closed already, or the host's own in attach mode) are ignored: the
// backend never closes a handle it does not own.
func (l *Library) route(cs *C.lys_status) {
	conn := uint32(cs.conn)
	sink := l.conns[conn]
	if sink == nil {
		st := int32(cs.state)
		if st != stateConnecting && st != stateFindingRoute {
			return
		}
		if sink = l.listeners[uint32(cs.listen_socket)]; sink == nil || cs.listen_socket == 0 {
			return
		}
		l.conns[conn] = sink
	}
	sink.post(statusFromC(cs))
}

func statusFromC(cs *C.lys_status) status {
	st := status{
		conn:         uint32(cs.conn),
		listen:       uint32(cs.listen_socket),
		state:        int32(cs.state),
		oldState:     int32(cs.old_state),
		endReason:    int32(cs.end_reason),
		identityType: int32(cs.identity_type),
		addr:         addrFromC((*[16]byte)(unsafe.Pointer(&cs.addr[0])), uint16(cs.port)),
	}
	if st.identityType == C.LYS_IDENTITY_STEAMID {
		st.steamID = uint64(cs.steam_id)
	}
	if cs.end_debug[0] != 0 {
		st.endDebug = C.GoString(&cs.end_debug[0])
	}
	return st
}

// claim makes conn's changes go to sink; forget stops routing them.
// l.mu must not be held.
func (l *Library) claim(conn uint32, sink statusSink) {
	l.mu.Lock()
	l.conns[conn] = sink
	l.mu.Unlock()
}

func (l *Library) forget(conn uint32) {
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
}

// StatusChangesDropped counts status changes lost because more than 65536
// piled up between two updates.
func (l *Library) StatusChangesDropped() uint64 { return uint64(C.lys_queue_dropped()) }
