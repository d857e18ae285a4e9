package main

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// These tests use tables of their own, never the package's handles.

func TestHandleTableBasics(t *testing.T) {
	var tb table
	if tb.lookup(kindServer, 0) != nil || tb.lookup(kindServer, handleMagic|1<<kindShift|1<<genShift) != nil {
		t.Fatal("empty table found a handle")
	}
	srv := &serverHandle{}
	h := tb.add(kindServer, srv)
	if h>>48 != 0x4C59 {
		t.Fatalf("handle %#x lacks the magic", h)
	}
	if e := tb.acquire(kindServer, h); e == nil || e.obj != srv {
		t.Fatal("acquire of a live handle failed")
	} else {
		e.mu.Unlock()
	}
	if tb.lookup(kindClient, h) != nil {
		t.Fatal("server handle found as a client")
	}
	for _, bad := range []uint64{h ^ 1<<genShift, h + 1, h &^ (0xFFFF << 48), h | indexMask} {
		if tb.lookup(kindServer, bad) != nil {
			t.Fatalf("made-up handle %#x found", bad)
		}
	}
	e := tb.remove(kindServer, h)
	if e == nil || !e.dead {
		t.Fatal("remove did not return the dead entry")
	}
	e.mu.Unlock()
	if tb.remove(kindServer, h) != nil || tb.acquire(kindServer, h) != nil {
		t.Fatal("destroyed handle still works")
	}
	// The slot is reused with a new generation: the old handle stays dead.
	h2 := tb.add(kindClient, &clientHandle{})
	if h2&indexMask != h&indexMask || h2 == h {
		t.Fatalf("slot not reused with a new generation: %#x then %#x", h, h2)
	}
	if tb.acquire(kindServer, h) != nil {
		t.Fatal("stale handle names the slot's new entry")
	}
	if e := tb.acquire(kindClient, h2); e == nil {
		t.Fatal("new handle not found")
	} else {
		e.mu.Unlock()
	}
}

// Many handles, across several chunks of the directory, and removeAll.
func TestHandleTableGrowAndRemoveAll(t *testing.T) {
	var tb table
	const n = 3*chunkSize + 7
	hs := make([]uint64, n)
	for i := range hs {
		k := kindServer
		var obj any = &serverHandle{}
		if i%2 == 1 {
			k, obj = kindClient, &clientHandle{}
		}
		hs[i] = tb.add(k, obj)
	}
	for i, h := range hs {
		k := kindServer
		if i%2 == 1 {
			k = kindClient
		}
		if tb.lookup(k, h) == nil {
			t.Fatalf("handle %d lost", i)
		}
	}
	var servers int
	tb.each(kindServer, func(obj any) {
		if _, ok := obj.(*serverHandle); !ok {
			t.Fatalf("each(kindServer) gave %T", obj)
		}
		servers++
	})
	if servers != (n+1)/2 {
		t.Fatalf("each saw %d servers, want %d", servers, (n+1)/2)
	}
	e := tb.remove(kindServer, hs[0])
	e.mu.Unlock()
	all := tb.removeAll()
	if len(all) != n-1 {
		t.Fatalf("removeAll returned %d entries, want %d", len(all), n-1)
	}
	for _, e := range all {
		if !e.dead {
			t.Fatal("removeAll returned a live entry")
		}
		e.mu.Unlock()
	}
	for i, h := range hs {
		if tb.lookup(kindServer, h) != nil || tb.lookup(kindClient, h) != nil {
			t.Fatalf("handle %d survived removeAll", i)
		}
	}
	if h := tb.add(kindServer, &serverHandle{}); tb.lookup(kindServer, h) == nil {
		t.Fatal("table unusable after removeAll")
	}
}

// One slot made and destroyed more than 2^20+1 times (the old generation
// limit, after which LIFO reuse gave a destroyed handle's exact value to a
// new one): no value repeats, and every stale handle stays dead. keep is
// 0 so that every cycle reuses the same slot, the worst case.
func TestHandleSlotPastOldLimit(t *testing.T) {
	var tb table
	const cycles = 1<<20 + 2
	seen := make([]uint64, 0, cycles)
	var prev uint64
	for i := 0; i < cycles; i++ {
		h := tb.add(kindServer, &serverHandle{})
		if h == 0 || h&indexMask != 0 {
			t.Fatalf("cycle %d: handle %#x, want one in slot 0", i, h)
		}
		if prev != 0 && tb.lookup(kindServer, prev) != nil {
			t.Fatalf("cycle %d: stale handle %#x names the slot's new entry %#x", i, prev, h)
		}
		e := tb.remove(kindServer, h)
		if e == nil {
			t.Fatalf("cycle %d: remove of a live handle failed", i)
		}
		e.mu.Unlock()
		seen = append(seen, h)
		prev = h
	}
	slices.Sort(seen)
	if i := len(slices.Compact(seen)); i != cycles {
		t.Fatalf("%d distinct handle values in %d cycles", i, cycles)
	}
	for _, h := range seen {
		if tb.lookup(kindServer, h) != nil || tb.remove(kindServer, h) != nil {
			t.Fatalf("destroyed handle %#x still found", h)
		}
	}
}

// Freed slots are reused oldest first, and only while more than keep of
// them are free.
func TestHandleTableFIFO(t *testing.T) {
	tb := table{keep: 4}
	var hs []uint64
	for i := 0; i < 8; i++ {
		hs = append(hs, tb.add(kindClient, &clientHandle{}))
	}
	free := func(slot int) {
		t.Helper()
		e := tb.remove(kindClient, hs[slot])
		if e == nil {
			t.Fatalf("remove of slot %d failed", slot)
		}
		e.mu.Unlock()
	}
	addIn := func(want uint64) {
		t.Helper()
		h := tb.add(kindClient, &clientHandle{})
		if h&indexMask != want {
			t.Fatalf("add used slot %d, want %d", h&indexMask, want)
		}
		hs = append(hs, h)
	}
	for _, slot := range []int{6, 2, 7, 0} {
		free(slot)
	}
	addIn(8) // only keep slots free: a new one
	free(5)
	addIn(6) // five free: the oldest
	addIn(9) // four again
	free(1)
	addIn(2)
	free(3)
	addIn(7)
	addIn(10)

	// Plain FIFO (keep 0): the order of the frees.
	var fifo table
	hs = hs[:0]
	for i := 0; i < 5; i++ {
		hs = append(hs, fifo.add(kindServer, &serverHandle{}))
	}
	order := []uint64{3, 1, 4, 0, 2}
	for _, slot := range order {
		e := fifo.remove(kindServer, hs[slot])
		e.mu.Unlock()
	}
	for _, want := range order {
		if h := fifo.add(kindServer, &serverHandle{}); h&indexMask != want {
			t.Fatalf("FIFO add used slot %d, want %d", h&indexMask, want)
		}
	}
}

// With the package's setting, a single create/destroy loop spreads over
// reuseDistance+1 slots, and each slot comes back only after
// reuseDistance other handles were destroyed.
func TestHandleReuseDistance(t *testing.T) {
	tb := table{keep: reuseDistance}
	lastUse := map[uint64]int{} // slot: cycle of its last handle
	for i := 0; i < 5*reuseDistance; i++ {
		h := tb.add(kindClient, &clientHandle{})
		slot := h & indexMask
		if last, ok := lastUse[slot]; ok && i-last <= reuseDistance {
			t.Fatalf("slot %d reused after %d cycles, want more than %d", slot, i-last, reuseDistance)
		}
		lastUse[slot] = i
		e := tb.remove(kindClient, h)
		e.mu.Unlock()
	}
	if tb.n != reuseDistance+1 {
		t.Fatalf("%d slots made, want %d", tb.n, reuseDistance+1)
	}
}

// A slot whose generation would wrap is retired: never reused, so its
// last handle cannot come back either.
func TestHandleSlotRetires(t *testing.T) {
	var tb table
	e := tb.remove(kindServer, tb.add(kindServer, &serverHandle{}))
	e.mu.Unlock()
	tb.gens[0] = genMask - 1 // as if the slot had been used 2^24-3 times
	var last []uint64
	for i := 0; i < 2; i++ {
		h := tb.add(kindServer, &serverHandle{})
		if h&indexMask != 0 {
			t.Fatalf("slot %d used, want 0", h&indexMask)
		}
		last = append(last, h)
		e := tb.remove(kindServer, h)
		e.mu.Unlock()
	}
	if g := last[1] >> genShift & genMask; g != genMask {
		t.Fatalf("last generation %#x, want %#x", g, genMask)
	}
	for i := 0; i < 3; i++ {
		h := tb.add(kindServer, &serverHandle{})
		if h&indexMask == 0 {
			t.Fatalf("retired slot 0 reused: %#x", h)
		}
		e := tb.remove(kindServer, h)
		e.mu.Unlock()
	}
	for _, h := range last {
		if tb.lookup(kindServer, h) != nil {
			t.Fatalf("stale handle %#x found", h)
		}
	}
	if slices.Contains(tb.free, 0) {
		t.Fatal("retired slot 0 is queued")
	}
}

// A full table refuses with 0 (the exports turn it into LY_ERR_INTERNAL),
// and reuses a free slot even below keep once no new slot can be made.
func TestHandleTableFull(t *testing.T) {
	tb := table{keep: reuseDistance}
	h := tb.add(kindClient, &clientHandle{})
	tb.add(kindClient, &clientHandle{})
	e := tb.remove(kindClient, h)
	e.mu.Unlock()
	tb.n = indexMask + 1 // pretend every slot was made
	if h2 := tb.add(kindClient, &clientHandle{}); h2 == 0 || h2&indexMask != h&indexMask || h2 == h {
		t.Fatalf("free slot not reused when the table is full: %#x after %#x", h2, h)
	}
	if h3 := tb.add(kindClient, &clientHandle{}); h3 != 0 {
		t.Fatalf("full table made handle %#x", h3)
	}
}

// The lookup every export pays allocates nothing.
func TestHandleAcquireAllocs(t *testing.T) {
	tb := table{keep: reuseDistance}
	h := tb.add(kindServer, &serverHandle{})
	if n := testing.AllocsPerRun(100, func() {
		e := tb.acquire(kindServer, h)
		e.mu.Unlock()
	}); n != 0 {
		t.Fatalf("acquire allocates %v times", n)
	}
}

// Through the exports: a destroyed server's handle cannot reach the
// server that later gets its slot (what aliased before).
func TestStaleServerHandleThroughExports(t *testing.T) {
	// More free slots queued than reuseDistance, as a test that destroys
	// many handles at once leaves them.
	burst := make([]*cServer, 3*reuseDistance)
	for i := range burst {
		mustOK(t, "ly_server_create", ly__go_server_create(serverConfig(""), &burst[i]))
	}
	for _, s := range burst {
		mustOK(t, "ly_server_destroy", ly__go_server_destroy(s))
	}
	var old *cServer
	mustOK(t, "ly_server_create", ly__go_server_create(serverConfig(""), &old))
	slot := serverBits(old) & indexMask
	mustOK(t, "ly_server_destroy", ly__go_server_destroy(old))
	// The package's table is shared with every other test, which may have
	// left any number of free slots queued; old's slot is the last. Each
	// create below is destroyed at once, so the queue grows to
	// reuseDistance+1 and then the oldest is reused: old's slot comes back
	// at create max(reuseDistance, queued-1)+1, whatever ran before.
	handles.mu.Lock()
	queued := len(handles.free)
	handles.mu.Unlock()
	limit := max(reuseDistance, queued-1)
	seen := map[uint64]bool{serverBits(old): true}
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("slot %d not reused in %d creates (%d free slots were queued)", slot, i, queued)
		}
		var s *cServer
		mustOK(t, "ly_server_create", ly__go_server_create(serverConfig(""), &s))
		if seen[serverBits(s)] {
			t.Fatalf("handle %#x made twice", serverBits(s))
		}
		seen[serverBits(s)] = true
		if serverBits(s)&indexMask != slot {
			mustOK(t, "ly_server_destroy", ly__go_server_destroy(s))
			continue
		}
		if rc := ly__go_server_start(old); rc != errInvalidHandle {
			t.Fatalf("ly_server_start(stale) = %d", rc)
		}
		if rc := ly__go_server_destroy(old); rc != errInvalidHandle {
			t.Fatalf("ly_server_destroy(stale) = %d", rc)
		}
		if rc := ly__go_server_running(s); rc != 0 {
			t.Fatalf("new server touched through the stale handle: running = %d", rc)
		}
		mustOK(t, "ly_server_destroy", ly__go_server_destroy(s))
		return
	}
}

// Concurrent acquire, remove, add and removeAll: every acquire that
// succeeds gets a live entry of its own handle, each handle is removed at
// most once, and nothing races (run with -race).
func TestHandleTableConcurrent(t *testing.T) {
	var tb table
	var stop atomic.Bool
	var readers, writers sync.WaitGroup
	type obj struct{ h atomic.Uint64 }
	var published [64]atomic.Uint64
	for i := range published {
		o := &obj{}
		h := tb.add(kindServer, o)
		o.h.Store(h)
		published[i].Store(h)
	}
	var removed sync.Map
	for w := 0; w < 4; w++ {
		readers.Add(1)
		go func(w int) {
			defer readers.Done()
			for i := w; !stop.Load(); i++ {
				h := published[i%len(published)].Load()
				if e := tb.acquire(kindServer, h); e != nil {
					if e.dead || e.obj.(*obj).h.Load() != h {
						t.Error("acquire returned a dead or foreign entry")
					}
					e.mu.Unlock()
				}
			}
		}(w)
	}
	for w := 0; w < 2; w++ {
		writers.Add(1)
		go func(w int) {
			defer writers.Done()
			for i := 0; i < 20000; i++ {
				slot := &published[(i*7+w)%len(published)]
				h := slot.Load()
				if e := tb.remove(kindServer, h); e != nil {
					if _, dup := removed.LoadOrStore(h, true); dup {
						t.Error("handle removed twice")
					}
					e.obj = nil
					e.mu.Unlock()
					o := &obj{}
					nh := tb.add(kindServer, o)
					o.h.Store(nh)
					slot.CompareAndSwap(h, nh)
				}
				if i%5000 == 4999 && w == 0 {
					for _, e := range tb.removeAll() {
						h := e.h
						if _, dup := removed.LoadOrStore(h, true); dup {
							t.Error("handle removed twice (removeAll)")
						}
						e.mu.Unlock()
					}
				}
			}
		}(w)
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
}

// BenchmarkHandleAcquire: the lock-free lookup plus the entry's mutex,
// what every export pays before its work.
func BenchmarkHandleAcquire(b *testing.B) {
	var tb table
	for i := 0; i < 100; i++ {
		tb.add(kindClient, &clientHandle{})
	}
	h := tb.add(kindServer, &serverHandle{})
	b.ReportAllocs()
	for b.Loop() {
		e := tb.acquire(kindServer, h)
		e.mu.Unlock()
	}
}

// BenchmarkHandleAcquireParallel: goroutines calling on handles of their
// own, as threads driving different servers do: no shared lock, no
// shared cache line written.
func BenchmarkHandleAcquireParallel(b *testing.B) {
	var tb table
	var next atomic.Int64
	hs := make([]uint64, 64)
	for i := range hs {
		hs[i] = tb.add(kindServer, &serverHandle{})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		h := hs[next.Add(1)%int64(len(hs))]
		for pb.Next() {
			e := tb.acquire(kindServer, h)
			e.mu.Unlock()
		}
	})
}

// What the exports' shape costs on top of acquire: `defer recoverPanic`
// (a recover on every return) and `defer e.mu.Unlock()`, against the same
// calls made directly.
func recoverLike(rc *int) {
	if r := recover(); r != nil {
		*rc = -12
	}
}

//go:noinline
func exportWithDefers(tb *table, h uint64) (rc int) {
	defer recoverLike(&rc)
	e := tb.acquire(kindServer, h)
	if e == nil {
		return -1
	}
	defer e.mu.Unlock()
	return 1
}

//go:noinline
func exportRecoverOnly(tb *table, h uint64) (rc int) {
	defer recoverLike(&rc)
	e := tb.acquire(kindServer, h)
	if e == nil {
		return -1
	}
	rc = 1
	e.mu.Unlock()
	return rc
}

//go:noinline
func exportUnlockOnly(tb *table, h uint64) (rc int) {
	e := tb.acquire(kindServer, h)
	if e == nil {
		return -1
	}
	defer e.mu.Unlock()
	return 1
}

//go:noinline
func exportWithoutDefers(tb *table, h uint64) (rc int) {
	e := tb.acquire(kindServer, h)
	if e == nil {
		return -1
	}
	rc = 1
	e.mu.Unlock()
	return rc
}

func BenchmarkExportShape(b *testing.B) {
	var tb table
	h := tb.add(kindServer, &serverHandle{})
	b.Run("defers", func(b *testing.B) {
		for b.Loop() {
			exportWithDefers(&tb, h)
		}
	})
	b.Run("recover-only", func(b *testing.B) {
		for b.Loop() {
			exportRecoverOnly(&tb, h)
		}
	})
	b.Run("unlock-only", func(b *testing.B) {
		for b.Loop() {
			exportUnlockOnly(&tb, h)
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			exportWithoutDefers(&tb, h)
		}
	})
}
