// Package wsock serves netcode over WebSocket: one connection is one
// netcode peer, one binary message is one netcode packet, nothing added.
// Text messages and messages over the size limit are dropped and counted.
package wsock

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
)

// ErrPlainNotLoopback refuses plain ws:// on an address other hosts can
// reach: browsers only allow it from secure pages to loopback anyway, and
// over a network it would carry tokens' handshakes in the clear. Use wss.
var ErrPlainNotLoopback = errors.New("wsock: plain ws is allowed on loopback addresses only; use wss with a certificate")

// discardLimit is the largest message read and discarded; a larger one
// makes the WebSocket library close the connection (counted as an
// oversized drop and a peer close). Reading up to it keeps a client that
// sends one oversized message connected, as a UDP peer would be.
const discardLimit = 64 << 10

// Config configures a Listener.
type Config struct {
	// Addr to bind (TCP). Port 0 picks one; LocalAddr reports it.
	Addr netip.AddrPort
	// Path of the upgrade; default "/", which takes every path not in
	// Handlers.
	Path string
	// TLS, or CertFile and KeyFile, make it wss. Without either the
	// listener is plain ws, allowed on loopback only.
	TLS               *tls.Config
	CertFile, KeyFile string
	// AllowedOrigins: see session.OriginAllowed (default loopback pages).
	AllowedOrigins []string
	// HandshakeTimeout bounds the TLS handshake and the upgrade request;
	// default 5 s.
	HandshakeTimeout time.Duration
	// Limits bound sessions and queues.
	Limits session.Limits
	// Handlers are served beside the upgrade on the same listener, by
	// path pattern (e.g. "/cert-hash").
	Handlers map[string]http.Handler
}

// Listener is a WebSocket endpoint and the transport.Transport of its
// sessions.
type Listener struct {
	*session.Hub
	cfg Config
	srv *http.Server
	ln  net.Listener
	// fresh holds connections that have not sent a request yet.
	fresh sync.Map
}

var _ transport.Transport = (*Listener)(nil)

// CheckConfig reports a configuration Listen would refuse, without
// binding anything.
func CheckConfig(cfg Config) error {
	if !cfg.Addr.IsValid() {
		return fmt.Errorf("%w: %v", transport.ErrInvalidAddr, cfg.Addr)
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return errors.New("wsock: CertFile and KeyFile go together")
	}
	if cfg.TLS == nil && cfg.CertFile == "" && !cfg.Addr.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("%w (%v)", ErrPlainNotLoopback, cfg.Addr)
	}
	return nil
}

// Listen binds and starts serving.
func Listen(cfg Config) (*Listener, error) {
	if err := CheckConfig(cfg); err != nil {
		return nil, err
	}
	if cfg.Path == "" {
		cfg.Path = "/"
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 5 * time.Second
	}
	tlsConf := cfg.TLS
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("wsock: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", cfg.Addr.String())
	if err != nil {
		return nil, fmt.Errorf("wsock: %w", err)
	}
	local, _ := netip.ParseAddrPort(ln.Addr().String())
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	if tlsConf != nil {
		tlsConf = tlsConf.Clone()
		tlsConf.NextProtos = []string{"http/1.1"} // the upgrade is HTTP/1.1
		ln = tls.NewListener(ln, tlsConf)
	}
	l := &Listener{Hub: session.NewHub(local, cfg.Limits), cfg: cfg, ln: ln}
	mux := http.NewServeMux()
	for p, h := range cfg.Handlers {
		mux.Handle(p, h)
	}
	mux.HandleFunc(cfg.Path, l.serve)
	l.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.HandshakeTimeout, // also bounds the TLS handshake
		IdleTimeout:       cfg.HandshakeTimeout,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // hostile handshakes are counted, not logged
		ConnState:         l.connState,
	}
	go l.srv.Serve(ln)
	return l, nil
}

// connState counts connections that closed before sending one request: a
// failed TLS handshake, or silence until HandshakeTimeout.
func (l *Listener) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		l.fresh.Store(c, struct{}{})
	case http.StateActive, http.StateHijacked:
		l.fresh.Delete(c)
	case http.StateClosed:
		if _, ok := l.fresh.LoadAndDelete(c); ok {
			l.CountRefusedHandshake()
		}
	}
}

// Close stops accepting, then closes every session.
func (l *Listener) Close() error {
	err := l.srv.Close() // closes the listener; hijacked connections are the Hub's
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, l.Hub.Close())
}

func (l *Listener) serve(w http.ResponseWriter, r *http.Request) {
	if !session.OriginAllowed(l.cfg.AllowedOrigins, r) {
		l.CountRefusedOrigin()
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	s, err := l.Admit(session.RemoteAddr(r))
	if err != nil {
		session.Refuse(w, err)
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin was checked above, by our own rules
		// No permessage-deflate: netcode packets are encrypted, so it
		// saves nothing, and it would let a small frame inflate.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		s.Abort() // Accept has answered the request
		return
	}
	c.SetReadLimit(discardLimit)
	// Reads and writes take context.Background: a cancellable context
	// costs the library a timer registration per message, and closing the
	// session closes the connection (CloseNow), which unblocks both.
	s.Start(func(_ context.Context, b []byte) error {
		return c.Write(context.Background(), websocket.MessageBinary, b)
	}, func() { c.CloseNow() })
	l.read(s, c)
}

// read passes binary messages on until the connection ends.
func (l *Listener) read(s *session.Session, c *websocket.Conn) {
	defer s.Close()
	max := l.Limits().MaxMessage
	buf := make([]byte, max+1)
	for {
		typ, r, err := c.Reader(context.Background())
		if err != nil {
			return
		}
		n, err := io.ReadFull(r, buf)
		switch {
		case errors.Is(err, websocket.ErrMessageTooBig):
			s.DropOversized()
			return // the library closes the connection
		case typ != websocket.MessageBinary:
			s.DropText()
		case err == nil: // max+1 bytes read: too big for netcode
			s.DropOversized()
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			s.Receive(buf[:n])
			continue
		default:
			return
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return // over discardLimit (already counted): the library closes
		}
	}
}
