package transport

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkRoundTrip writes 100-byte datagrams and polls them back, one at a
// time and 32 per batch. ns/datagram is comparable across batch sizes.
func BenchmarkRoundTrip(b *testing.B) {
	impls := []struct {
		name   string
		listen func() listenFunc
		netUDP bool
	}{
		{"UDP", func() listenFunc { return listenUDPTransport }, netUDPTransport},
		{"Portable", func() listenFunc { return listenPortableTransport }, true},
		{"Mem", func() listenFunc {
			nw := NewMemNetwork()
			return func(a netip.AddrPort) (Transport, error) { return nw.Listen(a) }
		}, false},
	}
	for _, impl := range impls {
		for _, batch := range []int{1, 32} {
			name := impl.name + "/one"
			if batch > 1 {
				name = impl.name + "/batch32"
			}
			b.Run(name, func(b *testing.B) {
				if impl.netUDP {
					skipNetUDPUnderWine(b)
				}
				listen := impl.listen()
				x := listenT(b, listen, lo4)
				y := listenT(b, listen, lo4)
				benchRoundTrip(b, x, y, batch)
			})
		}
	}
}

func benchRoundTrip(b *testing.B, x, y Transport, batch int) {
	out := make([]Message, batch)
	for i := range out {
		out[i] = Message{Buf: pattern(i, 100), N: 100, Addr: y.LocalAddr()}
	}
	in := newMsgs(batch)
	b.ReportAllocs()
	b.SetBytes(int64(100 * batch))
	b.ResetTimer()
	for b.Loop() {
		if _, err := x.WriteBatch(out); err != nil {
			b.Fatal(err)
		}
		got := 0
		deadline := time.Now().Add(waitTimeout)
		for got < batch {
			n, err := y.ReadBatch(in[:batch-got])
			if err != nil {
				b.Fatal(err)
			}
			got += n
			if n == 0 {
				if time.Now().After(deadline) {
					b.Fatalf("lost datagrams: got %d of %d", got, batch)
				}
				idle()
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/datagram")
}
