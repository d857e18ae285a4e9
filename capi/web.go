package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web"
	"github.com/lightyear-conn/lightyear_conn/core/web/webcert"
)

// webBind is one ws://, wss:// or wt:// entry of bind_addresses. Its
// netcode.Listener opens whatever endpoint the bind holds at Start, so
// ly_server_set_web_options can replace endpoints on a stopped server
// without remaking the netcode server (whose keys and token history stay).
type webBind struct {
	bind string
	pb   web.Bind
	ep   *web.Endpoint // nil: a wss:// bind still without a certificate
}

func (b *webBind) open() (transport.Transport, error) {
	if b.ep == nil {
		// ErrInvalidConfig: ly_server_start reports LY_ERR_INVALID_ARGUMENT.
		return nil, fmt.Errorf("%w: %s needs a CA-issued certificate: set cert_file and key_file with ly_server_set_web_options", netcode.ErrInvalidConfig, b.bind)
	}
	return b.ep.Listener().Open()
}

// splitBinds splits bind_addresses on spaces, commas and tabs, as
// parseAddresses does.
func splitBinds(s *C.ly__cchar) []string {
	panicPoint()
	if s == nil {
		return nil
	}
	return strings.FieldsFunc(C.GoString((*C.char)(unsafe.Pointer(s))), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// configureBinds reads bind_addresses into cfg: UDP entries into
// Addresses (a "?public=" into PublicAddresses), browser entries into
// Listeners with endpoints made with default options.
func configureBinds(cfg *netcode.ServerConfig, binds []string) ([]*webBind, error) {
	var wbs []*webBind
	for _, s := range binds {
		pb, err := web.ParseBind(s)
		if err != nil {
			return nil, err
		}
		if pb.Scheme == web.UDP {
			cfg.Addresses = append(cfg.Addresses, pb.Addr)
			if pb.Public.IsValid() {
				cfg.PublicAddresses = append(cfg.PublicAddresses, pb.Public)
			}
			continue
		}
		wb := &webBind{bind: s, pb: pb}
		wbs = append(wbs, wb)
		cfg.Listeners = append(cfg.Listeners, netcode.Listener{
			Name: string(pb.Scheme) + "://" + pb.Addr.String(), Open: wb.open, Public: pb.Public,
		})
	}
	eps, err := makeEndpoints(wbs, web.Options{}, false)
	if err != nil {
		return nil, err
	}
	for i, wb := range wbs {
		wb.ep = eps[i]
	}
	return wbs, nil
}

// makeEndpoints checks and makes an endpoint for each bind with opts; a
// wss bind without a certificate is an error if strict, else nil (the
// certificate may come with ly_server_set_web_options).
func makeEndpoints(wbs []*webBind, opts web.Options, strict bool) ([]*web.Endpoint, error) {
	eps := make([]*web.Endpoint, len(wbs))
	for i, wb := range wbs {
		o := opts
		switch wb.pb.Scheme {
		case web.WS: // one set of options serves every bind: plain ws ignores the certificate
			o.CertFile, o.KeyFile = "", ""
		case web.WSS:
			if o.CertFile == "" && !strict {
				continue
			}
		}
		ep, err := web.NewEndpoint(wb.bind, o)
		if err != nil {
			return nil, err
		}
		eps[i] = ep
	}
	return eps, nil
}

// webLimit bounds the counts of ly_web_options: int(v) of a larger
// uint32 would be negative on 32-bit platforms, which means the default.
const webLimit = 1 << 20

var webOptionsSizeV1 = C.uint32_t(unsafe.Sizeof(C.ly_web_options{}))

// webOptions converts and checks the C options.
func webOptions(o *C.ly__cweb_options) (web.Options, error) {
	var opts web.Options
	if o.struct_size < webOptionsSizeV1 {
		return opts, fmt.Errorf("ly_web_options.struct_size is %d, want at least %d: call ly_web_options_defaults", o.struct_size, webOptionsSizeV1)
	}
	if v := o.cert_validity_seconds; v != 0 && (v < 60 || time.Duration(v)*time.Second > webcert.MaxValidity) {
		return opts, fmt.Errorf("cert_validity_seconds %d outside 60..%d (14 days: browsers refuse longer with serverCertificateHashes)", v, int64(webcert.MaxValidity/time.Second))
	}
	opts.CertValidity = time.Duration(o.cert_validity_seconds) * time.Second
	opts.CertFile, opts.KeyFile = goString(o.cert_file), goString(o.key_file)
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return opts, fmt.Errorf("cert_file and key_file go together")
	}
	if opts.CertFile != "" {
		// Read now so that a bad file is an argument error here, not a
		// socket error at start.
		if _, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile); err != nil {
			return opts, fmt.Errorf("cert_file, key_file: %v", err)
		}
	}
	opts.AllowedOrigins = strings.FieldsFunc(goString(o.allowed_origins), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	opts.Path = goString(o.path)
	if opts.Path != "" && !strings.HasPrefix(opts.Path, "/") {
		return opts, fmt.Errorf("path %q does not start with /", opts.Path)
	}
	for _, c := range []struct {
		name string
		v    C.uint32_t
		dst  *int
	}{
		{"max_sessions", o.max_sessions, &opts.Limits.MaxSessions},
		{"max_sessions_per_ip", o.max_sessions_per_ip, &opts.Limits.MaxPerIP},
		{"recv_queue", o.recv_queue, &opts.Limits.RecvQueue},
		{"session_recv_queue", o.session_recv_queue, &opts.Limits.SessionRecvQueue},
		{"send_queue", o.send_queue, &opts.Limits.SendQueue},
	} {
		if c.v > webLimit {
			return opts, fmt.Errorf("%s %d is over %d", c.name, c.v, webLimit)
		}
		*c.dst = int(c.v)
	}
	ms := func(v C.uint32_t) time.Duration { return time.Duration(v) * time.Millisecond }
	opts.HandshakeTimeout = ms(o.handshake_timeout_ms)
	opts.Limits.IdleTimeout = ms(o.idle_timeout_ms)
	opts.Limits.WriteTimeout = ms(o.write_timeout_ms)
	return opts, nil
}

//export ly__go_server_set_web_options
func ly__go_server_set_web_options(h *C.ly_server, o *C.ly__cweb_options) (rc C.int) {
	defer recoverPanic(&rc)
	if o == nil {
		return fail(errInvalidArgument, "options is NULL")
	}
	opts, err := webOptions(o)
	if err != nil {
		return fail(errInvalidArgument, "%v", err)
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if s.srv.Running() {
		return fail(errAlreadyActive, "the server is running: stop it to change its web options")
	}
	eps, err := makeEndpoints(s.web, opts, true)
	if err != nil {
		return fail(errInvalidArgument, "%v", err)
	}
	for i, wb := range s.web {
		wb.ep = eps[i]
	}
	return C.LY_OK
}

//export ly__go_server_web_cert_hashes
func ly__go_server_web_cert_hashes(h *C.ly_server, out *C.uint8_t, maxHashes C.uint32_t, count *C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil && maxHashes > 0 {
		return fail(errInvalidArgument, "hashes is NULL with max_hashes %d", maxHashes)
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	var all [][32]byte
	for _, wb := range s.web {
		if wb.ep != nil && wb.ep.Certs() != nil {
			all = append(all, wb.ep.Certs().Hashes()...)
		}
	}
	if count != nil {
		*count = C.uint32_t(len(all))
	}
	if len(all) > int(maxHashes) {
		return fail(errBufferTooSmall, "%d hashes, room for %d", len(all), maxHashes)
	}
	if len(all) > 0 {
		dst := unsafe.Slice((*byte)(unsafe.Pointer(out)), len(all)*C.LY_WEB_CERT_HASH_SIZE)
		for i, hash := range all {
			copy(dst[i*C.LY_WEB_CERT_HASH_SIZE:], hash[:])
		}
	}
	return C.int(len(all))
}

//export ly__go_server_web_rotate_cert
func ly__go_server_web_rotate_cert(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	n := 0
	for _, wb := range s.web {
		if wb.ep != nil && wb.ep.Certs() != nil {
			if err := wb.ep.Certs().Rotate(); err != nil {
				return fail(errInternal, "%s: %v", wb.bind, err)
			}
			n++
		}
	}
	if n == 0 {
		return fail(errInvalidArgument, "no wt:// bind with self-signed certificates")
	}
	return C.LY_OK
}

var webStatsSizeV1 = C.uint32_t(unsafe.Sizeof(C.ly_web_stats{}))

//export ly__go_server_web_stats
func ly__go_server_web_stats(h *C.ly_server, out *C.ly_web_stats) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil {
		return fail(errInvalidArgument, "stats is NULL")
	}
	if out.struct_size < webStatsSizeV1 {
		return fail(errInvalidArgument, "ly_web_stats.struct_size is %d, want at least %d", out.struct_size, webStatsSizeV1)
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	full := C.ly_web_stats{struct_size: webStatsSizeV1}
	for _, wb := range s.web {
		if wb.ep == nil {
			continue
		}
		st := wb.ep.Stats()
		for _, f := range []struct {
			dst *C.uint64_t
			v   uint64
		}{
			{&full.sessions_active, st.Active}, {&full.sessions_accepted, st.Accepted},
			{&full.refused_full, st.RefusedFull}, {&full.refused_per_ip, st.RefusedPerIP},
			{&full.refused_origin, st.RefusedOrigin}, {&full.refused_handshake, st.RefusedHandshake},
			{&full.closed_idle, st.ClosedIdle}, {&full.closed_slow, st.ClosedSlow},
			{&full.closed_peer, st.ClosedPeer}, {&full.closed_server, st.ClosedServer},
			{&full.received, st.Received}, {&full.recv_oversized, st.RecvOversized},
			{&full.recv_text, st.RecvText}, {&full.recv_queue_full, st.RecvQueueFull},
			{&full.sent, st.Sent}, {&full.send_no_session, st.SendNoSession},
			{&full.send_oversized, st.SendOversized}, {&full.send_queue_full, st.SendQueueFull},
			{&full.send_failed, st.SendFailed},
		} {
			*f.dst += C.uint64_t(f.v)
		}
	}
	// A caller's larger struct (a later header) keeps its tail: only
	// this version's fields are written.
	full.struct_size = out.struct_size
	*(*C.ly_web_stats)(unsafe.Pointer(out)) = full
	return C.LY_OK
}

// addressString is bound address i of a running server as
// ly_server_address writes it: UDP sockets bare, browser listeners with
// their scheme.
func (s *serverHandle) addressString(i int, a netip.AddrPort) string {
	if k := i - s.numUDP; k >= 0 && k < len(s.web) {
		return string(s.web[k].pb.Scheme) + "://" + a.String()
	}
	return a.String()
}
