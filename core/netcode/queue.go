package netcode

import "github.com/lightyear-conn/lightyear_conn/core"

// eventQueue is a ring of events whose payloads live in buffers the queue
// owns, so that steady-state traffic allocates nothing. Payload events are
// refused when the ring is full; connection events are never lost (the
// ring grows for them).
type eventQueue struct {
	slots []queued
	head  int
	n     int
}

type queued struct {
	ev  core.Event
	buf []byte
}

func newEventQueue(capacity int) eventQueue {
	return eventQueue{slots: make([]queued, capacity)}
}

// push copies ev (and its payload) into the queue.
func (q *eventQueue) push(ev core.Event) bool {
	if q.n == len(q.slots) {
		if ev.Type == core.EventPayload {
			return false
		}
		q.grow()
	}
	s := &q.slots[(q.head+q.n)%len(q.slots)]
	s.ev = ev
	if ev.Type == core.EventPayload {
		if cap(s.buf) < len(ev.Payload) {
			s.buf = make([]byte, 0, MaxPayloadSize)
		}
		s.buf = append(s.buf[:0], ev.Payload...)
		s.ev.Payload = s.buf
	} else {
		s.ev.Payload = nil
	}
	q.n++
	return true
}

func (q *eventQueue) grow() {
	next := make([]queued, 2*len(q.slots)+1)
	for i := 0; i < q.n; i++ {
		next[i] = q.slots[(q.head+i)%len(q.slots)]
	}
	q.slots, q.head = next, 0
}

// pop moves the oldest event into ev. Its payload stays valid until the
// slot is written again, which only a later push can do.
func (q *eventQueue) pop(ev *core.Event) bool {
	if q.n == 0 {
		return false
	}
	*ev = q.slots[q.head].ev
	q.head = (q.head + 1) % len(q.slots)
	q.n--
	return true
}

func (q *eventQueue) len() int { return q.n }

func (q *eventQueue) clear() {
	q.head, q.n = 0, 0
}
