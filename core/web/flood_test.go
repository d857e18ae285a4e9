package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/quic-go/webtransport-go"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/web"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
)

// A flood of WebTransport sessions past MaxSessions is refused with 503
// and counted; the admitted ones that stay silent are closed as idle; the
// legitimate client is served throughout and the slots come back.
func TestWTSessionFlood(t *testing.T) {
	// The idle timeout outlasts the flood (10 dials: ~50 ms here, ~1.2 s
	// under qemu), so no slot frees up while it runs.
	r := newRig(t, web.Options{Limits: session.Limits{MaxSessions: 4, MaxPerIP: 100, IdleTimeout: 3 * time.Second}})
	good, goodID := r.client(r.addrOf(r.wt), dialWT(r.wt))
	r.connect(good)

	addr := r.addrOf(r.wt)
	var refused []int
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d := &webtransport.Transport{TLSClientConfig: webclient.PinnedTLS(r.wt.Certs().Hashes()...)}
		resp, s, err := d.Dial(ctx, "https://"+addr.String()+"/", nil)
		cancel()
		t.Cleanup(func() {
			if s != nil {
				s.CloseWithError(0, "")
			}
			d.Close()
		})
		if err != nil {
			if resp == nil {
				t.Fatalf("dial: %v", err)
			}
			refused = append(refused, resp.StatusCode)
		}
		r.step(good) // the good client keeps its connection alive meanwhile
	}
	if len(refused) != 7 {
		t.Fatalf("refused %v, want 7 (1 good + 3 flood sessions admitted): %+v", refused, r.wt.Stats())
	}
	for _, code := range refused {
		if code != http.StatusServiceUnavailable {
			t.Fatalf("refused with %d, want 503", code)
		}
	}
	r.until("silent sessions closed", 15*time.Second, func() bool {
		st := r.wt.Stats()
		return st.ClosedIdle == 3 && st.Active == 1
	}, good)
	if st := r.wt.Stats(); st.RefusedFull != 7 {
		t.Fatalf("refusals not counted: %+v", st)
	}
	r.exchange(30, []*netcode.Client{good}, []uint64{goodID})
	c2, id2 := r.client(r.addrOf(r.wt), dialWT(r.wt))
	r.connect(good, c2)
	r.exchange(20, []*netcode.Client{good, c2}, []uint64{goodID, id2})
}

// One session flooding garbage as fast as it can, over WebSocket and over
// WebTransport: what its share of the receive queue cannot hold is dropped
// and counted, what gets through netcode drops and counts, and the
// legitimate client's payloads all arrive meanwhile.
func TestOneSessionFloodsGarbage(t *testing.T) {
	for _, kind := range []string{"ws", "wt"} {
		t.Run(kind, func(t *testing.T) {
			r := newRig(t, web.Options{})
			e, dial := r.ws, dialWS
			if kind == "wt" {
				e, dial = r.wt, dialWT(r.wt)
			}
			good, goodID := r.client(r.addrOf(e), dial)
			r.connect(good)

			garbage := make([]byte, 1100) // fits a QUIC datagram on loopback
			for i := range garbage {
				garbage[i] = byte(i*7 + 1)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			send := floodSender(t, ctx, kind, e)
			sent := make(chan int, 1)
			go func() {
				n := 0
				for ctx.Err() == nil && send(garbage) == nil {
					n++
				}
				sent <- n
			}()
			dropped0 := r.srv.Stats().Dropped()
			r.exchange(200, []*netcode.Client{good}, []uint64{goodID})
			cancel()
			n := <-sent
			if kind == "ws" { // TCP loses nothing: every message is passed on or counted
				r.until("the flood accounted for", 5*time.Second, func() bool {
					st := e.Stats()
					return st.Received+st.RecvQueueFull >= uint64(n)
				}, good)
			}
			st := e.Stats()
			t.Logf("%d garbage messages sent; %+v; netcode dropped %d", n, st, r.srv.Stats().Dropped()-dropped0)
			if n < 1000 {
				t.Fatalf("only %d garbage messages sent: not a flood", n)
			}
			// Whether the flood outruns the reader and hits its share of the
			// receive queue depends on scheduling (under -race the reader
			// kept up once in CI); the share itself is tested in
			// core/web/session. Here: everything is passed on or counted,
			// and the good client is served.
			if r.srv.Stats().Dropped()-dropped0 == 0 {
				t.Fatal("no garbage reached netcode's counters")
			}
		})
	}
}

// floodSender opens a raw session (no netcode client) and returns its send.
func floodSender(t *testing.T, ctx context.Context, kind string, e *web.Endpoint) func([]byte) error {
	addr := e.LocalAddr()
	if kind == "ws" {
		c, _, err := rawWS(t, addr, "")
		if err != nil {
			t.Fatal(err)
		}
		return func(b []byte) error { return c.Write(ctx, websocket.MessageBinary, b) }
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := webclient.DialWT(dctx, "https://"+addr.String()+"/", addr, webclient.PinnedTLS(e.Certs().Hashes()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return func(b []byte) error {
		// Datagrams go out without flow control: pace the sender a little
		// so the flood is the server's problem, not the client's buffer.
		time.Sleep(10 * time.Microsecond)
		return c.Send(b)
	}
}
