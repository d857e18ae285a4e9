// Package wtrans serves netcode over WebTransport: one session is one
// netcode peer, one datagram is one netcode packet, nothing added. It runs
// webtransport-go on its own UDP socket (HTTP/3 needs one), with a
// CA-issued certificate or a rotating self-signed one whose hashes pages
// pin (package webcert).
package wtrans

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"github.com/quic-go/webtransport-go"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
	"github.com/lightyear-conn/lightyear_conn/core/web/webcert"
)

// Config configures a Listener.
type Config struct {
	// Addr to bind (UDP). Port 0 picks one; LocalAddr reports it.
	Addr netip.AddrPort
	// Path of the CONNECT request; default "/", which takes every path.
	Path string
	// A CA-issued certificate: TLS, or CertFile and KeyFile. Without
	// them the listener presents Certs' self-signed certificates.
	TLS               *tls.Config
	CertFile, KeyFile string
	// Certs, when no CA certificate is given; nil makes one with default
	// options. Share one Manager across restarts to keep the hashes.
	Certs *webcert.Manager
	// AllowedOrigins: see session.OriginAllowed (default loopback pages).
	AllowedOrigins []string
	// HandshakeTimeout bounds the QUIC handshake and the wait for the
	// CONNECT request's settings; default 5 s.
	HandshakeTimeout time.Duration
	// Limits bound sessions and queues.
	Limits session.Limits
}

// Listener is a WebTransport endpoint and the transport.Transport of its
// sessions.
type Listener struct {
	*session.Hub
	cfg   Config
	certs *webcert.Manager
	conn  *net.UDPConn
	qln   *quic.EarlyListener
	wt    *webtransport.Server

	accepting sync.WaitGroup // the accept loop
	conns     sync.WaitGroup // ServeQUICConn calls
}

var _ transport.Transport = (*Listener)(nil)

// CheckConfig reports a configuration Listen would refuse, without
// binding anything.
func CheckConfig(cfg Config) error {
	if !cfg.Addr.IsValid() {
		return fmt.Errorf("%w: %v", transport.ErrInvalidAddr, cfg.Addr)
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return errors.New("wtrans: CertFile and KeyFile go together")
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
	certs := cfg.Certs
	switch {
	case cfg.CertFile != "":
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("wtrans: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
		certs = nil
	case tlsConf != nil:
		certs = nil
	default:
		if certs == nil {
			var err error
			if certs, err = webcert.New(webcert.Options{}); err != nil {
				return nil, err
			}
		}
		tlsConf = &tls.Config{GetCertificate: certs.GetCertificate}
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(cfg.Addr))
	if err != nil {
		return nil, fmt.Errorf("wtrans: %w", err)
	}
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	lim := cfg.Limits
	l := &Listener{Hub: session.NewHub(local, lim), cfg: cfg, certs: certs, conn: conn}
	lim = l.Limits()

	mux := http.NewServeMux()
	mux.HandleFunc(cfg.Path, l.serve)
	h3 := &http3.Server{
		TLSConfig: http3.ConfigureTLSConfig(tlsConf),
		QUICConfig: &quic.Config{
			HandshakeIdleTimeout: cfg.HandshakeTimeout,
			// The Hub closes idle sessions (and counts them); this,
			// later, ends QUIC connections that never open one.
			MaxIdleTimeout:        2 * lim.IdleTimeout,
			MaxIncomingStreams:    8, // CONNECT requests; datagrams need no stream
			MaxIncomingUniStreams: 8, // HTTP/3 control and QPACK streams
		},
		Handler: mux,
	}
	webtransport.ConfigureHTTP3Server(h3)
	l.wt = &webtransport.Server{
		H3:                h3,
		ReorderingTimeout: cfg.HandshakeTimeout,
		CheckOrigin:       func(r *http.Request) bool { return session.OriginAllowed(cfg.AllowedOrigins, r) },
		// WebTransport settings left at webtransport-go's defaults, the
		// setup checked with Chromium; netcode opens no streams, and the
		// QUIC limits above bound what a peer can open.
	}
	// Our own accept loop rather than wt.Serve: Serve's WaitGroup.Add
	// races with a Close that comes before Serve got going (the race
	// detector sees it on a quick Start and Stop).
	qconf := h3.QUICConfig.Clone()
	qconf.EnableDatagrams = true
	qconf.EnableStreamResetPartialDelivery = true
	l.qln, err = quic.ListenEarly(conn, h3.TLSConfig, qconf)
	if err != nil {
		l.Hub.Close()
		conn.Close()
		return nil, fmt.Errorf("wtrans: %w", err)
	}
	l.accepting.Add(1)
	go l.accept()
	return l, nil
}

func (l *Listener) accept() {
	defer l.accepting.Done()
	for {
		qc, err := l.qln.Accept(context.Background())
		if err != nil {
			return // closed
		}
		l.conns.Go(func() { l.wt.ServeQUICConn(qc) })
	}
}

// Certs is the self-signed certificate manager; nil with a CA-issued
// certificate.
func (l *Listener) Certs() *webcert.Manager { return l.certs }

// Close closes every session (after their queued packets left: see
// session.Hub.Close), then the QUIC connections and the socket. In that
// order: closing the connections first would lose the server's last
// datagrams, its disconnects.
func (l *Listener) Close() error {
	err := l.Hub.Close()
	l.qln.Close()
	l.accepting.Wait()
	err = errors.Join(err, l.wt.Close()) // closes the connections ServeQUICConn holds
	l.conns.Wait()
	l.conn.Close()
	return err
}

func (l *Listener) serve(w http.ResponseWriter, r *http.Request) {
	// Checked here as well as by webtransport-go, so the refusal is
	// counted as one.
	if !session.OriginAllowed(l.cfg.AllowedOrigins, r) {
		l.CountRefusedOrigin()
		w.WriteHeader(http.StatusForbidden)
		return
	}
	s, err := l.Admit(session.RemoteAddr(r))
	if err != nil {
		session.Refuse(w, err)
		return
	}
	ws, err := l.wt.Upgrade(w, r)
	if err != nil {
		s.Abort()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.Start(func(ctx context.Context, b []byte) error {
		err := ws.SendDatagram(b)
		if _, ok := errors.AsType[*quic.DatagramTooLargeError](err); ok {
			return session.ErrTooLarge
		}
		return err
	}, func() { ws.CloseWithError(0, "") })
	go l.read(s, ws)
}

// read passes datagrams on until the session ends.
func (l *Listener) read(s *session.Session, ws *webtransport.Session) {
	defer s.Close()
	ctx := s.Context()
	go func() { // the peer ending the session ends ours
		select {
		case <-ws.Context().Done():
			s.Close()
		case <-ctx.Done():
		}
	}()
	for {
		b, err := ws.ReceiveDatagram(ctx)
		if err != nil {
			return
		}
		s.Receive(b)
	}
}
