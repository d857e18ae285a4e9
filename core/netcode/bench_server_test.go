package netcode

import (
	"fmt"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// benchTick is the simulated time one tick covers in the steady-state
// benchmark: every client sends and is echoed every tick, so neither side
// owes a keep-alive and nobody times out.
const benchTick = 10 * time.Millisecond

// memServer starts a server for maxClients on the in-memory network and
// connects n clients to it, confirmed (each has sent a keep-alive), with
// every event taken. Clients connect in groups so that no handshake
// datagram overflows the server's 4,096-datagram queue.
func memServer(b *testing.B, maxClients, n int) (*rig, *Server) {
	b.Helper()
	r, _ := newMemRig(b)
	s := r.startServer(r.serverConfig(maxClients))
	const group = 512
	for first := 0; first < n; first += group {
		last := min(first+group, n)
		for id := first; id < last; id++ {
			r.connect(uint64(id+1), s)
		}
		r.until(10*time.Second, fmt.Sprintf("%d clients connected", last), func() bool {
			return s.NumConnected() == last && allConnected(r.clients)
		})
		r.takeEvents()
	}
	r.step(200 * time.Millisecond) // every client sends a keep-alive: confirmed
	r.takeEvents()
	if s.NumConnected() != n {
		b.Fatalf("%d connected, want %d", s.NumConnected(), n)
	}
	return r, s
}

// BenchmarkServerUpdate is a busy server's steady state on the in-memory
// network: each tick every connected client sends one 100-byte payload;
// the server's Update reads and decrypts them all; the game drains
// PollEvent and echoes each payload with Send; the clients read their
// echoes.
//
// ns/op and allocs/op cover the whole tick, the clients' work included.
// The server's share is timed on its own and reported as
//
//	server-ns/update  Update plus the PollEvent/Send echo loop, per tick
//	server-ns/pkt     that divided by the payloads the server received
func BenchmarkServerUpdate(b *testing.B) {
	for _, n := range []int{1, 256, 4096} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			r, s := memServer(b, n, n)
			payload := make([]byte, 100)
			var ev core.Event
			var server time.Duration
			var packets int
			tick := func() {
				for _, c := range r.clients {
					if err := c.Send(payload); err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				if err := s.Update(benchTick); err != nil {
					b.Fatal(err)
				}
				for s.PollEvent(&ev) {
					if ev.Type != core.EventPayload {
						b.Fatalf("unexpected %v event", ev.Type)
					}
					packets++
					if err := s.Send(ev.Client, ev.Payload); err != nil {
						b.Fatal(err)
					}
				}
				server += time.Since(start)
				for _, c := range r.clients {
					if err := c.Update(benchTick); err != nil {
						b.Fatal(err)
					}
					for {
						if _, ok := c.Receive(); !ok {
							break
						}
					}
				}
			}
			// Warm up: queues and buffer pools grow to their peak once.
			for range 3 {
				tick()
			}
			server, packets = 0, 0
			b.ReportAllocs()
			for b.Loop() {
				tick()
			}
			if want := b.N * n; packets != want {
				b.Fatalf("server got %d payloads, want %d (dropped: %+v)", packets, want, s.Stats())
			}
			b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-ns/update")
			b.ReportMetric(float64(server.Nanoseconds())/float64(packets), "server-ns/pkt")
		})
	}
}

// BenchmarkServerUpdateIdle is a tick with nothing arriving (dt 0, so no
// keep-alive falls due): the fixed cost a game pays every frame. It must
// follow the clients connected, not MaxClients: max=4096,connected=1
// costs what max=4,connected=1 does.
func BenchmarkServerUpdateIdle(b *testing.B) {
	for _, c := range []struct{ max, connected int }{
		{4, 0}, {4, 1}, {4096, 0}, {4096, 1}, {4096, 256}, {4096, 4096},
	} {
		b.Run(fmt.Sprintf("max=%d,connected=%d", c.max, c.connected), func(b *testing.B) {
			_, s := memServer(b, c.max, c.connected)
			var ev core.Event
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Update(0); err != nil {
					b.Fatal(err)
				}
				if s.PollEvent(&ev) {
					b.Fatalf("unexpected %v event", ev.Type)
				}
			}
		})
	}
}
