package steamworks

/*
#cgo noescape lys_receive_on_poll_group
#cgo nocallback lys_receive_on_poll_group
#cgo noescape lys_receive_on_connection
#cgo nocallback lys_receive_on_connection
#cgo noescape lys_release_messages
#cgo nocallback lys_release_messages
#cgo noescape lys_send
#cgo nocallback lys_send
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// The message path: sends, and batch receives that copy each payload into
// an event queue and release every message in one C call. It allocates
// nothing in Go (TestSteadyStateAllocs).

// receiveBatch is how many messages one receive call takes.
const receiveBatch = 64

// send sends one unreliable no-Nagle message. A connection Steam is
// closing (NoConnection, InvalidState) loses the message silently, like a
// datagram: its status change arrives with the next update. A full send
// buffer (LimitExceeded: about 438 messages of 1,200 bytes at Steam's
// default 512 KiB) is core.ErrSendBufferFull, for the caller to act on.
func send(l *Library, conn uint32, payload []byte) error {
	r := C.lys_send(l.c, C.uint32_t(conn), unsafe.Pointer(&payload[0]), C.uint32_t(len(payload)))
	switch r {
	case C.LYS_RESULT_OK, C.LYS_RESULT_NO_CONNECTION, C.LYS_RESULT_INVALID_STATE:
		return nil
	case C.LYS_RESULT_LIMIT_EXCEEDED:
		return core.ErrSendBufferFull
	}
	return fmt.Errorf("%w: EResult %d", ErrSendFailed, int(r))
}

// receive drains the poll group in batches, copying each payload into the
// event queue and releasing every message.
func (s *Server) receive() {
	l := s.lib
	for {
		n := int(C.lys_receive_on_poll_group(l.c, C.uint32_t(s.group), &s.msgs[0], receiveBatch))
		if n <= 0 {
			return
		}
		for _, m := range s.msgs[:n] {
			s.deliver(m)
		}
		C.lys_release_messages(l.c, &s.msgs[0], C.int(n))
		if n < receiveBatch {
			return
		}
	}
}

func (s *Server) deliver(m *C.lys_Message) {
	p := s.peers[uint32(m.conn)]
	if p == nil {
		s.stats.DroppedUnknownAddress++
		return
	}
	if !p.connected {
		// A message proves the connection is up even if its Connected
		// change comes later in this update.
		s.markConnected(p)
	}
	size := int(m.cbSize)
	if m.pData == nil || size < 1 || size > s.cfg.MaxPayload {
		// Payloads are 1..MaxPayload bytes; Steam carries empty messages
		// (with pData NULL) but no peer of ours sends them.
		s.stats.DroppedMalformed++
		p.stats.DroppedMalformed++
		return
	}
	payload := unsafe.Slice((*byte)(m.pData), size)
	if !s.events.Push(core.Event{Type: core.EventPayload, Client: core.SteamID(p.id), Payload: payload}) {
		s.stats.DroppedQueueFull++
		p.stats.DroppedQueueFull++
		return
	}
	n := uint64(size)
	s.stats.PacketsReceived++
	s.stats.BytesReceived += n
	p.stats.PacketsReceived++
	p.stats.BytesReceived += n
	p.lastRecv = s.now
}

// receive drains the connection in batches, like the server's poll group.
func (c *Client) receive() {
	l := c.lib
	for c.conn != 0 {
		n := int(C.lys_receive_on_connection(l.c, C.uint32_t(c.conn), &c.msgs[0], receiveBatch))
		if n <= 0 {
			return
		}
		for _, m := range c.msgs[:n] {
			c.deliver(m)
		}
		C.lys_release_messages(l.c, &c.msgs[0], C.int(n))
		if n < receiveBatch {
			return
		}
	}
}

func (c *Client) deliver(m *C.lys_Message) {
	size := int(m.cbSize)
	if m.pData == nil || size < 1 || size > c.cfg.MaxPayload {
		c.stats.DroppedMalformed++
		return
	}
	if !c.received.Push(core.Event{Type: core.EventPayload, Payload: unsafe.Slice((*byte)(m.pData), size)}) {
		c.stats.DroppedQueueFull++
		return
	}
	c.stats.PacketsReceived++
	c.stats.BytesReceived += uint64(size)
	c.lastRecv = c.now
}
