package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/quic-go/webtransport-go"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
)

// caFiles makes a CA and a certificate for 127.0.0.1 it signed, written
// as PEM files: the "CA-issued certificate" setup, with a private CA.
func caFiles(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return certFile, keyFile, pool
}

// wss and wt with a CA-issued certificate, verified the ordinary way.
func TestCAIssuedCertificate(t *testing.T) {
	skipWTUnderWine(t)
	certFile, keyFile, pool := caFiles(t)
	key, _ := netcode.GenerateKey()
	cfg := netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key}
	eps, err := web.Configure(&cfg, []string{"wss://127.0.0.1:0", "wt://127.0.0.1:0"}, web.Options{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if eps[1].Certs() != nil {
		t.Fatal("wt with a CA certificate made self-signed ones")
	}
	srv, err := netcode.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	r := &rig{t: t, key: key, srv: srv, nextID: 1}
	tlsConf := &tls.Config{RootCAs: pool}
	wss, _ := r.client(eps[0].LocalAddr(), func(ap netip.AddrPort) (transport.Transport, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
		return webclient.DialWS(ctx, "wss://"+ap.String()+"/", ap, &websocket.DialOptions{HTTPClient: hc})
	})
	wt, _ := r.client(eps[1].LocalAddr(), func(ap netip.AddrPort) (transport.Transport, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return webclient.DialWT(ctx, "https://"+ap.String()+"/", ap, tlsConf)
	})
	r.connect(wss, wt)

	// Without the CA, the certificate is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ap := eps[0].LocalAddr()
	if c, err := webclient.DialWS(ctx, "wss://"+ap.String()+"/", ap, nil); err == nil {
		c.Close()
		t.Fatal("wss certificate accepted without its CA")
	}
}

// WebTransport applies the same origin rule and session limits.
func TestWTOriginAndPerIP(t *testing.T) {
	r := newRig(t, web.Options{Limits: session.Limits{MaxPerIP: 1, IdleTimeout: 300 * time.Millisecond}})
	addr := r.addrOf(r.wt)
	dial := func(origin string) (*http.Response, *webtransport.Session, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d := &webtransport.Transport{TLSClientConfig: webclient.PinnedTLS(r.wt.Certs().Hashes()...)}
		t.Cleanup(func() { d.Close() })
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return d.Dial(ctx, "https://"+addr.String()+"/", h)
	}
	if resp, _, err := dial("https://evil.example"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
	_, s1, err := dial("http://localhost:5173")
	if err != nil {
		t.Fatalf("loopback origin: %v", err)
	}
	defer s1.CloseWithError(0, "")
	if resp, _, err := dial(""); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second session from one IP: %v", err)
	}
	for end := time.Now().Add(5 * time.Second); r.wt.Stats().Accepted != 1 && time.Now().Before(end); {
		time.Sleep(time.Millisecond) // Accepted counts just after the answer is written
	}
	st := r.wt.Stats()
	if st.RefusedOrigin != 1 || st.RefusedPerIP != 1 || st.Accepted != 1 {
		t.Fatalf("%+v", st)
	}
	// s1 sends nothing: closed as idle, and the browser sees it end.
	select {
	case <-s1.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("silent session still open")
	}
	if st := r.wt.Stats(); st.ClosedIdle != 1 || st.Active != 0 {
		t.Fatalf("%+v", st)
	}
}

// Stopping the server ends every goroutine the browser transports and
// their sessions started.
func TestNoGoroutineLeftBehind(t *testing.T) {
	skipWTUnderWine(t)
	before := runtime.NumGoroutine()
	func() {
		key, _ := netcode.GenerateKey()
		cfg := netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key}
		eps, err := web.Configure(&cfg, []string{"ws://127.0.0.1:0", "wt://127.0.0.1:0"}, web.Options{})
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
		r := &rig{t: t, key: key, srv: srv, nextID: 1}
		ws, _ := r.client(eps[0].LocalAddr(), dialWS)
		wt, _ := r.client(eps[1].LocalAddr(), dialWT(eps[1]))
		r.connect(ws, wt)
		if err := srv.Stop(); err != nil { // first: sessions end under the clients
			t.Fatal(err)
		}
		ws.Close()
		wt.Close()
		if err := srv.Start(); err != nil { // a restart opens the listeners again
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		var ev core.Event
		for srv.PollEvent(&ev) {
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left:\n%s", n-before, buf[:runtime.Stack(buf, true)])
	}
}

// A wildcard bind serves at the public address its bind names; without one
// the server cannot know what tokens carry and refuses to start.
func TestWildcardBindWithPublic(t *testing.T) {
	skipWTUnderWine(t)
	key, _ := netcode.GenerateKey()
	cfg := netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key}
	if _, err := web.Configure(&cfg, []string{"wt://0.0.0.0:0"}, web.Options{}); err != nil {
		t.Fatal(err)
	}
	srv, err := netcode.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); !errors.Is(err, netcode.ErrInvalidConfig) {
		t.Fatalf("wildcard without public: %v", err)
	}

	cfg = netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key}
	eps, err := web.Configure(&cfg, []string{"wt://0.0.0.0:0?public=127.0.0.1:0"}, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if srv, err = netcode.NewServer(cfg); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	pub := srv.PublicAddresses()
	if len(pub) != 1 || pub[0] != netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), eps[0].LocalAddr().Port()) {
		t.Fatalf("public %v, bound %v", pub, eps[0].LocalAddr())
	}
	r := &rig{t: t, key: key, srv: srv, nextID: 1}
	c, _ := r.client(pub[0], dialWT(eps[0]))
	r.connect(c)
}
