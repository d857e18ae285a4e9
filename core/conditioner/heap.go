package conditioner

import (
	"net/netip"
	"time"
)

// datagram is one datagram held in a delay line. buf is owned by the line
// until the datagram leaves it.
type datagram struct {
	buf       []byte
	n         int
	addr      netip.AddrPort
	truncated bool // read cut to buf (transport.Message.Truncated)
}

// entry is a datagram's place in the heap. It is small and pointer-free,
// so sifting moves 24 bytes and needs no GC write barriers, while the
// datagram stays put in its slot; with 80-byte elements, sifting was half
// the conditioner's cost per packet.
type entry struct {
	at   time.Duration // release time on the host's clock
	seq  uint64        // arrival order, to break ties in at
	slot uint32        // index in delayLine.slots
}

// before orders the line: earliest release first, and datagrams released
// at the same instant in the order they arrived, so a line without jitter
// or reordering is a FIFO.
func (e entry) before(o entry) bool {
	return e.at < o.at || (e.at == o.at && e.seq < o.seq)
}

// delayLine is a binary min-heap of entries over a table of slots. It is
// written out rather than built on container/heap, whose Push and Pop box
// every element in an interface and so allocate per packet. Its slices
// grow to the line's peak depth and are then reused.
type delayLine struct {
	heap  []entry
	slots []datagram
	free  []uint32 // unused indexes in slots
}

func (d *delayLine) len() int { return len(d.heap) }

// first returns the earliest entry; the line must not be empty.
func (d *delayLine) first() entry { return d.heap[0] }

func (d *delayLine) push(at time.Duration, seq uint64, dg datagram) {
	var slot uint32
	if k := len(d.free); k > 0 {
		slot = d.free[k-1]
		d.free = d.free[:k-1]
		d.slots[slot] = dg
	} else {
		slot = uint32(len(d.slots))
		d.slots = append(d.slots, dg)
	}
	e := entry{at: at, seq: seq, slot: slot}
	// Sift up, moving parents into the hole rather than swapping.
	h := append(d.heap, e)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !e.before(h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = e
	d.heap = h
}

// pop removes and returns the earliest datagram; the line must not be
// empty.
func (d *delayLine) pop() datagram {
	h := d.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	d.heap = h
	if len(h) > 0 {
		// Sift the last entry down from the root, children into the hole.
		i := 0
		for {
			c := 2*i + 1
			if c >= len(h) {
				break
			}
			if r := c + 1; r < len(h) && h[r].before(h[c]) {
				c = r
			}
			if !h[c].before(last) {
				break
			}
			h[i] = h[c]
			i = c
		}
		h[i] = last
	}
	dg := d.slots[top.slot]
	d.slots[top.slot] = datagram{} // drop the buffer reference
	d.free = append(d.free, top.slot)
	return dg
}

// reset empties the line and lets go of its memory; the caller has taken
// the buffers back, or lets them go too.
func (d *delayLine) reset() { *d = delayLine{} }
