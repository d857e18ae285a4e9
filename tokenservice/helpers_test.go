package tokenservice

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

const (
	testProtocolID = 0x1122334455667788
	testIssuer     = "https://auth.test"
	testAudience   = "lytokens-test"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// rig is a running service on 127.0.0.1 with a client pinned to its
// self-signed certificate.
type rig struct {
	url         string
	addr        string
	fingerprint string
	key         netcode.Key
	handler     *Handler
	client      *http.Client
	logs        *lockedWriter
}

// startRig serves cfg (Auth defaults to an HS256 verifier on testSecret,
// Directory to one server) until the test ends.
func startRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	if cfg.Auth == nil {
		cfg.Auth = mustVerifier(t, JWTConfig{HS256Secret: testSecret, UserDataClaims: []string{"team", "role"}})
	}
	if cfg.Directory == nil {
		cfg.Directory = StaticDirectory{netip.MustParseAddrPort("127.0.0.1:40000")}
	}
	if cfg.PrivateKey == (netcode.Key{}) {
		k, err := netcode.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		cfg.PrivateKey = k
	}
	logs := &lockedWriter{w: &bytes.Buffer{}}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, cert, cfg.Logger)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	fp := Fingerprint(cert.Certificate[0])
	return &rig{
		url:         "https://" + ln.Addr().String() + "/v1/token",
		addr:        ln.Addr().String(),
		fingerprint: fp,
		key:         cfg.PrivateKey,
		handler:     h,
		client:      pinnedClient(t, fp),
		logs:        logs,
	}
}

func pinnedClient(t *testing.T, fp string) *http.Client {
	t.Helper()
	tc, err := PinnedClientTLS(fp)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func mustVerifier(t *testing.T, cfg JWTConfig) *JWTVerifier {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = testIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = testAudience
	}
	v, err := NewJWTVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claims are valid for the test issuer and audience for a minute.
func claims(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": testIssuer,
		"aud": testAudience,
		"sub": sub,
		"iat": now.Unix(),
		"nbf": now.Add(-time.Second).Unix(),
		"exp": now.Add(time.Minute).Unix(),
	}
}

func signHS(t *testing.T, secret []byte, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// post sends a token request; body may be nil.
func (r *rig) post(t *testing.T, cred string, body []byte, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// openToken parses a token and opens its private part with key.
func openToken(t *testing.T, raw []byte, key netcode.Key) (*netcode.ConnectToken, *netcode.PrivateToken) {
	t.Helper()
	tok, err := netcode.ParseConnectToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := netcode.OpenPrivateToken(&tok.PrivateData, tok.ProtocolID, tok.ExpireTimestamp, &tok.Nonce, &key)
	if err != nil {
		t.Fatal(err)
	}
	return tok, priv
}

// selfSignedForTest is SelfSigned or the end of the test.
func selfSignedForTest(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
