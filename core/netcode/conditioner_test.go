package netcode

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
	"github.com/stretchr/testify/require"
)

// conditionedRun sends n payloads from a client to a server whose receive
// side is conditioned, one per simulated millisecond, and returns each
// payload's arrival time (or -1 if lost) in the order they arrived.
func conditionedRun(t *testing.T, cfg conditioner.Config, n int) (delays []time.Duration, order []int) {
	r, _ := newMemRig(t)
	sc := r.serverConfig(4)
	sc.Conditioning = &Conditioning{Recv: &cfg}
	s := r.startServer(sc)
	c := r.connect(1, s)
	r.until(5*time.Second, "connected", func() bool { return c.State() == core.StateConnected && s.NumConnected() == 1 })
	r.takeEvents()

	sentAt := make([]time.Duration, n)
	delays = make([]time.Duration, n)
	for i := range delays {
		delays[i] = -1
	}
	var now time.Duration
	collect := func() {
		for _, ev := range r.takeEvents() {
			if ev.Type == core.EventPayload {
				i := int(binary.LittleEndian.Uint32(ev.Payload))
				if delays[i] < 0 {
					delays[i] = now - sentAt[i]
				}
				order = append(order, i)
			}
		}
	}
	p := make([]byte, 8)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(p, uint32(i))
		sentAt[i] = now
		require.NoError(t, c.Send(p))
		r.step(time.Millisecond)
		now += time.Millisecond
		collect()
	}
	for i := 0; i < 1000; i++ { // let the last ones arrive
		r.step(time.Millisecond)
		now += time.Millisecond
		collect()
	}
	require.Equal(t, core.StateConnected, c.State())
	return delays, order
}

func TestConditionerOnServerReceive(t *testing.T) {
	const n = 10000
	cfg := conditioner.Average // 100 ms ± 15 ms, 2 % loss
	cfg.Duplicate = 0.05
	cfg.Seed = 42
	delays, order := conditionedRun(t, cfg, n)

	lost, sum, got := 0, time.Duration(0), 0
	for _, d := range delays {
		if d < 0 {
			lost++
			continue
		}
		got++
		sum += d
		// One step of granularity: the server reads on its next update.
		require.GreaterOrEqual(t, d, cfg.Latency-cfg.Jitter-time.Millisecond)
		require.LessOrEqual(t, d, cfg.Latency+cfg.Jitter+time.Millisecond)
	}
	loss := float64(lost) / n
	require.InDelta(t, 0.02, loss, 0.006, "loss %.4f", loss)
	mean := sum / time.Duration(got)
	require.InDelta(t, float64(cfg.Latency), float64(mean), float64(3*time.Millisecond), "mean delay %v", mean)
	// Duplicates are delivered by the conditioner and dropped by netcode's
	// replay protection: every payload arrives at most once.
	seen := map[int]bool{}
	for _, i := range order {
		require.False(t, seen[i], "payload %d delivered twice", i)
		seen[i] = true
	}
	reordered := 0
	for k := 1; k < len(order); k++ {
		if order[k] < order[k-1] {
			reordered++
		}
	}
	require.Greater(t, reordered, 0, "jitter reorders")

	// The same seed gives the same run.
	delays2, order2 := conditionedRun(t, cfg, n)
	require.Equal(t, delays, delays2)
	require.Equal(t, order, order2)
}

func TestSetConditioningWhileRunning(t *testing.T) {
	r, _ := newMemRig(t)
	s := r.startServer(r.serverConfig(4))
	c := r.connect(1, s)
	r.untilState(c, core.StateConnected, time.Second)
	r.takeEvents()
	lose := conditioner.Config{Loss: 1}
	require.NoError(t, s.SetConditioning(&Conditioning{Recv: &lose}))
	require.NoError(t, c.Send([]byte("gone")))
	r.step(time.Millisecond)
	require.Empty(t, r.takeEvents())
	require.NoError(t, s.SetConditioning(nil))
	require.NoError(t, c.Send([]byte("back")))
	r.step(time.Millisecond)
	require.Len(t, r.takeEvents(), 1)

	bad := conditioner.Config{Loss: 2}
	require.ErrorIs(t, s.SetConditioning(&Conditioning{Send: &bad}), ErrInvalidConfig)
	require.ErrorIs(t, c.SetConditioning(&Conditioning{Send: &bad}), core.ErrInvalidArgument)
	delay := conditioner.Config{Latency: 50 * time.Millisecond}
	require.NoError(t, c.SetConditioning(&Conditioning{Send: &delay}))
	require.NoError(t, c.Send([]byte("late")))
	for i := 0; i < 49; i++ {
		r.step(time.Millisecond)
	}
	require.Empty(t, r.takeEvents())
	r.step(2 * time.Millisecond)
	require.Len(t, r.takeEvents(), 1)
}

// The last packets of a connection pass the send-side conditioner: a
// client's disconnect and a stopping server's are not left in a line that
// no later Update releases.
func TestDisconnectsPassTheConditioner(t *testing.T) {
	slow := &Conditioning{Send: &conditioner.Config{Latency: 200 * time.Millisecond}}

	t.Run("client disconnect", func(t *testing.T) {
		r, _ := newMemRig(t)
		s := r.startServer(r.serverConfig(4))
		c := r.connect(1, s)
		r.untilState(c, core.StateConnected, 5*time.Second)
		r.takeEvents()
		require.NoError(t, c.SetConditioning(slow))
		require.NoError(t, c.Disconnect())
		r.stepOnly(time.Millisecond, []*Server{s}, nil) // only the server runs
		require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: core.NetcodeID(1), Reason: core.ReasonRemote}}, r.takeEvents())
	})

	t.Run("client disconnect, all lost", func(t *testing.T) {
		r, _ := newMemRig(t)
		s := r.startServer(r.serverConfig(4))
		c := r.connect(1, s)
		r.untilState(c, core.StateConnected, 5*time.Second)
		r.takeEvents()
		require.NoError(t, c.SetConditioning(&Conditioning{Send: &conditioner.Config{Latency: time.Second, Loss: 1}}))
		require.NoError(t, c.Disconnect())
		r.stepOnly(time.Millisecond, []*Server{s}, nil)
		require.Empty(t, r.takeEvents(), "the conditioner's loss still applies")
		require.Equal(t, 1, s.NumConnected())
	})

	t.Run("server stop", func(t *testing.T) {
		r, _ := newMemRig(t)
		sc := r.serverConfig(4)
		sc.Conditioning = slow
		s := r.startServer(sc)
		c := r.connect(1, s)
		r.untilState(c, core.StateConnected, 5*time.Second)
		require.NoError(t, s.Stop())
		r.stepOnly(time.Millisecond, nil, []*Client{c})
		require.Equal(t, core.StateDisconnected, c.State())
		require.Equal(t, core.ReasonRemote, c.DisconnectReason())
	})
}
