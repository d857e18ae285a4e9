package tokenservice

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWrongPinRefused(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	other, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	client := pinnedClient(t, Fingerprint(other.Certificate[0]))
	req, _ := http.NewRequest(http.MethodPost, r.url, nil)
	req.Header.Set("Authorization", "Bearer "+signHS(t, testSecret, claims("1")))
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a client pinned to another certificate got an answer")
	}
	if !errors.Is(err, ErrPinMismatch) {
		t.Errorf("error %v, want ErrPinMismatch", err)
	}
	if r.handler.Metrics().Issued() != 0 {
		t.Error("a token was issued")
	}
	// The right pin still works on the same server.
	if resp, _ := r.post(t, signHS(t, testSecret, claims("1")), nil, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("right pin: status %d", resp.StatusCode)
	}
	if _, err := PinnedClientTLS("abcd"); err == nil {
		t.Error("a short fingerprint was accepted")
	}
}

func TestPlainHTTPFails(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/v1/token", nil)
	req.Header.Set("Authorization", "Bearer "+signHS(t, testSecret, claims("1")))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Go's TLS server answers a plain request with a bare 400.
		if resp.StatusCode != http.StatusBadRequest || len(body) == 2048 {
			t.Fatalf("plain HTTP: status %d, %d bytes", resp.StatusCode, len(body))
		}
	}
	if r.handler.Metrics().Issued() != 0 {
		t.Error("a token was issued over plain HTTP")
	}
}

func TestOldTLSRefused(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	tc, err := PinnedClientTLS(r.fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	tc.MinVersion = tls.VersionTLS10
	tc.MaxVersion = tls.VersionTLS11
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", r.addr, tc)
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake succeeded")
	}
	// And 1.2 is accepted.
	tc.MaxVersion = tls.VersionTLS12
	tc.MinVersion = tls.VersionTLS12
	conn, err = tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", r.addr, tc)
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	conn.Close()
}

func TestSelfSignedCertificate(t *testing.T) {
	cert, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf.PublicKeyAlgorithm.String() != "ECDSA" || cert.Leaf.NotAfter.Before(time.Now().Add(time.Hour)) {
		t.Errorf("algorithm %v, not after %v", cert.Leaf.PublicKeyAlgorithm, cert.Leaf.NotAfter)
	}
	fp := Fingerprint(cert.Certificate[0])
	if len(fp) != 64 || strings.ToLower(fp) != fp {
		t.Errorf("fingerprint %q", fp)
	}
	if !strings.HasPrefix(string(CertificatePEM(cert)), "-----BEGIN CERTIFICATE-----") {
		t.Error("CertificatePEM")
	}
}
