package main

import (
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
