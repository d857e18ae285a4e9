// Package transport moves datagrams for the connection backends.
//
// A Transport is a non-blocking, batch-capable datagram socket. The backends
// call it only from their Update, so that time stays host-driven and no
// goroutine touches protocol state: ReadBatch returns what has already
// arrived and never waits.
package transport

import (
	"errors"
	"net/netip"
)

// MaxDatagram is the largest datagram a backend reads; a larger one reaches
// it with Message.Truncated set. netcode's largest packet is 1078 bytes (a
// request) or 1225 (a 1200-byte payload); the reference receive buffer is
// 1300.
const MaxDatagram = 1500

// ErrClosed is returned by every method of a closed Transport.
var ErrClosed = errors.New("transport: closed")

// Message is one datagram. For reads the caller provides Buf (at least
// MaxDatagram bytes of length); the transport sets N, Addr and Truncated.
// For writes the transport sends Buf[:N] to Addr and ignores Truncated.
type Message struct {
	Buf  []byte
	N    int
	Addr netip.AddrPort
	// Truncated reports a datagram longer than what the transport kept in
	// Buf[:N]: it did not fit Buf, or it was over the most this transport
	// reads (MaxDatagram, on the portable path). Buf[:N] is then only its
	// beginning, and Addr may be invalid (Windows does not report the
	// sender of a datagram too big for the buffer). The caller must drop
	// it; it is delivered rather than skipped so the caller can count it.
	Truncated bool
}

// Transport is a datagram socket.
//
// Contract:
//   - ReadBatch fills up to len(msgs) messages with datagrams that have
//     already arrived and returns how many it filled; 0 with a nil error means
//     nothing is pending (for a socket: EAGAIN). It never blocks. A batch
//     shorter than msgs says nothing about what is still pending: only 0
//     does (or ReadDrainer, where implemented), so a caller that drains a
//     transport reads until it gets 0.
//   - A datagram too big for its Buf still takes a Message, with Truncated
//     set, so that the caller sees and counts it. ReadBatch sets N, Addr
//     and Truncated of every Message it fills.
//   - WriteBatch sends msgs[i].Buf[:msgs[i].N] to msgs[i].Addr, in order, and
//     returns how many were handed to the network. A datagram the network
//     refuses (no route, unreachable peer) is skipped and counted as written:
//     UDP is lossy and one bad peer must not stall the others.
//   - Neither allocates in steady state.
//   - ReadBatch and WriteBatch are not safe for concurrent use with
//     themselves; Close may be called from any goroutine, at any time, and
//     more than once.
//
// In this package's implementations, only the first Close does anything and
// reports its error; later calls return nil. LocalAddr keeps returning the
// bound address after Close.
type Transport interface {
	ReadBatch(msgs []Message) (int, error)
	WriteBatch(msgs []Message) (int, error)
	LocalAddr() netip.AddrPort
	Close() error
}

// ReadDrainer is implemented by a Transport that learns, as it reads,
// that its socket has nothing more pending. A caller draining it may stop
// when ReadDrained is true instead of making one more ReadBatch to get 0,
// which on Linux is one more system call (about 1.3 µs here) per socket
// per update.
type ReadDrainer interface {
	// ReadDrained reports whether the last ReadBatch stopped because the
	// socket had nothing more pending; false when it cannot tell. Like
	// ReadBatch, it is not safe for concurrent use with ReadBatch.
	ReadDrained() bool
}
