package web_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
	"github.com/lightyear-conn/lightyear_conn/core/web/wsock"
)

// One server, three clients at once: UDP, WebSocket, WebTransport.
func TestUDPWSWTOnOneServer(t *testing.T) {
	r := newRig(t, web.Options{})
	udp, udpID := r.client(r.udp, nil)
	ws, wsID := r.client(r.addrOf(r.ws), dialWS)
	wt, wtID := r.client(r.addrOf(r.wt), dialWT(r.wt))
	clients := []*netcode.Client{udp, ws, wt}
	r.connect(clients...)
	if n := r.srv.NumConnected(); n != 3 {
		t.Fatalf("%d connected", n)
	}
	r.exchange(300, clients, []uint64{udpID, wsID, wtID})

	for _, e := range []*web.Endpoint{r.ws, r.wt} {
		st := e.Stats()
		if st.Accepted != 1 || st.Active != 1 || st.DroppedRecv() != 0 || st.DroppedSend() != 0 {
			t.Errorf("%v: %+v", e, st)
		}
		if st.Received < 300 || st.Sent < 300 {
			t.Errorf("%v: received %d sent %d, want at least 300", e, st.Received, st.Sent)
		}
	}
	// The server tells clients apart by transport: the WebSocket client's
	// address is its IP with a port the transport numbered.
	if a, ok := r.srv.ClientAddr(core.NetcodeID(wsID)); !ok || a.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("ws client address %v", a)
	}

	// A server-side disconnect reaches the browser clients.
	if err := r.srv.Disconnect(core.NetcodeID(wtID)); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.Disconnect(core.NetcodeID(wsID)); err != nil {
		t.Fatal(err)
	}
	r.until("disconnected", 5*time.Second, func() bool {
		return wt.State() == core.StateDisconnected && ws.State() == core.StateDisconnected
	}, clients...)
}

// A token must name the transport's public address, like UDP's.
func TestTokenForAnotherServerRefused(t *testing.T) {
	r := newRig(t, web.Options{})
	id, tok := r.token(netip.MustParseAddrPort("127.0.0.1:1"))
	_ = id
	c := netcode.NewClient(tok, netcode.ClientConfig{Dial: func(netip.AddrPort) (transport.Transport, error) { return dialWS(r.addrOf(r.ws)) }})
	t.Cleanup(func() { c.Close() })
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		r.step(c)
	}
	if c.State() == core.StateConnected || r.srv.NumConnected() != 0 {
		t.Fatal("connected with a token for another address")
	}
	if st := r.srv.Stats(); st.Dropped() == 0 {
		t.Fatalf("requests not counted as dropped: %+v", st)
	}
}

func TestPlainWSRefusedOffLoopback(t *testing.T) {
	for _, bind := range []string{"ws://0.0.0.0:0", "ws://[::]:0", "ws://192.0.2.1:8080"} {
		_, err := web.NewEndpoint(bind, web.Options{})
		if !errors.Is(err, wsock.ErrPlainNotLoopback) {
			t.Errorf("%s: %v, want ErrPlainNotLoopback", bind, err)
		}
	}
	if _, err := web.NewEndpoint("wss://0.0.0.0:0", web.Options{}); err == nil {
		t.Error("wss without a certificate accepted")
	}
	if _, err := web.NewEndpoint("ws://[::1]:0", web.Options{}); err != nil {
		t.Errorf("ws on ::1: %v", err)
	}
	for _, bad := range []string{"http://127.0.0.1:80", "wt://localhost:80", "wt://127.0.0.1:80?foo=1", "wt://0.0.0.0:1?public=x"} {
		if _, err := web.ParseBind(bad); !errors.Is(err, web.ErrBadBind) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	b, err := web.ParseBind("WT://[::]:4433?public=[2001:db8::1]:4433")
	if err != nil || b.Scheme != web.WT || b.Addr != netip.MustParseAddrPort("[::]:4433") || b.Public != netip.MustParseAddrPort("[2001:db8::1]:4433") {
		t.Errorf("%+v %v", b, err)
	}
	if b, err := web.ParseBind("127.0.0.1:40000"); err != nil || b.Scheme != web.UDP || b.Public.IsValid() {
		t.Errorf("bare address: %+v %v", b, err)
	}
}

func rawWS(t *testing.T, addr netip.AddrPort, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{}
	if origin != "" {
		opts.HTTPHeader = http.Header{"Origin": {origin}}
	}
	c, resp, err := websocket.Dial(ctx, "ws://"+addr.String()+"/", opts)
	if err == nil {
		c.SetReadLimit(-1)
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

// Text, oversized and garbage messages are dropped and counted; the
// server keeps serving a legitimate client meanwhile.
func TestWSHostileMessages(t *testing.T) {
	r := newRig(t, web.Options{})
	good, goodID := r.client(r.addrOf(r.ws), dialWS)
	r.connect(good)

	bad, _, err := rawWS(t, r.addrOf(r.ws), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(bad.Write(ctx, websocket.MessageText, []byte("hello")))
	must(bad.Write(ctx, websocket.MessageBinary, make([]byte, session.DefaultMaxMessage+1)))
	must(bad.Write(ctx, websocket.MessageBinary, []byte{0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9})) // garbage: netcode drops it
	must(bad.Write(ctx, websocket.MessageBinary, make([]byte, session.DefaultMaxMessage))) // zeros: a malformed request
	r.until("hostile messages counted", 5*time.Second, func() bool {
		st := r.ws.Stats()
		return st.RecvText == 1 && st.RecvOversized == 1 && r.srv.Stats().Dropped() >= 2
	}, good)
	r.exchange(50, []*netcode.Client{good}, []uint64{goodID})

	// Over the discard limit the connection is closed, and counted.
	// The server may close while this write is still going: no check.
	_ = bad.Write(ctx, websocket.MessageBinary, make([]byte, 100<<10))
	defer func() { t.Logf("%+v", r.ws.Stats()) }()
	r.until("huge message closes the session", 5*time.Second, func() bool {
		st := r.ws.Stats()
		return st.RecvOversized == 2 && st.ClosedPeer == 1 && st.Active == 1
	}, good)
	r.exchange(20, []*netcode.Client{good}, []uint64{goodID})
}

// Garbage and oversized WebTransport datagrams are dropped and counted.
func TestWTHostileDatagrams(t *testing.T) {
	r := newRig(t, web.Options{})
	good, goodID := r.client(r.addrOf(r.wt), dialWT(r.wt))
	r.connect(good)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr := r.addrOf(r.wt)
	bad, err := webclient.DialWT(ctx, "https://"+addr.String()+"/", addr, webclient.PinnedTLS(r.wt.Certs().Hashes()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bad.Close() })
	for range 5 {
		if err := bad.Send([]byte{0xff, 0xfe, 0xfd}); err != nil {
			t.Fatal(err)
		}
	}
	oversized := bad.Send(make([]byte, session.DefaultMaxMessage+5)) == nil
	r.until("garbage dropped by netcode", 5*time.Second, func() bool {
		return r.srv.Stats().Dropped() >= 5 && (!oversized || r.wt.Stats().RecvOversized == 1)
	}, good)
	if !oversized {
		t.Log("the QUIC path refused the oversized datagram at the client")
	}
	r.exchange(50, []*netcode.Client{good}, []uint64{goodID})
}

// Sessions beyond MaxSessions or MaxPerIP are refused with a status and
// counted; a silent session is closed and counted; legitimate clients
// keep being served.
func TestSessionLimits(t *testing.T) {
	r := newRig(t, web.Options{Limits: session.Limits{MaxSessions: 4, MaxPerIP: 4, IdleTimeout: 400 * time.Millisecond}})
	good, goodID := r.client(r.addrOf(r.ws), dialWS)
	r.connect(good)

	var refused []int
	for range 8 {
		_, resp, err := rawWS(t, r.addrOf(r.ws), "")
		if err != nil {
			if resp == nil {
				t.Fatalf("dial: %v", err)
			}
			refused = append(refused, resp.StatusCode)
		}
	}
	// 1 good + 3 flood sessions admitted; they send nothing.
	if len(refused) != 5 {
		t.Fatalf("refused %v, want 5", refused)
	}
	for _, code := range refused {
		if code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable {
			t.Fatalf("refused with %d", code)
		}
	}
	r.until("silent sessions closed", 5*time.Second, func() bool {
		st := r.ws.Stats()
		return st.ClosedIdle == 3 && st.Active == 1
	}, good)
	st := r.ws.Stats()
	if st.RefusedFull+st.RefusedPerIP != 5 {
		t.Fatalf("refusals not counted: %+v", st)
	}
	if good.State() != core.StateConnected {
		t.Fatal("the legitimate client was dropped")
	}
	r.exchange(30, []*netcode.Client{good}, []uint64{goodID})

	// The slots came back.
	c2, id2 := r.client(r.addrOf(r.ws), dialWS)
	r.connect(good, c2)
	r.exchange(20, []*netcode.Client{good, c2}, []uint64{goodID, id2})
}

func TestOriginChecked(t *testing.T) {
	r := newRig(t, web.Options{})
	for _, o := range []string{"http://evil.example", "null", "https://127.0.0.1.evil.example"} {
		_, resp, err := rawWS(t, r.addrOf(r.ws), o)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %s: %v", o, err)
		}
	}
	if _, _, err := rawWS(t, r.addrOf(r.ws), "http://localhost:3000"); err != nil {
		t.Fatalf("loopback origin: %v", err)
	}
	// Accepted counts once the upgrade's answer is written: poll.
	for end := time.Now().Add(5 * time.Second); r.ws.Stats().Accepted != 1 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if st := r.ws.Stats(); st.RefusedOrigin != 3 || st.Accepted != 1 {
		t.Fatalf("%+v", st)
	}

	r2 := newRig(t, web.Options{AllowedOrigins: []string{"https://game.example"}})
	if _, _, err := rawWS(t, r2.addrOf(r2.ws), "https://game.example"); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	if _, resp, err := rawWS(t, r2.addrOf(r2.ws), "http://localhost:3000"); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("loopback origin not in the list: %v", err)
	}
}

// Rotating the certificate changes what new sessions get; an open session
// goes on.
func TestCertificateRotation(t *testing.T) {
	r := newRig(t, web.Options{})
	old := r.wt.Certs().Presented()
	c1, id1 := r.client(r.addrOf(r.wt), dialWT(r.wt))
	r.connect(c1)

	if err := r.wt.Certs().Rotate(); err != nil {
		t.Fatal(err)
	}
	cur := r.wt.Certs().Presented()
	if cur == old {
		t.Fatal("rotation kept the certificate")
	}
	hashes := r.wt.Certs().Hashes()
	if len(hashes) != 2 || hashes[0] != cur || hashes[1] != old {
		t.Fatalf("hashes served %x, want new then old", hashes)
	}

	// A client pinning only the old hash is refused now...
	addr := r.addrOf(r.wt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := webclient.DialWT(ctx, "https://"+addr.String()+"/", addr, webclient.PinnedTLS(old)); err == nil {
		c.Close()
		t.Fatal("old certificate still presented to new sessions")
	}
	// ...one pinning the new one connects, and the first one keeps going.
	c2, id2 := r.client(addr, dialWT(r.wt))
	r.connect(c1, c2)
	r.exchange(50, []*netcode.Client{c1, c2}, []uint64{id1, id2})
	if st := r.wt.Stats(); st.ClosedPeer+st.ClosedIdle+st.ClosedSlow != 0 {
		t.Fatalf("a session was dropped: %+v", st)
	}
}

// When a session ends under a connected client, the server's sends to it
// are dropped quietly and counted until netcode times the client out.
func TestSendAfterSessionEnds(t *testing.T) {
	r := newRig(t, web.Options{})
	var raw transport.Transport
	c, id := r.client(r.addrOf(r.ws), func(ap netip.AddrPort) (transport.Transport, error) {
		tr, err := dialWS(ap)
		raw = tr
		return tr, err
	})
	r.connect(c)
	if err := raw.Close(); err != nil { // the socket only: no netcode disconnect
		t.Fatal(err)
	}
	r.until("session closed", 5*time.Second, func() bool { return r.ws.Stats().Active == 0 })
	before, sentBefore := r.ws.Stats().SendNoSession, r.srv.Stats().PacketsSent
	for range 3 {
		if err := r.srv.Send(core.NetcodeID(id), []byte("late")); err != nil {
			t.Fatal(err)
		}
	}
	// Each payload, and the keep-alive before it while the client is
	// unconfirmed: every packet sent is counted as without a session.
	got, sent := r.ws.Stats().SendNoSession-before, r.srv.Stats().PacketsSent-sentBefore
	if got < 3 || got != sent {
		t.Fatalf("%d packets counted as without session, %d sent", got, sent)
	}
	r.until("timed out", 10*time.Second, func() bool { return r.srv.NumConnected() == 0 })
}

// Stopping the server tells browser clients, as it tells UDP ones: its
// disconnect packets leave before the sessions close.
func TestStopTellsBrowserClients(t *testing.T) {
	r := newRig(t, web.Options{})
	ws, _ := r.client(r.addrOf(r.ws), dialWS)
	wt, _ := r.client(r.addrOf(r.wt), dialWT(r.wt))
	r.connect(ws, wt)
	if err := r.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(time.Second); ws.State() == core.StateConnected || wt.State() == core.StateConnected; time.Sleep(tick) {
		if time.Now().After(end) {
			t.Fatalf("clients not told: ws %v, wt %v", ws.State(), wt.State())
		}
		ws.Update(tick)
		wt.Update(tick)
	}
	if ws.DisconnectReason() != core.ReasonRemote || wt.DisconnectReason() != core.ReasonRemote {
		t.Fatalf("reasons ws %v, wt %v", ws.DisconnectReason(), wt.DisconnectReason())
	}
}

// A connection that never completes its upgrade is closed after the
// handshake timeout and counted.
func TestWSHandshakeTimeout(t *testing.T) {
	r := newRig(t, web.Options{HandshakeTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", r.addrOf(r.ws).String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("silent connection answered")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("silent connection not closed by the server")
	}
	for end := time.Now().Add(5 * time.Second); r.ws.Stats().RefusedHandshake != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%+v", r.ws.Stats())
		}
	}
}
