//go:build unix

package web_test

import (
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web"
)

// BenchmarkEcho is one 100-byte payload to the server and back over each
// transport on loopback, client and server in this process, 32 in flight:
// the cost per payload of WebSocket and WebTransport against UDP.
// cpu-ns/payload is the process's CPU time (user and system: both ends,
// the kernel's share, the libraries and the waiting loop); allocs/op
// includes the libraries'. UDP or WebTransport may lose a payload under
// load: the benchmark then stops with an error.
func BenchmarkEcho(b *testing.B) {
	for _, kind := range []string{"udp", "ws", "wt"} {
		b.Run(kind, func(b *testing.B) {
			r := newRig(b, web.Options{})
			var addr netip.AddrPort
			var dial func(netip.AddrPort) (transport.Transport, error)
			switch kind {
			case "udp":
				addr = r.udp
			case "ws":
				addr, dial = r.addrOf(r.ws), dialWS
			case "wt":
				addr, dial = r.addrOf(r.wt), dialWT(r.wt)
			}
			c, id := r.client(addr, dial)
			r.connect(c)
			p := make([]byte, 100)
			var ev core.Event
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			// 32 payloads in flight: a throughput, not a round-trip latency.
			sent, got := 0, 0
			last, progress := 0, time.Now()
			for got < b.N {
				if got != last {
					last, progress = got, time.Now()
				} else if time.Since(progress) > 5*time.Second {
					b.Fatalf("stuck at %d of %d echoes: a payload was lost", got, b.N)
				}
				for ; sent < b.N && sent-got < 32; sent++ {
					if err := c.Send(p); err != nil {
						b.Fatal(err)
					}
				}
				r.srv.Update(0)
				for r.srv.PollEvent(&ev) {
					if ev.Type == core.EventPayload {
						r.srv.Send(core.NetcodeID(id), ev.Payload)
					}
				}
				c.Update(0)
				n := got
				for _, ok := c.Receive(); ok; _, ok = c.Receive() {
					got++
				}
				if got == n {
					// Sleep rather than spin: a spinning goroutine keeps
					// the scheduler from polling the network promptly,
					// which the transports' goroutines wait on.
					time.Sleep(20 * time.Microsecond)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/payload")
		})
	}
}

// cpuTime is the process's user and system CPU time in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
