package tokenservice

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestBadCredentialsAre401(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	now := time.Now()
	with := func(k string, v any) string {
		c := claims("1")
		c[k] = v
		return signHS(t, testSecret, c)
	}
	without := func(k string) string {
		c := claims("1")
		delete(c, k)
		return signHS(t, testSecret, c)
	}
	valid := signHS(t, testSecret, claims("1"))
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims("1")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, header string }{
		{"bad signature", "Bearer " + signHS(t, []byte("another-secret-another-secret-another"), claims("1"))},
		{"tampered payload", "Bearer " + tamper(valid)},
		{"expired", "Bearer " + with("exp", now.Add(-time.Minute).Unix())},
		{"no expiry", "Bearer " + without("exp")},
		{"wrong audience", "Bearer " + with("aud", "someone-else")},
		{"no audience", "Bearer " + without("aud")},
		{"wrong issuer", "Bearer " + with("iss", "https://evil.test")},
		{"not yet valid", "Bearer " + with("nbf", now.Add(time.Minute).Unix())},
		{"alg none", "Bearer " + unsigned},
		{"no subject", "Bearer " + without("sub")},
		{"not a jwt", "Bearer hello"},
		{"basic scheme", "Basic dXNlcjpwYXNz"},
		{"no header", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.url, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := r.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// The valid credential passes, so the refusals above are the claims'.
	if resp, body := r.post(t, valid, nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("valid credential: %d %s", resp.StatusCode, body)
	}
	if n := r.handler.Metrics().Refused(reasonUnauthorized); n != 13 {
		t.Errorf("unauthorized metric %d, want 13", n)
	}
	if logs := r.logs.String(); strings.Contains(logs, valid) || strings.Contains(logs, "dXNlcjpwYXNz") {
		t.Error("a credential reached the logs")
	}
}

// tamper changes the payload's first character, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[1] == 'A' {
		p[1] = 'B'
	} else {
		p[1] = 'A'
	}
	parts[1] = string(p)
	return strings.Join(parts, ".")
}

func TestJWTLeeway(t *testing.T) {
	base := time.Unix(1_800_000_000, 0)
	clock := base
	v := mustVerifier(t, JWTConfig{HS256Secret: testSecret, Leeway: 5 * time.Second, Now: func() time.Time { return clock }})
	c := claims("9")
	c["exp"] = base.Unix()
	c["nbf"] = base.Unix() - 60
	tok := signHS(t, testSecret, c)
	clock = base.Add(4 * time.Second)
	if _, err := v.Authenticate(context.Background(), tok); err != nil {
		t.Errorf("4 s after exp with 5 s leeway: %v", err)
	}
	clock = base.Add(6 * time.Second)
	if _, err := v.Authenticate(context.Background(), tok); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("6 s after exp with 5 s leeway: %v", err)
	}
	if _, err := NewJWTVerifier(JWTConfig{HS256Secret: testSecret, Issuer: "i", Audience: "a", Leeway: time.Hour}); err == nil {
		t.Error("an hour of leeway accepted")
	}
}

func TestJWTAsymmetric(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, claims("77")).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewJWTVerifier(JWTConfig{PublicKey: &small.PublicKey, Issuer: "i", Audience: "a"}); err == nil {
		t.Error("a 1024-bit RSA key was accepted")
	}
	rsV := mustVerifier(t, JWTConfig{PublicKey: &rsaKey.PublicKey})
	edV := mustVerifier(t, JWTConfig{PublicKey: edPub})
	ctx := context.Background()
	if id, err := rsV.Authenticate(ctx, sign(jwt.SigningMethodRS256, rsaKey)); err != nil || id.ClientID != 77 {
		t.Errorf("RS256: %v %d", err, id.ClientID)
	}
	if id, err := edV.Authenticate(ctx, sign(jwt.SigningMethodEdDSA, edPriv)); err != nil || id.ClientID != 77 {
		t.Errorf("EdDSA: %v %d", err, id.ClientID)
	}
	// Each verifier refuses the other algorithms, including HS256 keyed
	// with the public key's bytes (algorithm confusion).
	if _, err := rsV.Authenticate(ctx, sign(jwt.SigningMethodEdDSA, edPriv)); err == nil {
		t.Error("RS256 verifier took EdDSA")
	}
	if _, err := edV.Authenticate(ctx, sign(jwt.SigningMethodHS256, []byte(edPub))); err == nil {
		t.Error("EdDSA verifier took HS256 keyed with the public key")
	}
	if _, err := rsV.Authenticate(ctx, sign(jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey))); err == nil {
		t.Error("RS256 verifier took HS256 keyed with the public key")
	}
	if _, err := rsV.Authenticate(ctx, sign(jwt.SigningMethodRS512, rsaKey)); err == nil {
		t.Error("RS256 verifier took RS512")
	}
}

func TestClientIDMapping(t *testing.T) {
	ctx := context.Background()
	hashV := mustVerifier(t, JWTConfig{HS256Secret: testSecret})
	strictV := mustVerifier(t, JWTConfig{HS256Secret: testSecret, RefuseNonNumeric: true})
	claimV := mustVerifier(t, JWTConfig{HS256Secret: testSecret, ClientIDClaim: "player_id"})

	id, err := hashV.Authenticate(ctx, signHS(t, testSecret, claims("18446744073709551615")))
	if err != nil || id.ClientID != 18446744073709551615 {
		t.Errorf("max uint64 subject: %v %d", err, id.ClientID)
	}
	id, err = hashV.Authenticate(ctx, signHS(t, testSecret, claims("alice@example.com")))
	if err != nil || id.ClientID != HashClientID("alice@example.com") || id.Subject != "alice@example.com" {
		t.Errorf("hashed subject: %v %d", err, id.ClientID)
	}
	// The documented hash, pinned so that it cannot drift (value computed
	// independently: Python hashlib.sha256 of the same bytes).
	if got := HashClientID("alice@example.com"); got != 0xeca128894bf96746 {
		t.Errorf("HashClientID(alice@example.com) = %#x", got)
	}
	if _, err := strictV.Authenticate(ctx, signHS(t, testSecret, claims("alice"))); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("strict verifier took a non-numeric subject: %v", err)
	}
	c := claims("alice")
	c["player_id"] = 9007199254740993 // above 2^53: a float64 would lose it
	id, err = claimV.Authenticate(ctx, signHS(t, testSecret, c))
	if err != nil || id.ClientID != 9007199254740993 || id.Subject != "alice" {
		t.Errorf("player_id claim: %v %d %q", err, id.ClientID, id.Subject)
	}
	big := mustVerifier(t, JWTConfig{HS256Secret: testSecret, UserDataClaims: []string{"blob"}})
	c = claims("1")
	c["blob"] = strings.Repeat("x", 300)
	if _, err := big.Authenticate(ctx, signHS(t, testSecret, c)); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("oversized user data: %v", err)
	}
}

func TestAuthenticatorFunc(t *testing.T) {
	hook := AuthenticatorFunc(func(_ context.Context, cred string) (Identity, error) {
		if cred != "let-me-in" {
			return Identity{}, ErrUnauthorized
		}
		id := Identity{ClientID: 5}
		copy(id.UserData[:], "hook")
		return id, nil
	})
	r := startRig(t, Config{ProtocolID: testProtocolID, Auth: hook})
	if resp, _ := r.post(t, "wrong", nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong credential: %d", resp.StatusCode)
	}
	resp, body := r.post(t, "let-me-in", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, priv := openToken(t, body, r.key)
	if priv.ClientID != 5 || string(priv.UserData[:4]) != "hook" {
		t.Errorf("client %d user data %q", priv.ClientID, priv.UserData[:4])
	}
}
