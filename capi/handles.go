package main

import (
	"sync"
)

// Handles are 64-bit values C sees as opaque pointers. They are looked up
// in a table, never dereferenced, so a NULL, stale or made-up handle is
// detected instead of crashing:
//
//	bits 63..48  0x4C59 ("LY"): makes every handle a non-canonical address
//	             on 64-bit machines, so it can never be real memory
//	bits 47..44  the kind (server, client)
//	bits 43..24  a generation, bumped each time a slot is reused
//	bits 23..0   the slot index
const (
	handleMagic = uint64(0x4C59) << 48
	kindShift   = 44
	genShift    = 24
	genMask     = 1<<20 - 1
	indexMask   = 1<<24 - 1
)

type handleKind uint64

const (
	kindServer handleKind = 1
	kindClient handleKind = 2
)

// entry is what a handle names. Its mutex serialises every call on the
// handle; dead is set under it when the handle is destroyed, so a call
// that looked the entry up just before the destroy sees it.
type entry struct {
	mu   sync.Mutex
	dead bool
	obj  any // *serverHandle or *clientHandle
}

type slot struct {
	gen uint64
	e   *entry
}

// table holds every live handle.
type table struct {
	mu    sync.RWMutex
	slots []slot
	free  []uint64
}

var handles table

func (t *table) add(kind handleKind, obj any) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var idx uint64
	if n := len(t.free); n > 0 {
		idx, t.free = t.free[n-1], t.free[:n-1]
	} else {
		idx = uint64(len(t.slots))
		t.slots = append(t.slots, slot{gen: 1})
	}
	s := &t.slots[idx]
	s.e = &entry{obj: obj}
	return handleMagic | uint64(kind)<<kindShift | (s.gen&genMask)<<genShift | idx
}

// lookup returns the entry a handle names, or nil.
func (t *table) lookup(kind handleKind, h uint64) *entry {
	if h&(0xFFFF<<48) != handleMagic || handleKind(h>>kindShift&0xF) != kind {
		return nil
	}
	idx := h & indexMask
	t.mu.RLock()
	defer t.mu.RUnlock()
	if idx >= uint64(len(t.slots)) {
		return nil
	}
	s := &t.slots[idx]
	if s.e == nil || s.gen&genMask != h>>genShift&genMask {
		return nil
	}
	return s.e
}

// acquire looks a handle up and locks its entry; the caller unlocks.
func (t *table) acquire(kind handleKind, h uint64) *entry {
	e := t.lookup(kind, h)
	if e == nil {
		return nil
	}
	e.mu.Lock()
	if e.dead {
		e.mu.Unlock()
		return nil
	}
	return e
}

// remove takes a handle out of the table and returns its entry, locked
// and marked dead, or nil if the handle was not live.
func (t *table) remove(kind handleKind, h uint64) *entry {
	e := t.lookup(kind, h)
	if e == nil {
		return nil
	}
	e.mu.Lock()
	if e.dead {
		e.mu.Unlock()
		return nil
	}
	e.dead = true
	t.mu.Lock()
	// removeAll may have emptied the slot meanwhile (and add reused it).
	if idx := h & indexMask; t.slots[idx].e == e {
		t.slots[idx].e = nil
		t.slots[idx].gen++
		t.free = append(t.free, idx)
	}
	t.mu.Unlock()
	return e
}

// removeAll empties the table and returns every entry, locked and dead.
func (t *table) removeAll() []*entry {
	t.mu.Lock()
	var live []*entry
	for i := range t.slots {
		if e := t.slots[i].e; e != nil {
			live = append(live, e)
			t.slots[i].e = nil
			t.slots[i].gen++
			t.free = append(t.free, uint64(i))
		}
	}
	t.mu.Unlock()
	out := live[:0]
	for _, e := range live {
		e.mu.Lock()
		if !e.dead {
			e.dead = true
			out = append(out, e)
		} else {
			e.mu.Unlock()
		}
	}
	return out
}

// each runs f on every live handle of a kind, each locked in turn.
func (t *table) each(kind handleKind, f func(obj any)) {
	t.mu.RLock()
	var es []*entry
	for _, s := range t.slots {
		if s.e != nil {
			es = append(es, s.e)
		}
	}
	t.mu.RUnlock()
	for _, e := range es {
		e.mu.Lock()
		if !e.dead {
			if _, ok := e.obj.(*serverHandle); ok == (kind == kindServer) {
				f(e.obj)
			}
		}
		e.mu.Unlock()
	}
}
