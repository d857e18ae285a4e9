package main

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/fleet"
	"github.com/lightyear-conn/lightyear_conn/internal/redistest"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

// TestDevModeWithRedis: with -redis and -fleet-prefix the tokens name the
// servers registered under that prefix, least loaded first, and a full
// fleet gets 503.
func TestDevModeWithRedis(t *testing.T) {
	rdb := redistest.Start(t)
	reg, err := fleet.NewRegistrar(rdb, "cmd:", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a, b := netip.MustParseAddrPort("127.0.0.1:44001"), netip.MustParseAddrPort("127.0.0.1:44002")
	bg := context.Background()
	for _, e := range []fleet.Entry{
		{ID: "a", Addresses: []netip.AddrPort{a}, Capacity: 2, Connected: 1},
		{ID: "b", Addresses: []netip.AddrPort{b}, Capacity: 2},
	} {
		if err := reg.Register(bg, e); err != nil {
			t.Fatal(err)
		}
	}
	// Under another prefix: must not show up.
	other, _ := fleet.NewRegistrar(rdb, "elsewhere:", time.Minute)
	if err := other.Register(bg, fleet.Entry{ID: "x", Addresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:44009")}, Capacity: 9}); err != nil {
		t.Fatal(err)
	}

	addr, out := startDev(t, "-listen", "127.0.0.1:0", "-redis", rdb.Options().Addr, "-fleet-prefix", "cmd:")
	fp := findIn(t, out, `certificate SHA-256: ([0-9a-f]{64})`)
	cred := findIn(t, out, `test credential \(HS256[^)]*\): (\S+)`)
	tc, err := tokenservice.PinnedClientTLS(fp)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: tc}
	defer tr.CloseIdleConnections()
	get := func() (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/v1/token", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+cred)
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	st, body := get()
	if st != http.StatusOK {
		t.Fatalf("status %d: %s", st, body)
	}
	tok, err := netcode.ParseConnectToken(body)
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.AddrPort{b, a}; !slices.Equal(tok.ServerAddresses, want) {
		t.Errorf("token names %v, want %v", tok.ServerAddresses, want)
	}
	for _, id := range []string{"a", "b"} {
		if err := reg.Heartbeat(bg, id, 2); err != nil {
			t.Fatal(err)
		}
	}
	if st, body := get(); st != http.StatusServiceUnavailable {
		t.Errorf("full fleet: status %d %s, want 503", st, body)
	}
}
