package netcode

import (
	"net/netip"
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// countingUDP counts ReadBatch calls; ReadDrained is transport.UDP's.
type countingUDP struct {
	*transport.UDP
	reads *int
}

func (c countingUDP) ReadBatch(msgs []transport.Message) (int, error) {
	*c.reads++
	return c.UDP.ReadBatch(msgs)
}

// hiddenDrain is the same transport without ReadDrained.
type hiddenDrain struct{ transport.Transport }

// On Linux the UDP transport knows when recvmmsg emptied the socket, and
// an Update stops there: one datagram costs one read, not a second one
// that returns 0. A transport that cannot tell is read until it gives 0.
func TestUpdateStopsWhenDrained(t *testing.T) {
	for _, tc := range []struct {
		name  string
		wrap  func(countingUDP) transport.Transport
		reads []int // per Update: 1, then 1+queued datagrams waiting
	}{
		{"ReadDrainer", func(c countingUDP) transport.Transport { return c }, []int{1, queued/readBatch + 1}},
		{"Plain", func(c countingUDP) transport.Transport { return hiddenDrain{c} }, []int{2, queued/readBatch + 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, "127.0.0.1")
			reads := 0
			cfg := r.serverConfig(4)
			cfg.Listen = func(a netip.AddrPort) (transport.Transport, error) {
				u, err := transport.ListenUDP(a)
				if err != nil {
					return nil, err
				}
				return tc.wrap(countingUDP{u, &reads}), nil
			}
			s := r.startServer(cfg)
			srv := s.PublicAddresses()[0]
			stranger := newAttacker(t)
			for i, batch := range []int{1, queued + 1} {
				for range batch {
					stranger.send(make([]byte, 40), srv)
				}
				reads = 0
				before := s.Stats().PacketsReceived
				require.NoError(t, s.Update(0))
				require.Equal(t, uint64(batch), s.Stats().PacketsReceived-before)
				require.Equal(t, tc.reads[i], reads, "ReadBatch calls for %d datagrams", batch)
			}
		})
	}
}
