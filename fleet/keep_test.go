package fleet

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/internal/redistest"
)

// TestKeepReportsAndRetries: against an unreachable Redis, Keep reports
// the failure and keeps trying instead of giving up; against a live one it
// registers, reports success, publishes the connected count, and
// deregisters when its context ends.
func TestKeepReportsAndRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	down, err := NewRedisClient(dead)
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	const ttl = 300 * time.Millisecond
	e := Entry{ID: "k1", Addresses: []netip.AddrPort{ap("127.0.0.1:42100")}, Capacity: 4}

	var mu sync.Mutex
	var reports []error
	report := func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() }
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	downReg := mustRegistrar(t)(NewRegistrar(down, "keep:", ttl))
	go func() { downReg.Keep(ctx, e, func() int { return 0 }, report); close(done) }()
	time.Sleep(ttl)
	stop()
	<-done
	mu.Lock()
	if len(reports) < 2 || slices.Contains(reports, nil) {
		t.Errorf("reports against a dead Redis: %v, want several failures", reports)
	}
	mu.Unlock()

	rdb := redistest.Start(t)
	reg := mustRegistrar(t)(NewRegistrar(rdb, "keep:", ttl))
	d := NewDirectory(rdb, "keep:")
	reports = nil
	ctx, stop = context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { reg.Keep(ctx, e, func() int { return 3 }, report); close(done) }()
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, err := live(context.Background(), rdb, newKeys("keep:"))
		if err == nil && len(got) == 1 && got[0].Connected == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry %v (%v), want k1 with 3 connected", got, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(ttl) // outlives the TTL: heartbeats keep it
	wantServers(t, d, "", 32, e.Addresses...)
	stop()
	<-done
	wantNone(t, d, "")
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 || slices.ContainsFunc(reports, func(err error) bool { return err != nil }) {
		t.Errorf("reports against a live Redis: %v, want only successes", reports)
	}
}
