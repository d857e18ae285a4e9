// Package webcert makes and rotates the self-signed certificates a
// browser accepts for WebTransport without a CA: ECDSA P-256, valid at
// most 14 days, pinned by the page through serverCertificateHashes (the
// W3C WebTransport rules). It publishes each certificate's SHA-256 hash
// before presenting it and keeps the old one's published until it
// expires, so a page holding a hash fetched a moment ago still connects.
// Rotation changes only what new TLS handshakes get: open sessions keep
// theirs.
package webcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"
)

// MaxValidity is the longest validity browsers accept with
// serverCertificateHashes.
const MaxValidity = 14 * 24 * time.Hour

// Options configure a Manager. The zero value gives the defaults.
type Options struct {
	// Validity of each certificate, NotBefore to NotAfter; default
	// 13 days (a day of margin under MaxValidity), at most MaxValidity.
	// A new certificate is made when the presented one is half as old.
	Validity time.Duration
	// Lead is how long a new certificate's hash is published before the
	// certificate is presented; default 1 hour, at most Validity/4. Pages
	// that fetched the hashes during the lead hold both.
	Lead time.Duration
	// Hosts go into the certificate as DNS names or IP addresses; default
	// localhost, 127.0.0.1 and ::1. Browsers pinning the hash do not
	// check them; other clients may.
	Hosts []string
	// Now is the clock; default time.Now. Tests move it.
	Now func() time.Time
}

type cert struct {
	tls       tls.Certificate
	hash      [32]byte
	notAfter  time.Time
	created   time.Time
	presentAt time.Time
}

// Manager holds the certificates. Safe for concurrent use.
type Manager struct {
	opts  Options
	mu    sync.Mutex
	certs []*cert // oldest first, unexpired
}

// New makes a Manager with its first certificate, presented at once.
func New(opts Options) (*Manager, error) {
	if opts.Validity == 0 {
		opts.Validity = 13 * 24 * time.Hour
	}
	if opts.Validity < time.Minute || opts.Validity > MaxValidity {
		return nil, fmt.Errorf("webcert: validity %v outside 1m..%v", opts.Validity, MaxValidity)
	}
	if opts.Lead <= 0 {
		opts.Lead = time.Hour
	}
	opts.Lead = min(opts.Lead, opts.Validity/4)
	if len(opts.Hosts) == 0 {
		opts.Hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts}
	now := opts.Now()
	c, err := m.make(now, now)
	if err != nil {
		return nil, err
	}
	m.certs = []*cert{c}
	return m, nil
}

func (m *Manager) make(now, presentAt time.Time) (*cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webcert: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("webcert: %w", err)
	}
	// Backdated a minute for clients whose clock runs behind; the whole
	// span stays within Validity.
	notBefore := now.Add(-time.Minute).UTC()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "lightyear_conn webtransport"},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(m.opts.Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range m.opts.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("webcert: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("webcert: %w", err)
	}
	return &cert{
		tls:       tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		hash:      sha256.Sum256(der),
		notAfter:  tmpl.NotAfter,
		created:   now,
		presentAt: presentAt,
	}, nil
}

// refresh makes the next certificate when due and forgets expired ones.
// Called with mu held. A failure to make one keeps the current one, which
// is still valid for half its life.
func (m *Manager) refresh(now time.Time) {
	newest := m.certs[len(m.certs)-1]
	if now.Sub(newest.created) >= m.opts.Validity/2-m.opts.Lead {
		if c, err := m.make(now, now.Add(m.opts.Lead)); err == nil {
			m.certs = append(m.certs, c)
		}
	}
	keep := m.certs[:0]
	for i, c := range m.certs {
		if now.Before(c.notAfter) || i == len(m.certs)-1 {
			keep = append(keep, c)
		}
	}
	m.certs = keep
}

// presented is the newest certificate whose time has come. mu held.
func (m *Manager) presented(now time.Time) *cert {
	for i := len(m.certs) - 1; i > 0; i-- {
		if !now.Before(m.certs[i].presentAt) {
			return m.certs[i]
		}
	}
	return m.certs[0]
}

// Rotate makes a new certificate and presents it at once, as when the key
// may have leaked. Open sessions keep the old one.
func (m *Manager) Rotate() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	c, err := m.make(now, now)
	if err != nil {
		return err
	}
	m.certs = append(m.certs, c)
	return nil
}

// GetCertificate is tls.Config.GetCertificate: the certificate new
// handshakes get.
func (m *Manager) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	m.refresh(now)
	c := m.presented(now)
	if !now.Before(c.notAfter) {
		return nil, errors.New("webcert: every certificate expired")
	}
	return &c.tls, nil
}

// Hashes are the SHA-256 hashes of the certificates a page should accept
// now: the presented one, the next one during its lead, and older ones
// until they expire. Newest first.
func (m *Manager) Hashes() [][32]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refresh(m.opts.Now())
	out := make([][32]byte, 0, len(m.certs))
	for i := len(m.certs) - 1; i >= 0; i-- {
		out = append(out, m.certs[i].hash)
	}
	return out
}

// Presented is the hash of the certificate new handshakes get now.
func (m *Manager) Presented() [32]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	m.refresh(now)
	return m.presented(now).hash
}

// HashList is the JSON that Handler serves.
type HashList struct {
	Algorithm string   `json:"algorithm"` // "sha-256", as serverCertificateHashes names it
	Hashes    []string `json:"hashes"`    // standard base64, newest first
}

// Handler serves HashList as JSON (GET /cert-hash, by convention). The
// hashes are public; any origin may read them. Serve it from an origin the
// page trusts (the page's own server, or a wss endpoint with a CA-issued
// certificate): a browser cannot fetch it over the self-signed WebTransport
// listener itself.
func (m *Manager) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		list := HashList{Algorithm: "sha-256"}
		for _, h := range m.Hashes() {
			list.Hashes = append(list.Hashes, base64.StdEncoding.EncodeToString(h[:]))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_ = json.NewEncoder(w).Encode(list)
	})
}
