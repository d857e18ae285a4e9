package session

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

var local = netip.MustParseAddrPort("127.0.0.1:4433")

func newTestHub(t *testing.T, lim Limits) *Hub {
	h := NewHub(local, lim)
	t.Cleanup(func() { h.Close() })
	return h
}

func admit(t *testing.T, h *Hub, remote string) *Session {
	t.Helper()
	s, err := h.Admit(netip.MustParseAddrPort(remote))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func msgs(n int) []transport.Message {
	m := make([]transport.Message, n)
	for i := range m {
		m[i].Buf = make([]byte, transport.MaxDatagram)
	}
	return m
}

// Sessions from one IP, or one QUIC connection, get distinct addresses
// with the peer's IP; limits refuse and count.
func TestAdmitAddressesAndLimits(t *testing.T) {
	h := newTestHub(t, Limits{MaxSessions: 5, MaxPerIP: 3})
	seen := map[netip.AddrPort]bool{}
	for range 3 {
		s := admit(t, h, "[::ffff:10.1.1.1]:999")
		if seen[s.Addr()] || s.Addr().Addr() != netip.MustParseAddr("10.1.1.1") {
			t.Fatalf("address %v", s.Addr())
		}
		seen[s.Addr()] = true
	}
	if _, err := h.Admit(netip.MustParseAddrPort("10.1.1.1:999")); err != ErrPerIP {
		t.Fatalf("4th from one IP: %v", err)
	}
	admit(t, h, "10.1.1.2:1")
	s5 := admit(t, h, "10.1.1.3:1")
	if _, err := h.Admit(netip.MustParseAddrPort("10.1.1.4:1")); err != ErrFull {
		t.Fatalf("6th: %v", err)
	}
	s5.Abort()
	admit(t, h, "10.1.1.4:1")
	st := h.Stats()
	if st.RefusedPerIP != 1 || st.RefusedFull != 1 || st.RefusedHandshake != 1 || st.Active != 5 {
		t.Fatalf("%+v", st)
	}
}

// A full receive queue drops and counts; ReadBatch returns what fits, in
// order, without allocating.
func TestReceiveQueue(t *testing.T) {
	h := newTestHub(t, Limits{RecvQueue: 4})
	s := admit(t, h, "10.0.0.1:1")
	for i := range 6 {
		s.Receive([]byte{byte(i), 1, 2})
	}
	s.Receive(make([]byte, DefaultMaxMessage+1))
	m := msgs(3)
	n, _ := h.ReadBatch(m)
	if n != 3 || h.ReadDrained() {
		t.Fatalf("first read %d", n)
	}
	for i := range n {
		if m[i].Buf[0] != byte(i) || m[i].N != 3 || m[i].Addr != s.Addr() {
			t.Fatalf("message %d: %+v", i, m[i])
		}
	}
	n, _ = h.ReadBatch(m)
	if n != 1 || m[0].Buf[0] != 3 || !h.ReadDrained() {
		t.Fatalf("second read %d", n)
	}
	st := h.Stats()
	if st.Received != 4 || st.RecvQueueFull != 2 || st.RecvOversized != 1 {
		t.Fatalf("%+v", st)
	}
	// One session's share is bounded; another still gets in.
	h2 := newTestHub(t, Limits{RecvQueue: 8, SessionRecvQueue: 3})
	flood, other := admit(t, h2, "10.0.0.1:1"), admit(t, h2, "10.0.0.2:1")
	for range 5 {
		flood.Receive([]byte{1})
	}
	other.Receive([]byte{2})
	if n, _ := h2.ReadBatch(msgs(8)); n != 4 || h2.Stats().RecvQueueFull != 2 {
		t.Fatalf("read %d, %+v", n, h2.Stats())
	}
	flood.Receive([]byte{1}) // its share came back with the read
	if n, _ := h2.ReadBatch(msgs(8)); n != 1 {
		t.Fatalf("after the read: %d", n)
	}

	allocs := testing.AllocsPerRun(100, func() {
		s.Receive([]byte{1, 2, 3})
		if n, _ := h.ReadBatch(m); n != 1 {
			t.Fatal("lost")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per message", allocs)
	}
}

// A stuck writer: the session's queue fills and drops, then the watchdog
// closes it as slow; later writes to it are dropped quietly.
func TestSlowSessionClosed(t *testing.T) {
	h := newTestHub(t, Limits{SendQueue: 2, WriteTimeout: 100 * time.Millisecond})
	s := admit(t, h, "10.0.0.1:1")
	var once sync.Once
	release := make(chan struct{})
	s.Start(func(ctx context.Context, b []byte) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
			return nil
		}
	}, func() { once.Do(func() { close(release) }) })
	m := []transport.Message{{Buf: []byte("x"), N: 1, Addr: s.Addr()}}
	for range 5 {
		if n, err := h.WriteBatch(m); n != 1 || err != nil {
			t.Fatal(n, err)
		}
		time.Sleep(time.Millisecond)
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.Stats().ClosedSlow == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not closed: %+v", h.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, err := h.WriteBatch(m); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	st := h.Stats()
	if st.SendQueueFull == 0 || st.SendNoSession != 1 || st.Active != 0 {
		t.Fatalf("%+v", st)
	}
	if st.Sent+st.SendQueueFull+st.SendFailed+st.SendNoSession != 6 {
		t.Fatalf("a message unaccounted for: %+v", st)
	}
}

func TestWriteBatchAllocs(t *testing.T) {
	h := newTestHub(t, Limits{})
	s := admit(t, h, "10.0.0.1:1")
	got := make(chan int, 1000)
	s.Start(func(ctx context.Context, b []byte) error { got <- len(b); return nil }, func() {})
	m := []transport.Message{{Buf: make([]byte, 100), N: 100, Addr: s.Addr()}}
	allocs := testing.AllocsPerRun(100, func() {
		h.WriteBatch(m)
		<-got
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per message", allocs)
	}
}

func TestCloseEndsSessions(t *testing.T) {
	h := NewHub(local, Limits{})
	s := admit(t, h, "10.0.0.1:1")
	closed := make(chan struct{})
	s.Start(func(ctx context.Context, b []byte) error { return nil }, func() { close(closed) })
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	<-closed
	if _, err := h.ReadBatch(msgs(1)); err != ErrClosed {
		t.Fatalf("read after close: %v", err)
	}
	if _, err := h.Admit(netip.MustParseAddrPort("10.0.0.1:1")); err != ErrClosed {
		t.Fatalf("admit after close: %v", err)
	}
	if st := h.Stats(); st.ClosedServer != 1 || st.Active != 0 {
		t.Fatalf("%+v", st)
	}
}

func TestOriginAllowed(t *testing.T) {
	for _, c := range []struct {
		allowed []string
		origin  string
		ok      bool
	}{
		{nil, "", true},
		{nil, "http://localhost:8000", true},
		{nil, "https://127.0.0.1", true},
		{nil, "http://[::1]:3000", true},
		{nil, "http://example.com", false},
		{nil, "null", false},
		{nil, "http://localhost.example.com", false},
		{[]string{"https://game.example"}, "https://GAME.example", true},
		{[]string{"https://game.example"}, "http://game.example", false},
		{[]string{"*"}, "http://anything", true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := OriginAllowed(c.allowed, r); got != c.ok {
			t.Errorf("%v %q: %v", c.allowed, c.origin, got)
		}
	}
}
