package netcode

import (
	"math"
	"net/netip"
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// Near the saturated clock (core.AdvanceClock) the one-a-second rule for
// warnings still holds: "now + interval" would wrap negative there and let
// every refusal through as a warning.
func TestWarningsAtSaturatedClock(t *testing.T) {
	r, _ := newMemRig(t)
	cfg := memServerConfig(r, 4)
	cfg.TokenHistorySize = 4
	s := r.startServer(cfg)
	require.NoError(t, s.Update(math.MaxInt64))
	require.Equal(t, core.MaxClock, s.now)
	srv := s.PublicAddresses()
	tr, err := r.listen(netip.AddrPortFrom(r.ip, 0))
	require.NoError(t, err)
	defer tr.Close()
	for i := 0; i < 20; i++ {
		write(t, tr, requestBytes(t, r.token(uint64(100+i), srv)), srv[0])
		require.NoError(t, s.Update(0))
	}
	require.Equal(t, uint64(16), s.Stats().DroppedTableFull)
	require.Equal(t, []core.Event{{Type: core.EventWarning, Client: core.NetcodeID(104), Warning: core.WarningTokenHistoryFull}},
		r.takeEvents())
}
