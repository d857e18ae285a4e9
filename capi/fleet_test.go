package main

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/internal/redistest"
)

// TestFleetRegistration: through the exports, a server registers in a
// real Redis, its status turns to 1, ly_server_update publishes the
// connected count (without allocating more than it does unregistered),
// and deregistering removes the entry at once.
func TestFleetRegistration(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs redis-server, a Linux program (c_test_fleet covers the fleet from C on Linux)")
	}
	rdb := redistest.Start(t)
	f := newFixture(t)
	defer f.close()
	ctx := context.Background()
	updateAllocs := func() float64 {
		return testing.AllocsPerRun(200, func() { ly__go_server_update(f.srv, 0) })
	}
	before := updateAllocs()

	c := new(cFleetConfig)
	fleetConfigDefaults(c)
	c.redis_url = cString(rdb.Options().Addr)
	c.key_prefix = cString("capitest:")
	c.server_id = cString("s1")
	c.ttl_ms = 300
	mustOK(t, "ly_server_fleet_register", ly__go_server_fleet_register(f.srv, (*cCFleetConfig)(c)))
	if rc := ly__go_server_fleet_register(f.srv, (*cCFleetConfig)(c)); rc != errAlreadyActive {
		t.Fatalf("second register: %d", rc)
	}
	waitFor(t, "status 1", func() bool { return ly__go_server_fleet_status(f.srv) == 1 })
	if got := rdb.HGet(ctx, "capitest:server:s1", "addrs").Val(); got != `["`+f.addr+`"]` {
		t.Errorf("addresses in Redis: %s, want [%q]", got, f.addr)
	}

	mustOK(t, "ly_client_connect", ly__go_client_connect(f.nc))
	pumpConnected(t, f.srv, f.nc)
	waitFor(t, "connected count 1 in Redis", func() bool {
		ly__go_server_update(f.srv, 0)
		return rdb.HGet(ctx, "capitest:server:s1", "connected").Val() == "1"
	})
	if after := updateAllocs(); after > before {
		t.Errorf("ly_server_update allocates %v times registered, %v unregistered", after, before)
	}

	mustOK(t, "ly_server_fleet_deregister", ly__go_server_fleet_deregister(f.srv))
	if n := rdb.Exists(ctx, "capitest:server:s1").Val(); n != 0 {
		t.Error("entry still in Redis after ly_server_fleet_deregister")
	}
	if rc := ly__go_server_fleet_status(f.srv); rc != errNotRunning {
		t.Errorf("status after deregister: %d", rc)
	}

	// ly_server_stop deregisters too.
	mustOK(t, "ly_server_fleet_register", ly__go_server_fleet_register(f.srv, (*cCFleetConfig)(c)))
	waitFor(t, "registered again", func() bool { return rdb.Exists(ctx, "capitest:server:s1").Val() == 1 })
	mustOK(t, "ly_server_stop", ly__go_server_stop(f.srv))
	if n := rdb.Exists(ctx, "capitest:server:s1").Val(); n != 0 {
		t.Error("entry still in Redis after ly_server_stop")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5 s", what)
		}
	}
}
