package tokenservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"
)

func TestStaticDirectory(t *testing.T) {
	var d StaticDirectory
	for i := range 40 {
		d = append(d, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+i)))
	}
	got, err := d.Servers(context.Background(), "any", 32)
	if err != nil || len(got) != 32 || got[31].Port() != 40031 {
		t.Fatalf("%d addresses, %v", len(got), err)
	}
	got[0] = netip.AddrPort{}
	if !d[0].IsValid() {
		t.Error("Servers returned the directory's own slice")
	}
	if _, err := (StaticDirectory{}).Servers(context.Background(), "", 32); !errors.Is(err, ErrNoServers) {
		t.Errorf("empty directory: %v", err)
	}
}

// directoryFunc adapts a function for tests.
type directoryFunc func(ctx context.Context, tag string, max int) ([]netip.AddrPort, error)

func (f directoryFunc) Servers(ctx context.Context, tag string, max int) ([]netip.AddrPort, error) {
	return f(ctx, tag, max)
}

func TestDirectoryGetsTagAndFailuresAre503(t *testing.T) {
	// The directory runs on the server's goroutines.
	var (
		mu     sync.Mutex
		gotTag string
		gotMax int
		fail   bool
	)
	dir := directoryFunc(func(ctx context.Context, tag string, max int) ([]netip.AddrPort, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("directory called without a deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		gotTag, gotMax = tag, max
		if fail {
			return nil, fmt.Errorf("redis: connection refused")
		}
		return []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")}, nil
	})
	r := startRig(t, Config{ProtocolID: testProtocolID, Directory: dir, MaxServers: 3})
	cred := signHS(t, testSecret, claims("1"))
	if resp, _ := r.post(t, cred, []byte(`{"tag":"eu-west"}`), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mu.Lock()
	if gotTag != "eu-west" || gotMax != 3 {
		t.Errorf("directory got tag %q max %d", gotTag, gotMax)
	}
	fail = true
	mu.Unlock()
	resp, _ := r.post(t, cred, nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("failing directory: status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestServerTimeouts(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), selfSignedForTest(t), nil)
	if s.srv.ReadHeaderTimeout == 0 || s.srv.WriteTimeout == 0 || s.srv.IdleTimeout == 0 || s.srv.ReadTimeout == 0 {
		t.Errorf("timeouts %+v", s.srv)
	}
	if s.srv.TLSConfig.MinVersion < 0x0303 {
		t.Errorf("TLS minimum %#x", s.srv.TLSConfig.MinVersion)
	}
}
