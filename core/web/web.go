// Package web adds browser transports to a netcode server from bind
// addresses with a scheme, the form the C API takes:
//
//	udp://0.0.0.0:40000   (or a bare 0.0.0.0:40000) a UDP socket
//	ws://127.0.0.1:8080   WebSocket, plain: loopback only
//	wss://0.0.0.0:443     WebSocket over TLS (CertFile/KeyFile)
//	wt://0.0.0.0:4433     WebTransport (a CA certificate, or self-signed
//	                      with its hashes served for serverCertificateHashes)
//
// A wildcard bind needs the address tokens carry: wt://0.0.0.0:4433?public=203.0.113.5:4433.
//
// Each ws/wss/wt address becomes a netcode.Listener: the server opens it
// at Start, and its public address joins the addresses tokens may carry.
package web

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
	"github.com/lightyear-conn/lightyear_conn/core/web/webcert"
	"github.com/lightyear-conn/lightyear_conn/core/web/wsock"
	"github.com/lightyear-conn/lightyear_conn/core/web/wtrans"
)

// Scheme is a bind address's transport.
type Scheme string

const (
	UDP Scheme = "udp"
	WS  Scheme = "ws"
	WSS Scheme = "wss"
	WT  Scheme = "wt"
)

// ErrBadBind reports a bind address ParseBind cannot read.
var ErrBadBind = errors.New("web: bad bind address")

// Bind is a parsed bind address.
type Bind struct {
	Scheme Scheme
	Addr   netip.AddrPort
	// Public, from "?public=ip:port", is the address tokens carry for it
	// (invalid when not given).
	Public netip.AddrPort
}

// ParseBind reads "scheme://ip:port[?public=ip:port]" (IPv6 in brackets).
// Without a scheme the address is UDP. Host names are refused: a server
// binds addresses, and tokens carry addresses.
func ParseBind(s string) (Bind, error) {
	var b Bind
	b.Scheme = UDP
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		b.Scheme, rest = Scheme(strings.ToLower(s[:i])), s[i+3:]
	}
	switch b.Scheme {
	case UDP, WS, WSS, WT:
	default:
		return Bind{}, fmt.Errorf("%w: scheme %q in %q (udp, ws, wss, wt)", ErrBadBind, b.Scheme, s)
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		q := rest[i+1:]
		rest = rest[:i]
		v, ok := strings.CutPrefix(q, "public=")
		if !ok {
			return Bind{}, fmt.Errorf("%w: %q: only ?public=ip:port is understood", ErrBadBind, s)
		}
		var err error
		if b.Public, err = netip.ParseAddrPort(v); err != nil {
			return Bind{}, fmt.Errorf("%w: %q: public: %v", ErrBadBind, s, err)
		}
	}
	var err error
	if b.Addr, err = netip.ParseAddrPort(strings.TrimSuffix(rest, "/")); err != nil {
		return Bind{}, fmt.Errorf("%w: %q: %v", ErrBadBind, s, err)
	}
	return b, nil
}

// Options configure a browser endpoint. The zero value gives the
// defaults of session.Limits, wsock and wtrans.
type Options struct {
	// Public is the address tokens carry for this endpoint; default the
	// bound one, which must then be specific. Port 0: the bound port.
	Public netip.AddrPort
	// Path of the upgrade or CONNECT request; default every path.
	Path string
	// A CA-issued certificate (wss: required; wt: optional): TLS, or
	// CertFile and KeyFile.
	TLS               *tls.Config
	CertFile, KeyFile string
	// CertValidity of wt's self-signed certificates (default 13 days, at
	// most webcert.MaxValidity), when no CA certificate is given.
	CertValidity time.Duration
	// AllowedOrigins: see session.OriginAllowed. Default: pages served
	// from loopback only.
	AllowedOrigins []string
	// HandshakeTimeout; default 5 s.
	HandshakeTimeout time.Duration
	// Limits bound sessions, per-IP sessions, queues, idle and slow
	// sessions.
	Limits session.Limits
	// Handlers are served beside a ws/wss endpoint's upgrade (e.g. the
	// wt endpoint's "/cert-hash" or a development token endpoint).
	Handlers map[string]http.Handler
}

type listener interface {
	transport.Transport
	Stats() session.Stats
}

// Endpoint is one browser listener of a netcode server. It outlives the
// server's Stop and Start: each Start opens a new socket, while the
// self-signed certificates (and so the hashes pages hold) stay.
type Endpoint struct {
	scheme Scheme
	addr   netip.AddrPort
	opts   Options
	certs  *webcert.Manager

	mu   sync.Mutex
	open listener
}

// NewEndpoint checks a ws, wss or wt bind address and its options, so
// that a bad configuration fails here rather than at Start: plain ws on
// an address other hosts can reach, wss without a certificate.
func NewEndpoint(bind string, opts Options) (*Endpoint, error) {
	pb, err := ParseBind(bind)
	if err != nil {
		return nil, err
	}
	scheme, addr := pb.Scheme, pb.Addr
	if pb.Public.IsValid() {
		opts.Public = pb.Public
	}
	e := &Endpoint{scheme: scheme, addr: addr, opts: opts}
	hasCert := opts.TLS != nil || opts.CertFile != ""
	switch scheme {
	case WS:
		if hasCert {
			return nil, fmt.Errorf("web: %s: ws takes no certificate; use wss://", bind)
		}
		err = wsock.CheckConfig(e.wsConfig())
	case WSS:
		if !hasCert {
			return nil, fmt.Errorf("web: %s: wss needs a CA-issued certificate (CertFile and KeyFile): browsers refuse self-signed ones for WebSocket", bind)
		}
		err = wsock.CheckConfig(e.wsConfig())
	case WT:
		if !hasCert {
			e.certs, err = webcert.New(webcert.Options{Validity: opts.CertValidity})
			if err != nil {
				return nil, err
			}
		}
		err = wtrans.CheckConfig(e.wtConfig())
	default:
		return nil, fmt.Errorf("web: %s: not a browser transport", bind)
	}
	if err != nil {
		return nil, fmt.Errorf("web: %s: %w", bind, err)
	}
	return e, nil
}

func (e *Endpoint) wsConfig() wsock.Config {
	return wsock.Config{
		Addr: e.addr, Path: e.opts.Path, TLS: e.opts.TLS, CertFile: e.opts.CertFile, KeyFile: e.opts.KeyFile,
		AllowedOrigins: e.opts.AllowedOrigins, HandshakeTimeout: e.opts.HandshakeTimeout,
		Limits: e.opts.Limits, Handlers: e.opts.Handlers,
	}
}

func (e *Endpoint) wtConfig() wtrans.Config {
	return wtrans.Config{
		Addr: e.addr, Path: e.opts.Path, TLS: e.opts.TLS, CertFile: e.opts.CertFile, KeyFile: e.opts.KeyFile,
		Certs: e.certs, AllowedOrigins: e.opts.AllowedOrigins, HandshakeTimeout: e.opts.HandshakeTimeout,
		Limits: e.opts.Limits,
	}
}

// Scheme and Addr are what NewEndpoint was given.
func (e *Endpoint) Scheme() Scheme          { return e.scheme }
func (e *Endpoint) Addr() netip.AddrPort    { return e.addr }
func (e *Endpoint) String() string          { return string(e.scheme) + "://" + e.addr.String() }
func (e *Endpoint) Certs() *webcert.Manager { return e.certs } // wt self-signed only, else nil

// Listener is what netcode.ServerConfig.Listeners takes.
func (e *Endpoint) Listener() netcode.Listener {
	return netcode.Listener{Name: e.String(), Open: e.listen, Public: e.opts.Public}
}

func (e *Endpoint) listen() (transport.Transport, error) {
	var l listener
	var err error
	if e.scheme == WT {
		l, err = wtrans.Listen(e.wtConfig())
	} else {
		l, err = wsock.Listen(e.wsConfig())
	}
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.open = l
	e.mu.Unlock()
	return l, nil
}

// LocalAddr is the open listener's address (its real port after binding
// port 0); invalid before the server starts.
func (e *Endpoint) LocalAddr() netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.open == nil {
		return netip.AddrPort{}
	}
	return e.open.LocalAddr()
}

// Stats are the counters of the listener the server opened last (zero
// before it starts).
func (e *Endpoint) Stats() session.Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.open == nil {
		return session.Stats{}
	}
	return e.open.Stats()
}

// Configure splits bind addresses into cfg: UDP ones are appended to
// Addresses (a "?public=" there is appended to PublicAddresses, which then
// must list every UDP public address), the others become Endpoints
// appended to Listeners, all with opts except Public, which comes from
// each bind's "?public=".
func Configure(cfg *netcode.ServerConfig, binds []string, opts Options) ([]*Endpoint, error) {
	var eps []*Endpoint
	opts.Public = netip.AddrPort{}
	for _, s := range binds {
		b, err := ParseBind(s)
		if err != nil {
			return nil, err
		}
		if b.Scheme == UDP {
			cfg.Addresses = append(cfg.Addresses, b.Addr)
			if b.Public.IsValid() {
				cfg.PublicAddresses = append(cfg.PublicAddresses, b.Public)
			}
			continue
		}
		e, err := NewEndpoint(s, opts)
		if err != nil {
			return nil, err
		}
		eps = append(eps, e)
		cfg.Listeners = append(cfg.Listeners, e.Listener())
	}
	return eps, nil
}
