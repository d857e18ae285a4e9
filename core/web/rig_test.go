package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
	"github.com/lightyear-conn/lightyear_conn/internal/wine"
)

const protocolID = 0x1122334455667788

const tick = 5 * time.Millisecond

// rig is a netcode server on 127.0.0.1 serving UDP, ws and wt at once,
// driven from the test goroutine like a game loop.
type rig struct {
	t      testing.TB
	key    netcode.Key
	srv    *netcode.Server
	ws, wt *web.Endpoint
	udp    netip.AddrPort
	events []core.Event
	nextID uint64
	echo   bool
}

func newRig(t testing.TB, opts web.Options) *rig {
	t.Helper()
	skipWTUnderWine(t)
	key, err := netcode.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key, MaxClients: 16}
	eps, err := web.Configure(&cfg, []string{"udp://127.0.0.1:0", "ws://127.0.0.1:0", "wt://127.0.0.1:0"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := netcode.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	pub := srv.PublicAddresses()
	if len(pub) != 3 {
		t.Fatalf("public addresses %v", pub)
	}
	return &rig{t: t, key: key, srv: srv, udp: pub[0], ws: eps[0], wt: eps[1], nextID: 1}
}

// addrOf is the address tokens carry for an endpoint: its public one.
func (r *rig) addrOf(e *web.Endpoint) netip.AddrPort { return e.LocalAddr() }

func (r *rig) token(addrs ...netip.AddrPort) (uint64, []byte) {
	r.t.Helper()
	id := r.nextID
	r.nextID++
	tok, err := netcode.GenerateConnectToken(netcode.TokenParams{
		ProtocolID: protocolID, ClientID: id, PrivateKey: r.key,
		PublicAddresses: addrs, ExpireSeconds: 30, TimeoutSeconds: 5,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	b, err := tok.MarshalBinary()
	if err != nil {
		r.t.Fatal(err)
	}
	return id, b
}

func dialWS(addr netip.AddrPort) (transport.Transport, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return webclient.DialWS(ctx, "ws://"+addr.String()+"/", addr, nil)
}

func dialWT(e *web.Endpoint) func(netip.AddrPort) (transport.Transport, error) {
	hashes := e.Certs().Hashes()
	return func(addr netip.AddrPort) (transport.Transport, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return webclient.DialWT(ctx, "https://"+addr.String()+"/", addr, webclient.PinnedTLS(hashes...))
	}
}

// client makes a netcode client for the address, over dial (nil: UDP).
func (r *rig) client(addr netip.AddrPort, dial func(netip.AddrPort) (transport.Transport, error)) (*netcode.Client, uint64) {
	r.t.Helper()
	id, tok := r.token(addr)
	c := netcode.NewClient(tok, netcode.ClientConfig{ClientID: id, Dial: dial})
	r.t.Cleanup(func() { c.Close() })
	if err := c.Connect(); err != nil {
		r.t.Fatal(err)
	}
	return c, id
}

// step updates the clients and the server once and collects events; with
// echo the server sends every payload back to its sender.
func (r *rig) step(clients ...*netcode.Client) {
	r.t.Helper()
	for _, c := range clients {
		if err := c.Update(tick); err != nil {
			r.t.Fatalf("client update: %v", err)
		}
	}
	if err := r.srv.Update(tick); err != nil {
		r.t.Fatalf("server update: %v", err)
	}
	var ev core.Event
	for r.srv.PollEvent(&ev) {
		if ev.Type == core.EventPayload && r.echo {
			if err := r.srv.Send(ev.Client, ev.Payload); err != nil {
				r.t.Fatalf("echo: %v", err)
			}
		}
		e := ev
		e.Payload = bytes.Clone(ev.Payload)
		r.events = append(r.events, e)
	}
	time.Sleep(tick)
}

func (r *rig) until(what string, limit time.Duration, done func() bool, clients ...*netcode.Client) {
	r.t.Helper()
	for end := time.Now().Add(limit); !done(); r.step(clients...) {
		if time.Now().After(end) {
			r.t.Fatalf("%s: not after %v", what, limit)
		}
	}
}

func (r *rig) connect(clients ...*netcode.Client) {
	r.t.Helper()
	r.until("connected", 10*time.Second, func() bool {
		for _, c := range clients {
			if c.State() != core.StateConnected {
				return false
			}
		}
		return true
	}, clients...)
}

// payload i of client id: a size from 1 to 1200 and bytes that say whose
// and which it is.
func payload(id uint64, i int) []byte {
	n := 1 + (i*397)%netcode.MaxPayloadSize
	if i%10 == 9 {
		n = netcode.MaxPayloadSize
	}
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(uint64(j)*31 + id*7 + uint64(i)*13)
	}
	b[0] = byte(id)
	if n > 2 {
		b[1], b[2] = byte(i), byte(i>>8)
	}
	return b
}

// exchange sends count payloads from each client (a few per tick), has
// the server echo them, and checks that each client got its own back,
// byte for byte, and that the server saw them from the right client.
func (r *rig) exchange(count int, clients []*netcode.Client, ids []uint64) {
	r.t.Helper()
	r.echo = true
	defer func() { r.echo = false }()
	r.events = r.events[:0]
	got := make([]int, len(clients))
	sent := 0
	r.until(fmt.Sprintf("%d echoes each", count), 20*time.Second, func() bool {
		for k, c := range clients {
			for {
				p, ok := c.Receive()
				if !ok {
					break
				}
				if want := payload(ids[k], got[k]); !bytes.Equal(p, want) {
					r.t.Fatalf("client %d echo %d: %d bytes, want %d (first bytes %x)", ids[k], got[k], len(p), len(want), p[:min(3, len(p))])
				}
				got[k]++
			}
		}
		for ; sent < count && sent < minOf(got)+8; sent++ { // a window of 8 in flight
			for k, c := range clients {
				if err := c.Send(payload(ids[k], sent)); err != nil {
					r.t.Fatalf("client %d send: %v", ids[k], err)
				}
			}
		}
		for _, g := range got {
			if g < count {
				return false
			}
		}
		return true
	}, clients...)
	for _, ev := range r.events {
		if ev.Type == core.EventPayload && ev.Payload[0] != byte(ev.Client.ID) {
			r.t.Fatalf("payload of client %d came as %v", ev.Payload[0], ev.Client)
		}
	}
}

func minOf(v []int) int {
	m := v[0]
	for _, x := range v[1:] {
		m = min(m, x)
	}
	return m
}

// skipWTUnderWine skips a test that opens a WebTransport listener under
// wine: quic-go binds with Go's net.ListenUDP, which wine 8.0 fails
// (SIO_UDP_CONNRESET unimplemented, "winapi error #10045"; see
// core/transport's skipNetUDPUnderWine).
func skipWTUnderWine(t testing.TB) {
	t.Helper()
	if v, ok := wine.Version(); ok {
		t.Skipf("under wine %s, Go's net.ListenUDP fails (#10045), so WebTransport cannot listen", v)
	}
}
