// Package eventq is the event FIFO the backends share: events whose
// payloads live in buffers the queue recycles, so steady-state traffic
// allocates nothing.
package eventq

import "github.com/lightyear-conn/lightyear_conn/core"

// Queue is a FIFO of events. A payload buffer is made only when more
// payloads are waiting than ever before. Payload events are refused beyond
// the limit; connection events are never lost.
//
// Unsafe for concurrent use.
type Queue struct {
	ring        []core.Event
	head, n     int
	payloads    int      // payload events queued
	maxPayloads int      // limit on payloads
	free        [][]byte // recycled payload buffers
	lent        []byte   // the buffer handed out by the last pop
}

// New returns a queue holding at most maxPayloads payload events.
func New(maxPayloads int) Queue {
	return Queue{ring: make([]core.Event, 16), maxPayloads: maxPayloads}
}

// Push copies ev, and its payload, into the queue, and reports whether
// it fit.
func (q *Queue) Push(ev core.Event) bool {
	if ev.Type == core.EventPayload {
		if q.payloads >= q.maxPayloads {
			return false
		}
		q.payloads++
		var buf []byte
		if n := len(q.free); n > 0 {
			buf, q.free = q.free[n-1], q.free[:n-1]
		} else {
			buf = make([]byte, 0, core.MaxPayload)
		}
		ev.Payload = append(buf[:0], ev.Payload...)
	} else {
		ev.Payload = nil
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)%len(q.ring)] = ev
	q.n++
	return true
}

func (q *Queue) grow() {
	next := make([]core.Event, 2*len(q.ring))
	for i := 0; i < q.n; i++ {
		next[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = next, 0
}

// Pop moves the oldest event into ev. Its payload stays valid until the
// next Pop or Clear.
func (q *Queue) Pop(ev *core.Event) bool {
	q.giveBack()
	if q.n == 0 {
		return false
	}
	slot := &q.ring[q.head]
	*ev = *slot
	*slot = core.Event{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	if ev.Type == core.EventPayload {
		q.payloads--
		q.lent = ev.Payload
	}
	return true
}

func (q *Queue) giveBack() {
	if q.lent != nil {
		q.free = append(q.free, q.lent)
		q.lent = nil
	}
}

// Len is the number of queued events.
func (q *Queue) Len() int { return q.n }

// Clear drops every queued event, keeping the buffers.
func (q *Queue) Clear() {
	var ev core.Event
	for q.Pop(&ev) {
	}
	q.giveBack()
}
