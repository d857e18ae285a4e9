package tokenclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/internal/nctest"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

const (
	testProtocol   = 0x4C59544F4B454E53
	goodCredential = "let-me-in"
)

// service is a real tokenservice on 127.0.0.1 over TLS with a self-signed
// certificate.
type service struct {
	url         string
	fingerprint string
	caFile      string
}

func startService(t *testing.T, dir tokenservice.Directory, key netcode.Key, ipRate tokenservice.Rate) *service {
	t.Helper()
	h, err := tokenservice.NewHandler(tokenservice.Config{
		ProtocolID: testProtocol,
		PrivateKey: key,
		Auth: tokenservice.AuthenticatorFunc(func(_ context.Context, cred string) (tokenservice.Identity, error) {
			if cred != goodCredential {
				return tokenservice.Identity{}, tokenservice.ErrUnauthorized
			}
			return tokenservice.Identity{ClientID: 42}, nil
		}),
		Directory: dir,
		IPRate:    ipRate,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tokenservice.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := tokenservice.NewServer(h, cert, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, tokenservice.CertificatePEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	return &service{
		url:         "https://" + ln.Addr().String(),
		fingerprint: tokenservice.Fingerprint(cert.Certificate[0]),
		caFile:      ca,
	}
}

func testKey(t *testing.T) netcode.Key {
	k, err := netcode.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var anyServer = tokenservice.StaticDirectory{netip.MustParseAddrPort("127.0.0.1:40000")}

// TestFetchConnects: a pinned fetch gets an octet-stream token that opens
// a real netcode connection.
func TestFetchConnects(t *testing.T) {
	key := testKey(t)
	gs := nctest.StartServer(t, testProtocol, key)
	svc := startService(t, tokenservice.StaticDirectory(gs.PublicAddresses()), key, tokenservice.Rate{})
	// Colons between the bytes, as openssl prints fingerprints.
	var fp []string
	for i := 0; i < len(svc.fingerprint); i += 2 {
		fp = append(fp, svc.fingerprint[i:i+2])
	}
	tok, err := Fetch(context.Background(), Options{URL: svc.url, Credential: goodCredential, Fingerprint: strings.ToUpper(strings.Join(fp, ":"))})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != TokenSize {
		t.Fatalf("token of %d bytes", len(tok))
	}
	_, id := nctest.Connect(t, gs, tok, nil)
	if id.ID != 42 {
		t.Errorf("server saw client %d, want 42", id.ID)
	}
}

func TestCAFile(t *testing.T) {
	svc := startService(t, anyServer, testKey(t), tokenservice.Rate{})
	if _, err := Fetch(context.Background(), Options{URL: svc.url + "/v1/token", Credential: goodCredential, CAFile: svc.caFile}); err != nil {
		t.Fatal(err)
	}
	// Another service's certificate as the CA: refused.
	other := startService(t, anyServer, testKey(t), tokenservice.Rate{})
	_, err := Fetch(context.Background(), Options{URL: svc.url, Credential: goodCredential, CAFile: other.caFile})
	wantKind(t, err, ErrTLS, 0)
	// Neither pin nor CA file: the system roots, which do not know it.
	_, err = Fetch(context.Background(), Options{URL: svc.url, Credential: goodCredential})
	wantKind(t, err, ErrTLS, 0)
}

func TestPinMismatch(t *testing.T) {
	svc := startService(t, anyServer, testKey(t), tokenservice.Rate{})
	other := startService(t, anyServer, testKey(t), tokenservice.Rate{})
	_, err := Fetch(context.Background(), Options{URL: svc.url, Credential: goodCredential, Fingerprint: other.fingerprint})
	wantKind(t, err, ErrTLS, 0)
	if !errors.Is(err, tokenservice.ErrPinMismatch) {
		t.Errorf("error %v does not wrap the pin mismatch", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	svc := startService(t, anyServer, testKey(t), tokenservice.Rate{})
	cases := map[string]Options{
		"http":           {URL: strings.Replace(svc.url, "https://", "http://", 1), Credential: goodCredential, Fingerprint: svc.fingerprint},
		"no scheme":      {URL: strings.TrimPrefix(svc.url, "https://"), Credential: goodCredential},
		"no credential":  {URL: svc.url, Fingerprint: svc.fingerprint},
		"space in cred":  {URL: svc.url, Credential: "a b", Fingerprint: svc.fingerprint},
		"bad pin":        {URL: svc.url, Credential: goodCredential, Fingerprint: "abcd"},
		"pin and CA":     {URL: svc.url, Credential: goodCredential, Fingerprint: svc.fingerprint, CAFile: svc.caFile},
		"missing CA":     {URL: svc.url, Credential: goodCredential, CAFile: filepath.Join(t.TempDir(), "none.pem")},
		"negative limit": {URL: svc.url, Credential: goodCredential, Fingerprint: svc.fingerprint, Timeout: -time.Second},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Fetch(context.Background(), o)
			wantKind(t, err, ErrInvalidOptions, 0)
		})
	}
	_, err := Fetch(context.Background(), cases["http"])
	if !strings.Contains(err.Error(), "only https://") {
		t.Errorf("http:// refused with %q", err)
	}
}

func TestUnauthorized(t *testing.T) {
	svc := startService(t, anyServer, testKey(t), tokenservice.Rate{})
	_, err := Fetch(context.Background(), Options{URL: svc.url, Credential: "wrong", Fingerprint: svc.fingerprint})
	wantKind(t, err, ErrUnauthorized, 401)
	if !strings.Contains(err.Error(), "HTTP 401: Unauthorized") {
		t.Errorf("error %q lacks the status and the service's text", err)
	}
}

func TestRateLimited(t *testing.T) {
	svc := startService(t, anyServer, testKey(t), tokenservice.Rate{PerSecond: 0.01, Burst: 1})
	o := Options{URL: svc.url, Credential: goodCredential, Fingerprint: svc.fingerprint}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Fetch(context.Background())
	wantKind(t, err, ErrRateLimited, 429)
	var e *Error
	errors.As(err, &e)
	if e.RetryAfter < time.Second {
		t.Errorf("Retry-After %v, want the service's wait", e.RetryAfter)
	}
	if !strings.Contains(err.Error(), "retry after") {
		t.Errorf("error %q does not carry Retry-After", err)
	}
}

func TestNoServer(t *testing.T) {
	svc := startService(t, tokenservice.StaticDirectory{}, testKey(t), tokenservice.Rate{})
	_, err := Fetch(context.Background(), Options{URL: svc.url, Credential: goodCredential, Fingerprint: svc.fingerprint, Tag: "eu"})
	wantKind(t, err, ErrNoServer, 503)
}

// TestTimeout: a service that accepts and never answers.
func TestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	start := time.Now()
	_, err = Fetch(context.Background(), Options{URL: "https://" + ln.Addr().String(), Credential: goodCredential,
		Fingerprint: strings.Repeat("00", 32), Timeout: 300 * time.Millisecond})
	wantKind(t, err, ErrTimeout, 0)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

// answering is an HTTPS server answering every request with f, and the
// number of TLS connections it accepted.
func answering(t *testing.T, f http.HandlerFunc) (url, pin string, conns *atomic.Int32) {
	ts := httptest.NewUnstartedServer(f)
	conns = new(atomic.Int32)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL, tokenservice.Fingerprint(ts.Certificate().Raw), conns
}

func TestMalformedAnswers(t *testing.T) {
	token := make([]byte, TokenSize)
	cases := []struct {
		name  string
		ctype string
		body  string
	}{
		{"oversized", "application/octet-stream", strings.Repeat("x", TokenSize+1)},
		{"huge", "application/octet-stream", strings.Repeat("x", 10<<20)},
		{"short", "application/octet-stream", "abc"},
		{"bad JSON", "application/json", "{"},
		{"JSON short token", "application/json", `{"token":"AAAA"}`},
		{"JSON oversized", "application/json", `{"token":"` + strings.Repeat("A", 20<<10) + `"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, pin, _ := answering(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.ctype)
				io.WriteString(w, c.body)
			})
			_, err := Fetch(context.Background(), Options{URL: url, Credential: "x", Fingerprint: pin})
			wantKind(t, err, ErrHTTP, 200)
			if !strings.Contains(err.Error(), "malformed answer") {
				t.Errorf("error %q", err)
			}
		})
	}
	t.Run("JSON token", func(t *testing.T) {
		url, pin, _ := answering(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"token":%q,"expires_at":1}`, base64.StdEncoding.EncodeToString(token))
		})
		if _, err := Fetch(context.Background(), Options{URL: url, Credential: "x", Fingerprint: pin}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("other status", func(t *testing.T) {
		url, pin, _ := answering(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "teapot "+strings.Repeat("!", 4096), http.StatusTeapot)
		})
		_, err := Fetch(context.Background(), Options{URL: url, Credential: "x", Fingerprint: pin})
		wantKind(t, err, ErrHTTP, 418)
		if len(err.Error()) > 700 {
			t.Errorf("the service's text is not bounded: %d bytes", len(err.Error()))
		}
	})
	t.Run("redirect not followed", func(t *testing.T) {
		url, pin, _ := answering(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/token" {
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
				return
			}
			t.Errorf("redirect followed to %s", r.URL.Path)
		})
		_, err := Fetch(context.Background(), Options{URL: url, Credential: "x", Fingerprint: pin})
		wantKind(t, err, ErrHTTP, 307)
	})
}

// TestRequestAndKeepAlive: the request carries the bearer and the tag,
// and one Client reuses its connection.
func TestRequestAndKeepAlive(t *testing.T) {
	url, pin, conns := answering(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/custom/path" ||
			r.Header.Get("Authorization") != "Bearer "+goodCredential || string(body) != `{"tag":"eu"}` {
			http.Error(w, fmt.Sprintf("%s %s %q %q", r.Method, r.URL.Path, r.Header.Get("Authorization"), body), http.StatusBadRequest)
			return
		}
		w.Write(make([]byte, TokenSize))
	})
	c, err := New(Options{URL: url + "/custom/path", Credential: goodCredential, Fingerprint: pin, Tag: "eu"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 3; i++ {
		if _, err := c.Fetch(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 fetches, want 1 (keep-alive)", n)
	}
}

func TestCanceled(t *testing.T) {
	url, pin, _ := answering(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Fetch(ctx, Options{URL: url, Credential: "x", Fingerprint: pin})
	wantKind(t, err, ErrCanceled, 0)
}

func TestNetworkError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	_, err = Fetch(context.Background(), Options{URL: "https://" + addr, Credential: "x", Fingerprint: strings.Repeat("00", 32)})
	wantKind(t, err, ErrNetwork, 0)
}

func wantKind(t *testing.T, err, kind error, status int) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want %v", err, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not an *Error", err)
	}
	if e.Status != status {
		t.Errorf("status %d, want %d (%v)", e.Status, status, err)
	}
}
