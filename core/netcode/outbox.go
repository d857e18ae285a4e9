package netcode

import (
	"net/netip"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

const writeBatch = 64

// outbox gathers the datagrams a server sends on one socket so that they
// leave in batches (one sendmmsg on Linux).
type outbox struct {
	tr    transport.Transport // raw, or raw wrapped in a link conditioner
	raw   transport.Transport // the socket itself
	stats *core.Stats         // the server's: every datagram written is counted there
	msgs  [writeBatch]transport.Message
	bufs  [writeBatch][maxPacketSize]byte
	n     int
}

func newOutbox(tr transport.Transport, stats *core.Stats) *outbox {
	o := &outbox{tr: tr, raw: tr, stats: stats}
	for i := range o.msgs {
		o.msgs[i].Buf = o.bufs[i][:]
	}
	return o
}

// next returns the buffer for the next datagram to addr; commit queues it.
// A full outbox is flushed first, so next never fails.
func (o *outbox) next(addr netip.AddrPort) []byte {
	if o.n == writeBatch {
		o.flush()
	}
	o.msgs[o.n].Addr = addr
	return o.bufs[o.n][:]
}

// commit queues pkt, which must be the front of the buffer next returned.
func (o *outbox) commit(pkt []byte) {
	o.msgs[o.n].N = len(pkt)
	o.n++
}

// flush writes every queued datagram. A write error (a closed socket)
// loses the batch: UDP promises nothing, and the caller sees the socket's
// failure on its next read.
func (o *outbox) flush() {
	if o.n == 0 {
		return
	}
	sent, _ := o.tr.WriteBatch(o.msgs[:o.n])
	o.stats.PacketsSent += uint64(sent)
	for i := 0; i < sent; i++ {
		o.stats.BytesSent += uint64(o.msgs[i].N)
	}
	o.n = 0
}

// drain releases at once what a link conditioner holds for tr (nothing
// for a bare socket): the last packets before a socket closes.
func drain(tr transport.Transport) {
	if d, ok := tr.(interface{ Drain() error }); ok {
		d.Drain()
	}
}
