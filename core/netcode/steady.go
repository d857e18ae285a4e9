package netcode

import (
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// A server in the steady state (Steady) has a fixed set of connected
// clients and nothing else to do than exchange their keep-alives and
// payloads and watch their timeouts. A driver outside Go (capi's C packet
// path, DESIGN.md "The tick in C") may then run that packet path itself on
// the server's sockets for a while: it exports every client's packet state
// (ExportClient), reads, decrypts, sends and queues payloads on its own,
// hands back to the transport what only this server can handle (a
// request, a disconnect, anything that fails a check: transport.UDP
// Requeue), and imports the state before any other call (ImportClient,
// AddStats, Advance). Between export and import the server must not be
// used.

// ReplayWindowSize is the number of sequences a replay window remembers.
const ReplayWindowSize = replayBufferSize

// SteadyClient is the packet state of one connected client.
type SteadyClient struct {
	ID     uint64
	Index  int // client index: the keep-alive body's
	Socket int // which of the descriptors Steady appended
	Addr   netip.AddrPort
	// C2S decrypts what the client sends; S2C encrypts what it is sent.
	C2S, S2C Key
	// Sequence is the next sequence to send with.
	Sequence uint64
	// Replay: the most recent sequence received, and the window by
	// sequence mod ReplayWindowSize (math.MaxUint64 when empty). It points
	// into the server: an import copies the driver's window back into it.
	ReplayRecent uint64
	Replay       *[ReplayWindowSize]uint64
	// LastSend and LastRecv are server clock readings; Timeout 0 is none.
	LastSend, LastRecv, Timeout time.Duration
	// Stats: on import, what the driver counted for this client meanwhile
	// (packets and bytes it received and sent, payloads refused for a full
	// queue), added to the client's counters. Ignored by ExportClient.
	Stats core.Stats
}

// KeepAliveInterval is how long a connected client may go without a packet
// from the server before it is sent a keep-alive.
const KeepAliveInterval = sendRate

// Steady reports whether the server is in the steady state, and appends its
// sockets' descriptors to fds: running over UDP sockets with descriptors of
// their own (Linux) and no listener or link conditioner, no handshake in
// progress, no event queued, nothing queued to send, and every connected
// client confirmed (a payload to an unconfirmed client is preceded by a
// keep-alive) at an address without an IPv6 zone. A server with no client
// and nothing else to do is steady too.
func (s *Server) Steady(fds []int) ([]int, bool) {
	if !s.running || len(s.pending) > 0 || s.events.Len() > 0 ||
		len(s.cfg.Listeners) > 0 || s.cfg.Conditioning.active() {
		return fds, false
	}
	for _, c := range s.connected {
		if !c.confirmed || c.addr.Addr().Zone() != "" {
			return fds, false
		}
	}
	for _, o := range s.socks {
		p, ok := o.raw.(interface{ PollFD() (int, bool) })
		if o.n > 0 || !ok {
			return fds, false
		}
		fd, ok := p.PollFD()
		if !ok {
			return fds, false
		}
		fds = append(fds, fd)
	}
	return fds, true
}

// Now is the server's clock: the sum of every dt.
func (s *Server) Now() time.Duration { return s.now }

// ProtocolID is the configured protocol id.
func (s *Server) ProtocolID() uint64 { return s.cfg.ProtocolID }

// MaxReadsPerUpdate is the configured bound on the datagrams one Update
// reads from each socket.
func (s *Server) MaxReadsPerUpdate() int { return s.cfg.MaxReadsPerUpdate }

// EventQueueSize is the configured bound on queued payload events.
func (s *Server) EventQueueSize() int { return s.cfg.EventQueueSize }

// BatchSends reports whether sends wait for Flush or the next Update.
func (s *Server) BatchSends() bool { return s.cfg.BatchSends }

// SocketTransport is the transport of socket i as it was opened (without
// a link conditioner), for a driver that hands datagrams back to it.
func (s *Server) SocketTransport(i int) any { return s.socks[i].raw }

// ExportClient fills st with the packet state of the i-th connected
// client, 0 <= i < NumConnected.
func (s *Server) ExportClient(i int, st *SteadyClient) {
	c := s.connected[i]
	sock := 0
	for j, o := range s.socks {
		if o == c.sock {
			sock = j
		}
	}
	*st = SteadyClient{
		ID:           c.id,
		Index:        c.index,
		Socket:       sock,
		Addr:         c.addr,
		C2S:          c.keys[0],
		S2C:          c.keys[1],
		Sequence:     c.sequence,
		ReplayRecent: c.replay.mostRecent,
		Replay:       &c.replay.received,
		LastSend:     c.lastSend,
		LastRecv:     c.lastRecv,
		Timeout:      c.timeout,
	}
}

// ImportClient takes back the i-th connected client's packet state from a
// driver: its sequence, replay window (the driver writes the window
// through st.Replay itself), send and receive times, and counters.
func (s *Server) ImportClient(i int, st *SteadyClient) {
	c := s.connected[i]
	c.sequence = st.Sequence
	c.replay.mostRecent = st.ReplayRecent
	c.lastSend, c.lastRecv = st.LastSend, st.LastRecv
	c.stats.Add(st.Stats)
}

// AddStats adds what a driver counted on the server's sockets meanwhile.
func (s *Server) AddStats(d core.Stats) { s.stats.Add(d) }

// ImportPayload queues a payload the driver received from client id, as
// the server queues those it receives itself, and reports whether it fit:
// in the server's own event queue, so that the driver's payloads come
// before anything the server queues later and count against the same
// bound (EventQueueSize). The queue is empty at the export (Steady).
func (s *Server) ImportPayload(id uint64, payload []byte) bool {
	return s.events.Push(core.Event{Type: core.EventPayload, Client: core.NetcodeID(id), Payload: payload})
}
