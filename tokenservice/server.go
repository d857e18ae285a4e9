package tokenservice

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the HTTPS servers: a slow client cannot hold a connection.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 10 * time.Second
	IdleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
)

// Server serves a handler over TLS only.
type Server struct {
	srv *http.Server
}

// NewServer wraps h in an http.Server with the package's timeouts and TLS
// configuration.
func NewServer(h http.Handler, cert tls.Certificate, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{srv: &http.Server{
		Handler:           h,
		TLSConfig:         TLSConfig(cert),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
}

// Serve accepts TLS connections on ln until Shutdown; it returns
// http.ErrServerClosed after a Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	// Certificates are already in TLSConfig; no files to name here.
	return s.srv.ServeTLS(ln, "", "")
}

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
