package tokenservice

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/internal/nctest"
)

// TestClientConnectsWithServiceToken: a token from the service opens a
// real netcode connection to a server on 127.0.0.1, which sees the client
// id and user data from the credential.
func TestClientConnectsWithServiceToken(t *testing.T) {
	key, err := netcode.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := nctest.StartServer(t, testProtocolID, key)

	r := startRig(t, Config{ProtocolID: testProtocolID, PrivateKey: key, Directory: StaticDirectory(srv.PublicAddresses())})
	c := claims("4242")
	c["team"] = "blue"
	resp, tok := r.post(t, signHS(t, testSecret, c), nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}

	_, connected := nctest.Connect(t, srv, tok, nil)
	if connected != core.NetcodeID(4242) {
		t.Errorf("server saw client %v, want netcode 4242", connected)
	}
	ud, ok := srv.ClientUserData(connected)
	if !ok || string(bytes.TrimRight(ud[:], "\x00")) != `{"team":"blue"}` {
		t.Errorf("user data %q", bytes.TrimRight(ud[:], "\x00"))
	}
}
