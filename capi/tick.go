package main

/*
#include "tick.h"
*/
import "C"

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// The tick in C (tick.c says how and why): at the end of an update, poll
// or flush that leaves the server steady, Go exports its connected
// clients' packet state to the C mirror, and the entries of entry.c run
// the game's ticks in C until something needs Go. Every Go call on the
// server first imports the state back under the handle's lock: the
// clock, each client's sequence, replay window, times and counters, the
// payloads C queued (into the netcode server's event queue, before
// anything Go queues later), and the datagrams C read but left to Go
// (handed back to their socket).

// tickState is a serverHandle's part; the handle's lock guards it.
type tickState struct {
	published bool // exported: the mirror may hold the newest state
	claimed   bool // owns its mirror slot (released on destroy)
	fds       []int
	st        netcode.SteadyClient
}

// The C mirror's sizes are netcode's and the transport's: a difference
// does not compile (a negative array length).
var (
	_ [C.LY__TICK_REPLAY - netcode.ReplayWindowSize]struct{}
	_ [netcode.ReplayWindowSize - C.LY__TICK_REPLAY]struct{}
	_ [C.LY__TICK_DATAGRAM - transport.MaxDatagram]struct{}
	_ [transport.MaxDatagram - C.LY__TICK_DATAGRAM]struct{}
	_ [C.LY_MAX_PAYLOAD_SIZE - netcode.MaxPayloadSize]struct{}
	_ [netcode.MaxPayloadSize - C.LY_MAX_PAYLOAD_SIZE]struct{}
)

// tickOff keeps every server on the Go path: tests run a scenario both
// ways and compare.
var tickOff atomic.Bool

// requeuer is the Linux UDP transport's hand-back (transport.UDP.Requeue).
type requeuer interface {
	Requeue(data, name []byte, truncated bool)
	Requeued() bool
}

// publishTick exports s (handle bits h) to the mirror if it is steady;
// s is locked.
func (s *serverHandle) publishTick(h uint64) {
	if tickOff.Load() || s.t.published || s.nc == nil || s.hasHeld || len(s.web) > 0 ||
		s.srv.Orphans() > 0 || !s.srv.Running() {
		return
	}
	if _, steam := s.srv.Backend(core.KindSteam); steam {
		return
	}
	var ok bool
	if s.t.fds, ok = s.nc.Steady(s.t.fds[:0]); !ok || len(s.t.fds) > C.LY__TICK_MAX_SOCKS || !s.loc.Idle() {
		return
	}
	for i := range s.t.fds {
		// Datagrams handed back and not read yet (a publishing call of
		// another thread ran between a CONTINUE and its Go update) must
		// be read by Go before C reads the socket past them.
		if r, ok := s.nc.SocketTransport(i).(requeuer); !ok || r.Requeued() {
			return
		}
	}
	n := s.nc.NumConnected()
	// Claimed even if the claim fails: one that failed for memory may hold
	// the slot, which the destroy then frees (release ignores a slot this
	// handle does not hold).
	s.t.claimed = true
	m := C.ly__tick_claim(C.uint64_t(h), C.uint32_t(n), C.uint32_t(s.nc.EventQueueSize()))
	if m == nil {
		return
	}
	defer C.ly__tick_unlock(m)
	m.protocol_id = C.uint64_t(s.nc.ProtocolID())
	m.netcode_kind = C.uint32_t(core.KindNetcode)
	m.max_clients = C.uint32_t(s.nc.MaxClients())
	m.batch_sends = 0
	if s.nc.BatchSends() {
		m.batch_sends = 1
	}
	m.max_reads = C.uint32_t(s.nc.MaxReadsPerUpdate())
	m.keep_alive = C.int64_t(netcode.KeepAliveInterval)
	m.nfds = C.int(len(s.t.fds))
	for i, fd := range s.t.fds {
		m.fds[i] = C.int(fd)
	}
	m.now = C.int64_t(s.nc.Now())
	clients := unsafe.Slice(m.clients, n)
	st := &s.t.st
	for i := range clients {
		s.nc.ExportClient(i, st)
		c := &clients[i]
		ip := st.Addr.Addr()
		*c = C.ly__tick_client{
			id:            C.uint64_t(st.ID),
			index:         C.uint32_t(st.Index),
			sock:          C.uint32_t(st.Socket),
			port:          C.uint16_t(st.Addr.Port()),
			sequence:      C.uint64_t(st.Sequence),
			replay_recent: C.uint64_t(st.ReplayRecent),
			last_send:     C.int64_t(st.LastSend),
			last_recv:     C.int64_t(st.LastRecv),
			timeout:       C.int64_t(st.Timeout),
		}
		if ip.Is4() {
			c.is4 = 1
			a := ip.As4()
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&c.ip[0])), 4), a[:])
		} else {
			a := ip.As16()
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&c.ip[0])), 16), a[:])
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&c.c2s[0])), netcode.KeySize), st.C2S[:])
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&c.s2c[0])), netcode.KeySize), st.S2C[:])
		copy(unsafe.Slice((*uint64)(unsafe.Pointer(&c.replay[0])), netcode.ReplayWindowSize), st.Replay[:])
	}
	m.nclients = C.uint32_t(n)
	s.t.published = C.ly__tick_publish(m) != 0
}

// importTick takes s back from the mirror, if it is there: what the
// entries did in C meanwhile becomes the Go server's, as if Go had done
// it. s is locked.
func (s *serverHandle) importTick(h uint64) {
	// lockServer calls it with the lock held and nobody yet to unlock:
	// it must not panic, not even on a nil object (panic_test.go makes
	// one).
	if s == nil || !s.t.published {
		return
	}
	// published stays set until the import is done: were it to panic half
	// way, the next call imports again rather than letting Go send with
	// sequences C has spent.
	m := C.ly__tick_lock(C.uint64_t(h))
	if m == nil {
		s.t.published = false
		return
	}
	defer C.ly__tick_unlock(m)
	if m.state == C.LY__TICK_GO {
		s.t.published = false
		return
	}
	// Sends queued in C leave now rather than at the next flush: they
	// would otherwise wait in a queue Go does not see.
	C.ly__tick_flush_locked(m)
	if d := time.Duration(m.now) - s.nc.Now(); d > 0 {
		s.nc.Advance(d)
		s.loc.Update(d) // only advances its clock: it has nothing else to do
	}
	clients := unsafe.Slice(m.clients, int(m.nclients))
	st := &s.t.st
	for i := range clients {
		c := &clients[i]
		s.nc.ExportClient(i, st) // for st.Replay, the server's window
		copy(st.Replay[:], unsafe.Slice((*uint64)(unsafe.Pointer(&c.replay[0])), netcode.ReplayWindowSize))
		st.Sequence = uint64(c.sequence)
		st.ReplayRecent = uint64(c.replay_recent)
		st.LastSend, st.LastRecv = time.Duration(c.last_send), time.Duration(c.last_recv)
		st.Stats = core.Stats{
			PacketsSent: uint64(c.packets_sent), BytesSent: uint64(c.bytes_sent),
			PacketsReceived: uint64(c.packets_received), BytesReceived: uint64(c.bytes_received),
		}
		s.nc.ImportClient(i, st)
		// Go holds the keys again; the mirror keeps none (Go forgets a
		// client's on its disconnect).
		c.c2s, c.s2c = [32]C.uint8_t{}, [32]C.uint8_t{}
	}
	s.nc.AddStats(core.Stats{
		PacketsSent: uint64(m.packets_sent), BytesSent: uint64(m.bytes_sent),
		PacketsReceived: uint64(m.packets_received), BytesReceived: uint64(m.bytes_received),
	})
	if m.event_count > 0 {
		// Into the netcode server's own queue, not one of their own
		// beside it: a second queue doubled the bound on payloads
		// waiting for the game, since Go's, empty at the export, took
		// EventQueueSize more while C's were waiting, where the Go path
		// drops them as DroppedQueueFull (capi/tick_test.go,
		// TestTickQueueFull). They always fit: C queues at most
		// event_cap (EventQueueSize) payloads, and the queue was empty.
		events := unsafe.Slice(m.events, int(m.event_cap))
		arena := unsafe.Slice((*byte)(unsafe.Pointer(m.arena)), int(m.arena_size))
		for i := 0; i < int(m.event_count); i++ {
			e := &events[(int(m.event_head)+i)%len(events)]
			s.nc.ImportPayload(uint64(e.client), arena[e.offset:e.offset+e.size])
		}
	}
	if m.state == C.LY__TICK_DIRTY && m.handoff_count > 0 {
		r := s.nc.SocketTransport(int(m.handoff_sock)).(requeuer)
		for _, d := range m.handoff[:m.handoff_count] {
			r.Requeue(unsafe.Slice((*byte)(unsafe.Pointer(d.data)), int(d.size)),
				unsafe.Slice((*byte)(unsafe.Pointer(d.name)), int(d.namelen)), d.truncated != 0)
		}
	}
	m.event_count, m.handoff_count = 0, 0
	m.state = C.LY__TICK_GO
	s.t.published = false
}

// releaseTick frees s's mirror slot; the handle is being destroyed.
func (s *serverHandle) releaseTick(h uint64) {
	if s.t.claimed {
		s.t.published, s.t.claimed = false, false
		C.ly__tick_release(C.uint64_t(h))
	}
}
