package tokenservice

import (
	"bytes"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// TestClientConnectsWithServiceToken: a token from the service opens a
// real netcode connection to a server on 127.0.0.1, which sees the client
// id and user data from the credential.
func TestClientConnectsWithServiceToken(t *testing.T) {
	key, err := netcode.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := netcode.NewServer(netcode.ServerConfig{
		ProtocolID: testProtocolID,
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
	defer srv.Stop()

	r := startRig(t, Config{ProtocolID: testProtocolID, PrivateKey: key, Directory: StaticDirectory(srv.PublicAddresses())})
	c := claims("4242")
	c["team"] = "blue"
	resp, tok := r.post(t, signHS(t, testSecret, c), nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}

	cli := netcode.NewClient(tok, netcode.ClientConfig{})
	defer cli.Close()
	if err := cli.Connect(); err != nil {
		t.Fatal(err)
	}
	const dt = 10 * time.Millisecond
	deadline := time.Now().Add(5 * time.Second)
	var connected core.ClientID
	for connected == (core.ClientID{}) || cli.State() != core.StateConnected {
		if time.Now().After(deadline) {
			t.Fatalf("not connected after 5 s: client state %v", cli.State())
		}
		if err := cli.Update(dt); err != nil {
			t.Fatal(err)
		}
		if err := srv.Update(dt); err != nil {
			t.Fatal(err)
		}
		var ev core.Event
		for srv.PollEvent(&ev) {
			if ev.Type == core.EventConnected {
				connected = ev.Client
			}
		}
		time.Sleep(dt)
	}
	if connected != core.NetcodeID(4242) {
		t.Errorf("server saw client %v, want netcode 4242", connected)
	}
	ud, ok := srv.ClientUserData(connected)
	if !ok || string(bytes.TrimRight(ud[:], "\x00")) != `{"team":"blue"}` {
		t.Errorf("user data %q", bytes.TrimRight(ud[:], "\x00"))
	}
}
