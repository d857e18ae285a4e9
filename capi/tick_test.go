package main

import (
	"net"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// An idle server's ticks, through the C entries as a C caller makes them,
// stay out of Go (tick.c: a server with no client is steady): of 1000
// ticks (update, poll_batch, flush) only the first update enters Go. A
// local client, or a datagram on the socket, takes the state back to Go
// at once: every update with a local client enters Go, and so does the
// one after a datagram arrives.
func TestQuietTicksStayInC(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the tick in C is Linux only")
	}
	var srv *cServer
	mustOK(t, "ly_server_create", ly__go_server_create(serverConfig("127.0.0.1:0"), &srv))
	defer ly__go_server_destroy(srv)
	mustOK(t, "ly_server_start", ly__go_server_start(srv))
	buf := make([]byte, 64)
	n := ly__go_server_address(srv, 0, cchars(buf), 64)
	if n <= 0 {
		t.Fatalf("ly_server_address: %d", n)
	}
	var evs [4]cEvent
	payload := make([]byte, 1500)
	tick := func() {
		t.Helper()
		if rc := cServerUpdate(srv, 1.0/60); rc != 0 {
			t.Fatalf("ly_server_update: %d", rc)
		}
		if rc := cServerPollBatch(srv, &evs[0], 4, cbuf(payload), uint32(len(payload))); rc < 0 {
			t.Fatalf("ly_server_poll_batch: %d", rc)
		}
		if rc := cServerFlush(srv); rc != 0 {
			t.Fatalf("ly_server_flush: %d", rc)
		}
	}
	// ticks runs k ticks and returns how many updates entered Go.
	ticks := func(k int) uint64 {
		t.Helper()
		g0, h0 := goServerUpdates.Load(), tickHits()
		for range k {
			tick()
		}
		g, h := goServerUpdates.Load()-g0, tickHits()-h0
		if g+h != uint64(k) {
			t.Fatalf("%d ticks: %d updates in Go and %d in C", k, g, h)
		}
		return g
	}
	if g := ticks(1000); g > 1 {
		t.Errorf("idle server: %d of 1000 updates entered Go, want at most 1", g)
	}

	var loc *cClient
	mustOK(t, "ly_server_connect_local", ly__go_server_connect_local(srv, 9, &loc))
	if g := ticks(50); g != 50 {
		t.Errorf("with a local client: %d of 50 updates entered Go, want all", g)
	}
	mustOK(t, "ly_client_destroy", ly__go_client_destroy(loc))
	if g := ticks(50); g > 2 { // the disconnect event, polled; then quiet
		t.Errorf("local client gone: %d of 50 updates entered Go, want at most 2", g)
	}
	if cServerNumConnected(srv) != 0 {
		t.Errorf("num_connected: %d", cServerNumConnected(srv))
	}

	conn, err := net.Dial("udp", string(buf[:n]))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for round := range 3 {
		if _, err := conn.Write([]byte{0xFF, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		var st cStats
		st.struct_size = cU32(unsafe.Sizeof(st))
		before := goServerUpdates.Load()
		// The datagram is on its way through loopback: the first update
		// that sees it readable enters Go and reads it.
		for i := 0; i < 1000 && goServerUpdates.Load() == before; i++ {
			tick()
			time.Sleep(100 * time.Microsecond)
		}
		mustOK(t, "ly_server_stats", ly__go_server_stats(srv, &st))
		if st.packets_received != cU64(round+1) {
			t.Fatalf("round %d: %d packets received", round, st.packets_received)
		}
		if g := ticks(100); g > 1 {
			t.Errorf("round %d: %d of 100 updates after the datagram entered Go, want at most 1", round, g)
		}
	}
}
