package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
)

// lyweb serves a token over /token; Go clients over UDP, ws and wt connect
// with it and get their payloads echoed.
func TestLywebEchoesOverEveryTransport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *app, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-udp", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-wt", "127.0.0.1:0", "-http", "127.0.0.1:0"}, &out, io.Discard, func(a *app) { ready <- a })
	}()
	var a *app
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	url, err := a.tokenURL()
	if err != nil {
		t.Fatal(err)
	}

	for _, kind := range []string{"udp", "ws", "wt"} {
		t.Run(kind, func(t *testing.T) {
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			var tr TokenResponse
			err = json.NewDecoder(resp.Body).Decode(&tr)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			tok, err := base64.StdEncoding.DecodeString(tr.Token)
			if err != nil || len(tok) != netcode.ConnectTokenSize {
				t.Fatalf("token: %v, %d bytes", err, len(tok))
			}
			// Each client is told which address is its transport's and
			// dials only that one, as a browser page would.
			var dial func(netip.AddrPort) (transport.Transport, error)
			want := tr.URLs[kind]
			host := strings.TrimSuffix(want[strings.Index(want, "//")+2:], "/")
			switch kind {
			case "udp":
				host = want
				dial = netcode.DialUDP
			case "ws":
				dial = func(ap netip.AddrPort) (transport.Transport, error) {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					return webclient.DialWS(ctx, want, ap, nil)
				}
			case "wt":
				var hashes [][32]byte
				for _, h := range tr.CertHashes {
					b, _ := base64.StdEncoding.DecodeString(h)
					hashes = append(hashes, [32]byte(b))
				}
				dial = func(ap netip.AddrPort) (transport.Transport, error) {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					return webclient.DialWT(ctx, want, ap, webclient.PinnedTLS(hashes...))
				}
			}
			pt, err := netcode.ParseConnectToken(tok)
			if err != nil {
				t.Fatal(err)
			}
			// Put this transport's address first so the client tries it.
			for i, ap := range pt.ServerAddresses {
				if ap.String() == host {
					pt.ServerAddresses[0], pt.ServerAddresses[i] = pt.ServerAddresses[i], pt.ServerAddresses[0]
				}
			}
			if pt.ServerAddresses[0].String() != host {
				t.Fatalf("%s (%s) not in the token's addresses %v", kind, host, pt.ServerAddresses)
			}
			tok, _ = pt.MarshalBinary()
			c := netcode.NewClient(tok, netcode.ClientConfig{ClientID: tr.ClientID, Dial: dial})
			defer c.Close()
			if err := c.Connect(); err != nil {
				t.Fatal(err)
			}
			next, got := 0, 0
			for end := time.Now().Add(10 * time.Second); got < 100; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("state %v, %d echoes", c.State(), got)
				}
				if err := c.Update(5 * time.Millisecond); err != nil {
					t.Fatal(err)
				}
				if c.State() != core.StateConnected {
					continue
				}
				for p, ok := c.Receive(); ok; p, ok = c.Receive() {
					if !bytes.Equal(p, []byte(strings.Repeat(kind, got%300+1))) {
						t.Fatalf("echo %d: %q", got, p)
					}
					got++
				}
				for ; next < 100 && next < got+4; next++ {
					if err := c.Send([]byte(strings.Repeat(kind, next%300+1))); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
	if !strings.Contains(out.String(), "wt cert sha-256 ") {
		t.Errorf("no certificate hash printed:\n%s", out.String())
	}
}

func TestLywebRefusesOpenTokenEndpoint(t *testing.T) {
	err := run(context.Background(), []string{"-udp", "", "-ws", "", "-wt", "127.0.0.1:0", "-http", "0.0.0.0:0"}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("%v", err)
	}
	err = run(context.Background(), []string{"-udp", "", "-ws", "0.0.0.0:0", "-wt", ""}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("plain ws off loopback: %v", err)
	}
}
