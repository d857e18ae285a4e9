package main

import (
	"math"
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// dt through the exports: negative, NaN and infinite values are refused
// (as the header says); any finite dt >= 0 is taken, the huge ones
// saturating instead of overflowing the conversion to nanoseconds.
func TestUpdateDt(t *testing.T) {
	f := newFixture(t)
	defer f.close()
	for _, c := range []struct {
		name string
		dt   float64
		rc   cInt
	}{
		{"NaN", math.NaN(), errInvalidArgument},
		{"+Inf", math.Inf(1), errInvalidArgument},
		{"-Inf", math.Inf(-1), errInvalidArgument},
		{"negative", -1, errInvalidArgument},
		{"tiny negative", -math.SmallestNonzeroFloat64, errInvalidArgument},
		{"zero", 0, 0},
		{"negative zero", math.Copysign(0, -1), 0},
		{"a tick", 1.0 / 60, 0},
		// The old bound, accepted by it: times 1e9 it rounds to 2^63, one
		// past the range of int64, and converted to -2^63 ns.
		{"rounds to 2^63 ns", float64(math.MaxInt64) / 1e9, 0},
		{"9.2e9 s", 9.2e9, 0},
		{"1e300 s", 1e300, 0},
		{"largest double", math.MaxFloat64, 0},
	} {
		if rc := ly__go_server_update(f.srv, cDouble(c.dt)); rc != c.rc {
			t.Errorf("%s: ly_server_update = %d, want %d", c.name, rc, c.rc)
		}
		if rc := ly__go_client_update(f.nc, cDouble(c.dt)); rc != c.rc {
			t.Errorf("%s: ly_client_update = %d, want %d", c.name, rc, c.rc)
		}
	}
	for _, c := range []struct {
		dt   float64
		want int64
	}{
		{1.5, 1_500_000_000},
		{9.2e9, 9_200_000_000_000_000_000},
		{float64(math.MaxInt64) / 1e9, math.MaxInt64},
		{1e300, math.MaxInt64},
	} {
		if d, ok := duration(cDouble(c.dt)); !ok || int64(d) != c.want {
			t.Errorf("duration(%v) = %d, %v; want %d", c.dt, d, ok, c.want)
		}
	}
}

// Two updates of 9.2e9 s time out a silent netcode client: the first reads
// its last keep-alive, the second finds it silent (the wrapped clock used
// to keep it connected for good).
func TestHugeUpdatesTimeOutThroughExports(t *testing.T) {
	f := newFixture(t)
	defer f.close()
	mustOK(t, "ly_client_connect", ly__go_client_connect(f.nc))
	pumpConnected(t, f.srv, f.nc)
	drainEvents(t, f.srv)
	mustOK(t, "ly_client_update", ly__go_client_update(f.nc, 9.2e9))
	mustOK(t, "ly_server_update", ly__go_server_update(f.srv, 9.2e9))
	mustOK(t, "ly_server_update", ly__go_server_update(f.srv, 9.2e9))
	var timedOut bool
	for _, ev := range drainEvents(t, f.srv) {
		if ev.typ == core.EventDisconnected && ev.id == core.NetcodeID(1) && ev.reason == core.ReasonTimedOut {
			timedOut = true
		}
	}
	if !timedOut {
		t.Fatal("silent client not timed out")
	}
}

type polled struct {
	typ    core.EventType
	id     core.ClientID
	reason core.DisconnectReason
}

func drainEvents(t *testing.T, s *cServer) []polled {
	t.Helper()
	var out []polled
	buf := make([]byte, 2048)
	for {
		var ev cEvent
		rc := ly__go_server_poll(s, &ev, cbuf(buf), cU32(len(buf)))
		if rc < 0 {
			t.Fatalf("ly_server_poll: %d", rc)
		}
		if rc == 0 {
			return out
		}
		out = append(out, polled{core.EventType(ev._type), goClientID(ev.client), core.DisconnectReason(ev.reason)})
	}
}
