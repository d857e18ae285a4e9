package main

import (
	"sync"
	"sync/atomic"
)

// Handles are 64-bit values C sees as opaque pointers. They are looked up
// in a table, never dereferenced, so a NULL, stale or made-up handle is
// detected instead of crashing:
//
//	bits 63..48  0x4C59 ("LY"): makes every handle a non-canonical address
//	             on 64-bit machines, so it can never be real memory
//	bits 47..44  the kind (server, client)
//	bits 43..20  a generation (1..2^24-1), bumped each time a slot is reused
//	bits 19..0   the slot index: at most 2^20 (1,048,576) handles live
//
// A handle value is never made twice in the life of the process, so a
// stale handle can never name a newer object:
//   - a slot whose generation would wrap is retired, never reused;
//   - freed slots are reused first-in first-out, and (until all 2^20 slots
//     exist) only while more than reuseDistance slots are free, so between
//     two handles of one slot at least reuseDistance other handles are
//     destroyed. A slot retires after 2^24-1 handles, that is after at
//     least 2^34 destroys in all; the table runs out after about 2^44
//     (17.6 million million) handles, over two years of creating and
//     destroying 200,000 handles a second.
//
// (Before: a 20-bit generation and last-in first-out reuse, so 2^20
// create/destroy cycles gave a new handle a destroyed one's exact value.)
const (
	handleMagic = uint64(0x4C59) << 48
	kindShift   = 44
	genShift    = 20
	genMask     = 1<<24 - 1
	indexMask   = 1<<20 - 1
)

// reuseDistance is how many free slots the table keeps back before it
// reuses one: memory for about a thousand slots (16 bytes each, plus
// chunk pointers) buys a thousandfold spread of reuse.
const reuseDistance = 1024

type handleKind uint64

const (
	kindServer handleKind = 1
	kindClient handleKind = 2
	// kindTokenRequest: a ly_token_request* (fetch.go).
	kindTokenRequest handleKind = 3
)

// entry is what a handle names. Its mutex serialises every call on the
// handle; dead is set under it when the handle is destroyed, so a call
// that looked the entry up just before the destroy sees it.
type entry struct {
	mu   sync.Mutex
	dead bool
	obj  any    // *serverHandle, *clientHandle or *tokenRequest
	h    uint64 // the handle naming it; never changes
}

// The slots live in chunks that never move once made; a copy-on-write
// directory of chunk pointers is published atomically, so a lookup takes
// no lock: one atomic load of the directory, one of the slot, and a
// compare of the whole handle (kind, generation and index) with the one
// the entry was made for.
const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

type chunk [chunkSize]atomic.Pointer[entry]

// table holds every live handle. Readers (lookup) take no lock; writers
// (add, remove, removeAll, each) are serialised by mu.
type table struct {
	dir  atomic.Pointer[[]*chunk] // published directory; grows only
	mu   sync.Mutex               // guards every field below
	n    uint64                   // slots handed out so far
	gens []uint64                 // per slot: the generation of its next (or current) entry
	// free holds the free slot indices, oldest first: add takes from the
	// front, release appends. Popping the front of a slice keeps the
	// array; append copies only the live part when it grows, so the
	// memory stays proportional to the queue.
	free []uint64
	// keep is how many free slots add leaves in the queue before reusing
	// one (reuseDistance for the package's table; the tests' own tables
	// use 0, plain first-in first-out).
	keep int
}

var handles = table{keep: reuseDistance}

// slot returns the slot at idx in the published directory, or nil.
func (t *table) slot(idx uint64) *atomic.Pointer[entry] {
	d := t.dir.Load()
	if d == nil {
		return nil
	}
	ci := idx >> chunkBits
	if ci >= uint64(len(*d)) {
		return nil
	}
	return &(*d)[ci][idx&chunkMask]
}

// add makes a handle naming obj, or returns 0 when every slot is live or
// retired.
func (t *table) add(kind handleKind, obj any) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var idx uint64
	switch {
	case len(t.free) > t.keep, len(t.free) > 0 && t.n > indexMask:
		// The oldest free slot; the newest t.keep wait for later, unless
		// no new slot can be made.
		idx, t.free = t.free[0], t.free[1:]
	case t.n <= indexMask:
		idx = t.n
		t.n++
		t.gens = append(t.gens, 1)
		if idx&chunkMask == 0 { // first slot of a new chunk: publish a bigger directory
			var old []*chunk
			if d := t.dir.Load(); d != nil {
				old = *d
			}
			grown := make([]*chunk, len(old)+1)
			copy(grown, old)
			grown[len(old)] = new(chunk)
			t.dir.Store(&grown)
		}
	default:
		return 0
	}
	h := handleMagic | uint64(kind)<<kindShift | t.gens[idx]<<genShift | idx
	// The entry is complete before the store publishes it.
	t.slot(idx).Store(&entry{obj: obj, h: h})
	return h
}

// release empties slot idx and bumps its generation; t.mu is held. A slot
// whose generation would wrap is retired: left empty and never queued, so
// no handle value repeats.
func (t *table) release(idx uint64) {
	t.slot(idx).Store(nil)
	t.gens[idx]++
	if t.gens[idx] <= genMask {
		t.free = append(t.free, idx)
	}
}

// lookup returns the entry a handle names, or nil. It takes no lock.
func (t *table) lookup(kind handleKind, h uint64) *entry {
	if h&(0xFFFF<<48) != handleMagic || handleKind(h>>kindShift&0xF) != kind {
		return nil
	}
	s := t.slot(h & indexMask)
	if s == nil {
		return nil
	}
	// A slot only ever holds the entry made for its current generation,
	// so comparing the whole handle rejects stale and made-up ones.
	if e := s.Load(); e != nil && e.h == h {
		return e
	}
	return nil
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
	idx := h & indexMask
	if t.slot(idx).Load() == e {
		t.release(idx)
	}
	t.mu.Unlock()
	return e
}

// removeAll empties the table and returns every entry, locked and dead.
func (t *table) removeAll() []*entry {
	t.mu.Lock()
	var live []*entry
	for i := uint64(0); i < t.n; i++ {
		if e := t.slot(i).Load(); e != nil {
			live = append(live, e)
			t.release(i)
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
	t.mu.Lock()
	var es []*entry
	for i := uint64(0); i < t.n; i++ {
		if e := t.slot(i).Load(); e != nil {
			es = append(es, e)
		}
	}
	t.mu.Unlock()
	for _, e := range es {
		func() {
			e.mu.Lock()
			defer e.mu.Unlock() // f may panic: never leave a handle locked
			if !e.dead && handleKind(e.h>>kindShift&0xF) == kind {
				f(e.obj)
			}
		}()
	}
}
