// Package nctest runs a netcode server and connects clients to it on
// 127.0.0.1, for the tests of packages that hand out connect tokens
// (tokenservice, fleet): a token they issue must open a real connection.
package nctest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// Tick is the time step of Connect's loop, real and simulated.
const Tick = 10 * time.Millisecond

// StartServer starts a netcode server for up to 4 clients on a free port
// of 127.0.0.1, stopped when the test ends.
func StartServer(t testing.TB, protocolID uint64, key netcode.Key) *netcode.Server {
	t.Helper()
	srv, err := netcode.NewServer(netcode.ServerConfig{
		ProtocolID: protocolID,
		PrivateKey: key,
		Addresses:  []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")},
		MaxClients: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

// Connect connects a client with token to srv, updating both every Tick
// on this goroutine (afterTick, if set, runs after each server update),
// and returns the client, closed when the test ends, and the id the
// server saw. It fails the test after 5 s.
func Connect(t testing.TB, srv *netcode.Server, token []byte, afterTick func()) (*netcode.Client, core.ClientID) {
	t.Helper()
	cli := netcode.NewClient(token, netcode.ClientConfig{})
	t.Cleanup(func() { cli.Close() })
	if err := cli.Connect(); err != nil {
		t.Fatal(err)
	}
	var connected core.ClientID
	for deadline := time.Now().Add(5 * time.Second); connected == (core.ClientID{}) || cli.State() != core.StateConnected; {
		if time.Now().After(deadline) {
			t.Fatalf("not connected after 5 s: client state %v", cli.State())
		}
		if err := cli.Update(Tick); err != nil {
			t.Fatal(err)
		}
		if err := srv.Update(Tick); err != nil {
			t.Fatal(err)
		}
		if afterTick != nil {
			afterTick()
		}
		var ev core.Event
		for srv.PollEvent(&ev) {
			if ev.Type == core.EventConnected {
				connected = ev.Client
			}
		}
		time.Sleep(Tick)
	}
	return cli, connected
}
