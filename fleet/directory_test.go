package fleet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lightyear-conn/lightyear_conn/internal/redistest"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// mustRegistrar(t)(NewRegistrar(...)) is the registrar or the end of the test.
func mustRegistrar(t *testing.T) func(*Registrar, error) *Registrar {
	return func(r *Registrar, err error) *Registrar {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func wantServers(t *testing.T, d *Directory, tag string, max int, want ...netip.AddrPort) {
	t.Helper()
	got, err := d.Servers(context.Background(), tag, max)
	if err != nil {
		t.Fatalf("Servers(%q, %d): %v", tag, max, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Servers(%q, %d) = %v, want %v", tag, max, got, want)
	}
}

func wantNone(t *testing.T, d *Directory, tag string) {
	t.Helper()
	got, err := d.Servers(context.Background(), tag, 32)
	if !errors.Is(err, tokenservice.ErrNoServers) {
		t.Fatalf("Servers(%q) = %v, %v; want ErrNoServers", tag, got, err)
	}
}

// TestDirectoryOrderTagsMax: three servers come back least loaded first,
// filtered by tag, cut at max; full servers are left out; an empty or
// full fleet is ErrNoServers; prefixes keep fleets apart.
func TestDirectoryOrderTagsMax(t *testing.T) {
	rdb := redistest.Start(t)
	ctx := context.Background()
	reg := mustRegistrar(t)(NewRegistrar(rdb, "test:", time.Minute))
	d := NewDirectory(rdb, "test:")
	wantNone(t, d, "")

	a, b, c := ap("127.0.0.1:41001"), ap("127.0.0.1:41002"), ap("127.0.0.1:41003")
	b6 := ap("[::1]:41002")
	for _, e := range []Entry{
		{ID: "a", Addresses: []netip.AddrPort{a}, Capacity: 10, Connected: 5, Tags: []string{"eu", "ranked"}},
		{ID: "b", Addresses: []netip.AddrPort{b, b6}, Capacity: 10, Connected: 1, Tags: []string{"eu"}},
		{ID: "c", Addresses: []netip.AddrPort{c}, Capacity: 4, Connected: 1, Tags: []string{"us", "ranked"}},
	} {
		if err := reg.Register(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Loads: b 10%, c 25%, a 50%.
	wantServers(t, d, "", 32, b, b6, c, a)
	wantServers(t, d, "", 3, b, b6, c)
	wantServers(t, d, "", 1, b)
	wantServers(t, d, "eu", 32, b, b6, a)
	wantServers(t, d, "ranked", 32, c, a)
	wantServers(t, d, "ranked", 1, c)
	wantNone(t, d, "asia")
	wantNone(t, NewDirectory(rdb, "other:"), "")

	// Heartbeats move the order: b fills up and drops out, c gets busier.
	if err := reg.Heartbeat(ctx, "b", 10); err != nil {
		t.Fatal(err)
	}
	if err := reg.Heartbeat(ctx, "c", 3); err != nil {
		t.Fatal(err)
	}
	wantServers(t, d, "", 32, a, c) // a 50%, c 75%
	if err := reg.Heartbeat(ctx, "a", 10); err != nil {
		t.Fatal(err)
	}
	if err := reg.Heartbeat(ctx, "c", 4); err != nil {
		t.Fatal(err)
	}
	wantNone(t, d, "")

	if err := reg.Deregister(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := reg.Heartbeat(ctx, "b", 0); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("heartbeat after deregister: %v", err)
	}
	if n, err := rdb.Exists(ctx, "test:server:b").Result(); err != nil || n != 0 {
		t.Fatalf("hash of b after deregister: %d, %v", n, err)
	}
}

// TestRegisterRefusesBadEntries: what a token could not use is refused
// before it reaches Redis.
func TestRegisterRefusesBadEntries(t *testing.T) {
	rdb := redistest.Start(t)
	reg := mustRegistrar(t)(NewRegistrar(rdb, "", time.Minute))
	for _, e := range []Entry{
		{Addresses: []netip.AddrPort{ap("127.0.0.1:1")}, Capacity: 1},
		{ID: "x", Capacity: 1},
		{ID: "x", Addresses: []netip.AddrPort{ap("127.0.0.1:1")}},
		{ID: "x", Addresses: []netip.AddrPort{ap("0.0.0.0:1")}, Capacity: 1},
		{ID: "x", Addresses: []netip.AddrPort{ap("127.0.0.1:0")}, Capacity: 1},
		{ID: "x", Addresses: []netip.AddrPort{ap("127.0.0.1:1")}, Capacity: 1, Connected: -1},
	} {
		if err := reg.Register(context.Background(), e); err == nil {
			t.Errorf("Register(%+v) accepted", e)
		}
	}
	if _, err := NewRegistrar(rdb, "", 0); err == nil {
		t.Error("zero TTL accepted")
	}
	wantNone(t, NewDirectory(rdb, ""), "")
}

// TestExpiry: a server that stops heartbeating is gone after its TTL
// while one that keeps heartbeating (Run) stays; a heartbeat after expiry
// says so, and Run registers again.
func TestExpiry(t *testing.T) {
	rdb := redistest.Start(t)
	ctx := context.Background()
	const ttl = time.Second
	reg := mustRegistrar(t)(NewRegistrar(rdb, "exp:", ttl))
	d := NewDirectory(rdb, "exp:")
	quiet, alive := ap("127.0.0.1:42001"), ap("127.0.0.1:42002")
	if err := reg.Register(ctx, Entry{ID: "quiet", Addresses: []netip.AddrPort{quiet}, Capacity: 8}); err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	wait := reg.Go(rctx, Entry{ID: "alive", Addresses: []netip.AddrPort{alive}, Capacity: 8}, func() int { return 4 }, nil)
	defer func() {
		stop()
		if err := wait(); err != nil {
			t.Error(err)
		}
	}()
	// Registration by Go is asynchronous.
	deadline := time.Now().Add(ttl / 2)
	for {
		got, _ := d.Servers(ctx, "", 32)
		if len(got) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet %v, want both servers", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantServers(t, d, "", 32, quiet, alive) // 0/8 before 4/8
	time.Sleep(ttl + 300*time.Millisecond)
	wantServers(t, d, "", 32, alive)
	if n, err := rdb.ZCard(ctx, "exp:servers").Result(); err != nil || n != 1 {
		t.Errorf("index holds %d members (%v), want the expired one trimmed", n, err)
	}
	if err := reg.Heartbeat(ctx, "quiet", 0); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("heartbeat after expiry: %v", err)
	}

	// An outage that outlives the TTL: Run puts the entry back.
	if err := reg.Deregister(ctx, "alive"); err != nil {
		t.Fatal(err)
	}
	wantNone(t, d, "")
	deadline = time.Now().Add(ttl)
	for {
		if got, _ := d.Servers(ctx, "", 32); slices.Equal(got, []netip.AddrPort{alive}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not register again")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Stopping Run deregisters at once rather than after the TTL.
	stop()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	wantNone(t, d, "")
}

// TestDirectoryRedisDown: an unreachable Redis is an error (the handler
// answers 503), not an empty success.
func TestDirectoryRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	down := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer down.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got, err := NewDirectory(down, "").Servers(ctx, "", 32)
	if err == nil {
		t.Fatalf("Servers with Redis down = %v, nil", got)
	}
}

// The token service takes a fleet Directory as its Directory.
var _ tokenservice.Directory = (*Directory)(nil)
