package netcode

import (
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// huge is a dt whose double overflows time.Duration: two updates used to
// wrap the clock negative, after which nothing ever timed out.
const huge = 9_200_000_000 * time.Second

// A client whose last keep-alive is read by the first huge update goes
// silent; the second update times it out.
func TestHugeUpdatesTimeOutSilentClient(t *testing.T) {
	r, _ := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.takeEvents()

	require.NoError(t, c.Update(huge)) // its keep-alive is due: sent, then silence
	require.NoError(t, s.Update(huge)) // reads it: the client was heard at 9.2e9 s
	require.Equal(t, 1, s.NumConnected())
	require.NoError(t, s.Update(huge))
	require.Equal(t, core.MaxClock, s.now)
	require.Equal(t, 0, s.NumConnected(), "silent client still connected")
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.NetcodeID(1), Reason: core.ReasonTimedOut}}, r.takeEvents())
}

// The same on the client: the server's last keep-alive is read by the
// first huge update, the second times the server out.
func TestHugeUpdatesTimeOutSilentServer(t *testing.T) {
	r, _ := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.step(sendRate) // a keep-alive from the server waits for the client

	require.NoError(t, c.Update(huge))
	require.Equal(t, core.StateConnected, c.State())
	require.NoError(t, c.Update(huge))
	require.Equal(t, core.MaxClock, c.now)
	require.Equal(t, core.StateConnectionTimedOut, c.State())
	require.Equal(t, core.ReasonTimedOut, c.DisconnectReason())
}

// A client whose attempt began at clock 0 sends when one update takes the
// clock to the top: its "never sent" mark does not overflow now-lastSend
// (now-1h would). The token never expires and has no timeout, so the
// attempt survives the jump.
func TestClientSendsAfterJumpToStoppedClock(t *testing.T) {
	r, _ := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	never := func(p *TokenParams) { p.ExpireSeconds, p.TimeoutSeconds = -1, 0 }
	c := r.client(1, r.token(1, s.PublicAddresses(), never))
	require.NoError(t, c.Connect())
	require.NoError(t, c.Update(core.MaxClock))
	require.Equal(t, core.StateSendingRequest, c.State())
	require.EqualValues(t, 1, c.Stats().PacketsSent)
}
