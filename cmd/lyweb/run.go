package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/web"
)

type options struct {
	key            string
	protocolID     uint64
	udp, ws, wss   string
	wt             string
	certFile       string
	certKeyFile    string
	origins        string
	echo           bool
	tokenOut       string
	httpAddr       string
	tick           time.Duration
	tokenLifetime  int64
	tokenTimeout   int
	maxClients     int
	maxSessions    int
	maxPerIP       int
	idleTimeout    time.Duration
	handshakeLimit time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("lyweb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var protocol string
	fs.StringVar(&o.key, "key", "", "32-byte private key in hex (default: random, printed)")
	fs.StringVar(&protocol, "protocol-id", "0x1122334455667788", "netcode protocol id (decimal or 0x hex)")
	fs.StringVar(&o.udp, "udp", "127.0.0.1:40000", "UDP bind address (empty: none)")
	fs.StringVar(&o.ws, "ws", "127.0.0.1:8080", "plain WebSocket bind address, loopback only (empty: none)")
	fs.StringVar(&o.wss, "wss", "", "WebSocket over TLS bind address; needs -cert and -cert-key")
	fs.StringVar(&o.wt, "wt", "127.0.0.1:4433", "WebTransport bind address (empty: none)")
	fs.StringVar(&o.certFile, "cert", "", "CA-issued certificate (PEM) for wss and wt; wt without it is self-signed")
	fs.StringVar(&o.certKeyFile, "cert-key", "", "the certificate's private key (PEM)")
	fs.StringVar(&o.origins, "origins", "", "comma-separated allowed page origins, * for any (default: loopback pages)")
	fs.BoolVar(&o.echo, "echo", true, "send every payload back to its sender")
	fs.StringVar(&o.tokenOut, "token-out", "", "write one connect token (2048 bytes, every transport's address) to this file")
	fs.StringVar(&o.httpAddr, "http", "", "loopback address serving GET /token and GET /cert-hash for development (empty: none)")
	fs.DurationVar(&o.tick, "tick", 10*time.Millisecond, "server update period")
	fs.Int64Var(&o.tokenLifetime, "token-expire", 300, "seconds a token stays valid")
	fs.IntVar(&o.tokenTimeout, "token-timeout", 5, "connection timeout in tokens, seconds")
	fs.IntVar(&o.maxClients, "max-clients", 64, "netcode clients at once")
	fs.IntVar(&o.maxSessions, "max-sessions", 0, "browser sessions per listener (0: default)")
	fs.IntVar(&o.maxPerIP, "max-per-ip", 0, "browser sessions per IP per listener (0: default)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "close browser sessions silent this long (0: default)")
	fs.DurationVar(&o.handshakeLimit, "handshake-timeout", 0, "browser handshake limit (0: default)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.protocolID, err = strconv.ParseUint(protocol, 0, 64); err != nil {
		return nil, fmt.Errorf("-protocol-id: %w", err)
	}
	return o, nil
}

// app is a running lyweb.
type app struct {
	o      *options
	key    netcode.Key
	srv    *netcode.Server
	eps    map[web.Scheme]*web.Endpoint
	mu     sync.Mutex // guards nextID and srv's public addresses for the HTTP goroutine
	nextID uint64
	public []netip.AddrPort
	httpLn net.Listener
}

// run serves until ctx ends. ready, if set, gets the app once it serves
// (tests bind port 0 and read the addresses from it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(*app)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	a := &app{o: o, eps: map[web.Scheme]*web.Endpoint{}, nextID: 1}
	if o.key == "" {
		if a.key, err = netcode.GenerateKey(); err != nil {
			return err
		}
	} else {
		b, err := hex.DecodeString(o.key)
		if err != nil {
			return fmt.Errorf("-key: %w", err)
		}
		if a.key, err = netcode.KeyFromBytes(b); err != nil {
			return fmt.Errorf("-key: %w", err)
		}
	}
	cfg := netcode.ServerConfig{ProtocolID: o.protocolID, PrivateKey: a.key, MaxClients: o.maxClients}
	opts := web.Options{CertFile: o.certFile, KeyFile: o.certKeyFile, HandshakeTimeout: o.handshakeLimit}
	opts.Limits.MaxSessions, opts.Limits.MaxPerIP, opts.Limits.IdleTimeout = o.maxSessions, o.maxPerIP, o.idleTimeout
	if o.origins != "" {
		opts.AllowedOrigins = strings.Split(o.origins, ",")
	}
	if o.udp != "" {
		ap, err := netip.ParseAddrPort(o.udp)
		if err != nil {
			return fmt.Errorf("-udp: %w", err)
		}
		cfg.Addresses = append(cfg.Addresses, ap)
	}
	for _, b := range []struct {
		scheme web.Scheme
		addr   string
	}{{web.WS, o.ws}, {web.WSS, o.wss}, {web.WT, o.wt}} {
		if b.addr == "" {
			continue
		}
		eo := opts
		if b.scheme == web.WS { // plain ws takes no certificate
			eo.CertFile, eo.KeyFile = "", ""
		}
		e, err := web.NewEndpoint(string(b.scheme)+"://"+b.addr, eo)
		if err != nil {
			return err
		}
		a.eps[b.scheme] = e
		cfg.Listeners = append(cfg.Listeners, e.Listener())
	}
	if a.srv, err = netcode.NewServer(cfg); err != nil {
		return err
	}
	if o.httpAddr != "" {
		// Checked before anything binds: a token endpoint open to the
		// network would admit anyone.
		ap, err := netip.ParseAddrPort(o.httpAddr)
		if err != nil || !ap.Addr().IsLoopback() {
			return fmt.Errorf("-http %q: a loopback address only (it hands out tokens to anyone)", o.httpAddr)
		}
	}
	if err := a.srv.Start(); err != nil {
		return err
	}
	defer a.srv.Stop()
	a.public = a.srv.PublicAddresses()
	a.printInfo(stdout)
	if o.tokenOut != "" {
		tok, _, err := a.token()
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.tokenOut, tok, 0o600); err != nil {
			return err
		}
	}
	if o.httpAddr != "" {
		if a.httpLn, err = net.Listen("tcp", o.httpAddr); err != nil {
			return err
		}
		hs := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(a.httpLn)
		defer hs.Close()
		fmt.Fprintf(stdout, "tokens  http://%s/token\n", a.httpLn.Addr())
	}
	if ready != nil {
		ready(a)
	}
	return a.loop(ctx, stdout)
}

// loop is the game loop: update, echo, log connections.
func (a *app) loop(ctx context.Context, stdout io.Writer) error {
	t := time.NewTicker(a.o.tick)
	defer t.Stop()
	last := time.Now()
	var ev core.Event
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := time.Now()
		if err := a.srv.Update(now.Sub(last)); err != nil {
			return err
		}
		last = now
		for a.srv.PollEvent(&ev) {
			switch ev.Type {
			case core.EventPayload:
				if a.o.echo {
					_ = a.srv.Send(ev.Client, ev.Payload)
				}
			case core.EventConnected:
				addr, _ := a.srv.ClientAddr(ev.Client)
				fmt.Fprintf(stdout, "connected %v from %v\n", ev.Client, addr)
			case core.EventDisconnected:
				fmt.Fprintf(stdout, "disconnected %v: %v\n", ev.Client, ev.Reason)
			}
		}
	}
}

func (a *app) printInfo(w io.Writer) {
	fmt.Fprintf(w, "key     %x\nprotocol %#x\n", a.key[:], a.o.protocolID)
	urls := a.urls()
	for _, k := range []string{"udp", "ws", "wss", "wt"} {
		if u, ok := urls[k]; ok {
			fmt.Fprintf(w, "%-7s %s\n", k, u)
		}
	}
	for _, h := range a.certHashes() {
		fmt.Fprintf(w, "wt cert sha-256 %s\n", h)
	}
}

// urls are what a client connects to, in the order of the token's
// addresses: UDP first, then the listeners as configured.
func (a *app) urls() map[string]string {
	out := map[string]string{}
	if a.o.udp != "" {
		out["udp"] = a.public[0].String()
	}
	for _, s := range []web.Scheme{web.WS, web.WSS, web.WT} {
		e := a.eps[s]
		if e == nil {
			continue
		}
		la := e.LocalAddr()
		switch s {
		case web.WS:
			out["ws"] = "ws://" + la.String() + "/"
		case web.WSS:
			out["wss"] = "wss://" + la.String() + "/"
		case web.WT:
			out["wt"] = "https://" + la.String() + "/"
		}
	}
	return out
}

func (a *app) certHashes() []string {
	e := a.eps[web.WT]
	if e == nil || e.Certs() == nil {
		return nil
	}
	var out []string
	for _, h := range e.Certs().Hashes() {
		out = append(out, base64.StdEncoding.EncodeToString(h[:]))
	}
	return out
}

// token makes a connect token for a new client id listing every public
// address of the server.
func (a *app) token() ([]byte, uint64, error) {
	a.mu.Lock()
	id := a.nextID
	a.nextID++
	a.mu.Unlock()
	tok, err := netcode.GenerateConnectToken(netcode.TokenParams{
		ProtocolID: a.o.protocolID, ClientID: id, PrivateKey: a.key,
		PublicAddresses: a.public, ExpireSeconds: a.o.tokenLifetime, TimeoutSeconds: int32(a.o.tokenTimeout),
	})
	if err != nil {
		return nil, 0, err
	}
	b, err := tok.MarshalBinary()
	return b, id, err
}

// TokenResponse is GET /token's JSON.
type TokenResponse struct {
	Token      string            `json:"token"` // base64, 2048 bytes
	ClientID   uint64            `json:"client_id"`
	ProtocolID string            `json:"protocol_id"` // 0x hex: a uint64 does not fit a JS number
	URLs       map[string]string `json:"urls"`        // udp, ws, wss, wt (https:// URL for WebTransport)
	Addresses  []string          `json:"addresses"`   // the token's server addresses, in order
	CertHashes []string          `json:"cert_hashes"` // base64 SHA-256 for serverCertificateHashes
}

func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		tok, id, err := a.token()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Query().Get("format") == "bin" {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(tok)
			return
		}
		resp := TokenResponse{
			Token: base64.StdEncoding.EncodeToString(tok), ClientID: id,
			ProtocolID: fmt.Sprintf("%#x", a.o.protocolID), URLs: a.urls(), CertHashes: a.certHashes(),
		}
		for _, p := range a.public {
			resp.Addresses = append(resp.Addresses, p.String())
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
	if e := a.eps[web.WT]; e != nil && e.Certs() != nil {
		mux.Handle("GET /cert-hash", e.Certs().Handler())
	}
	return mux
}

var errNoHTTP = errors.New("lyweb: no -http endpoint")

// tokenURL is the development token endpoint's URL.
func (a *app) tokenURL() (string, error) {
	if a.httpLn == nil {
		return "", errNoHTTP
	}
	return "http://" + a.httpLn.Addr().String() + "/token", nil
}
