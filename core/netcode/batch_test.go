package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// writeCounter records the size of every WriteBatch call on a socket.
type writeCounter struct {
	transport.Transport
	calls []int
}

func (w *writeCounter) WriteBatch(msgs []transport.Message) (int, error) {
	w.calls = append(w.calls, len(msgs))
	return w.Transport.WriteBatch(msgs)
}

// batchRig is a connected, confirmed client of a server whose socket
// counts its writes.
func batchRig(t *testing.T, batch bool) (*rig, *Server, *Client, *writeCounter) {
	r, _ := newMemRig(t)
	var sock *writeCounter
	memListen := r.listen
	cfg := r.serverConfig(4)
	cfg.BatchSends = batch
	cfg.Listen = func(a netip.AddrPort) (transport.Transport, error) {
		tr, err := memListen(a)
		sock = &writeCounter{Transport: tr}
		return sock, err
	}
	s := r.startServer(cfg)
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.step(200 * time.Millisecond) // the client confirms: no keep-alive before payloads
	r.takeEvents()
	sock.calls = nil
	return r, s, c, sock
}

func receiveAll(c *Client) (got []byte) {
	for {
		p, ok := c.Receive()
		if !ok {
			return got
		}
		got = append(got, p[0])
	}
}

func TestBatchSendsWaitForFlush(t *testing.T) {
	r, s, c, sock := batchRig(t, true)
	id := core.NetcodeID(1)
	sent := s.Stats().PacketsSent
	for i := range 10 {
		require.NoError(t, s.Send(id, []byte{byte(i)}))
	}
	r.stepOnly(0, nil, []*Client{c})
	require.Empty(t, receiveAll(c), "nothing leaves before Flush")
	require.Empty(t, sock.calls)
	require.Equal(t, sent, s.Stats().PacketsSent, "queued datagrams are not counted as sent")

	require.NoError(t, s.Flush())
	require.Equal(t, []int{10}, sock.calls, "one write for the ten")
	require.Equal(t, sent+10, s.Stats().PacketsSent)
	r.stepOnly(0, nil, []*Client{c})
	require.Equal(t, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, receiveAll(c))

	require.NoError(t, s.Flush())
	require.Equal(t, []int{10}, sock.calls, "an empty flush writes nothing")
}

func TestBatchSendsFullBatchAndUpdateFlush(t *testing.T) {
	r, s, c, sock := batchRig(t, true)
	id := core.NetcodeID(1)
	for i := range writeBatch + 6 {
		require.NoError(t, s.Send(id, []byte{byte(i)}))
	}
	require.Equal(t, []int{writeBatch}, sock.calls, "a full batch leaves at once")
	// No Flush: the next Update writes the rest before it reads.
	r.stepOnly(0, []*Server{s}, nil)
	require.Equal(t, []int{writeBatch, 6}, sock.calls)
	r.stepOnly(0, nil, []*Client{c})
	require.Len(t, receiveAll(c), writeBatch+6)

	require.NoError(t, s.Broadcast([]byte{7}))
	require.Len(t, sock.calls, 2, "Broadcast queues too")
	require.NoError(t, s.Stop())
	require.Equal(t, []int{writeBatch, 6, 1 + disconnectRedundancy}, sock.calls,
		"Stop writes the queued payload, then the disconnects")
	require.ErrorIs(t, s.Flush(), core.ErrNotStarted)
}

func TestUnbatchedSendsWriteAtOnce(t *testing.T) {
	_, s, _, sock := batchRig(t, false)
	id := core.NetcodeID(1)
	for i := range 3 {
		require.NoError(t, s.Send(id, []byte{byte(i)}))
	}
	require.Equal(t, []int{1, 1, 1}, sock.calls)
	require.NoError(t, s.Broadcast([]byte{1}))
	require.Equal(t, []int{1, 1, 1, 1}, sock.calls)
	require.NoError(t, s.Flush())
	require.Len(t, sock.calls, 4)
}

func TestBatchSendsZeroAllocs(t *testing.T) {
	_, s, c, _ := batchRig(t, true)
	id := core.NetcodeID(1)
	payload := make([]byte, 100)
	allocs := testing.AllocsPerRun(100, func() {
		for range 8 {
			if err := s.Send(id, payload); err != nil {
				panic(err)
			}
		}
		if err := s.Flush(); err != nil {
			panic(err)
		}
		if err := c.Update(0); err != nil {
			panic(err)
		}
		for {
			if _, ok := c.Receive(); !ok {
				break
			}
		}
	})
	require.Zero(t, allocs)
}
