package webcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func leaf(t *testing.T, m *Manager) *x509.Certificate {
	t.Helper()
	c, err := m.GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(c.Certificate[0]) != m.Presented() {
		t.Fatal("Presented is not the hash of the certificate handed out")
	}
	return x
}

// What browsers require of a certificate pinned by hash.
func TestCertificateMeetsBrowserRules(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := leaf(t, m)
	pub, ok := x.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", x.PublicKey)
	}
	if span := x.NotAfter.Sub(x.NotBefore); span > MaxValidity {
		t.Fatalf("valid for %v", span)
	}
	if now := time.Now(); now.Before(x.NotBefore) || now.After(x.NotAfter) {
		t.Fatal("not valid now")
	}
	for _, v := range []time.Duration{MaxValidity + time.Second, time.Second} {
		if _, err := New(Options{Validity: v}); err == nil {
			t.Errorf("validity %v accepted", v)
		}
	}
}

// The next certificate is published a lead before it is presented, at
// half-life; the old one stays published until it expires.
func TestRotationSchedule(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	day := 24 * time.Hour
	m, err := New(Options{Validity: 10 * day, Lead: time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	first := m.Presented()
	c.t = c.t.Add(5*day - 2*time.Hour)
	if h := m.Hashes(); len(h) != 1 || m.Presented() != first {
		t.Fatalf("rotated early: %d hashes", len(h))
	}
	c.t = c.t.Add(90 * time.Minute) // in the lead: published, not presented
	h := m.Hashes()
	if len(h) != 2 || h[1] != first || m.Presented() != first {
		t.Fatalf("lead: %d hashes, presented first %v", len(h), m.Presented() == first)
	}
	next := h[0]
	c.t = c.t.Add(time.Hour)
	if m.Presented() != next {
		t.Fatal("next certificate not presented after the lead")
	}
	if x := leaf(t, m); c.t.Before(x.NotBefore) || c.t.After(x.NotAfter) {
		t.Fatal("presented certificate not valid now")
	}
	if h := m.Hashes(); len(h) != 2 || h[1] != first {
		t.Fatal("old hash dropped while the old certificate is valid")
	}
	c.t = time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC) // the first expired
	for _, x := range m.Hashes() {
		if x == first {
			t.Fatal("expired certificate still published")
		}
	}
}

func TestHandler(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/cert-hash", nil))
	var list HashList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	p := m.Presented()
	if list.Algorithm != "sha-256" || len(list.Hashes) != 1 || list.Hashes[0] != base64.StdEncoding.EncodeToString(p[:]) {
		t.Fatalf("%+v", list)
	}
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/cert-hash", nil))
	if rec.Code != 405 {
		t.Fatalf("POST: %d", rec.Code)
	}
}
