package session

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// OriginAllowed applies an allowed-origins list to a WebSocket upgrade or
// WebTransport CONNECT request. Browsers always send Origin there; a
// request without one comes from a program (a Go or Node client), which
// origin checks do not guard against, so it passes.
//
//   - allowed empty: only pages served from loopback (http or https on
//     localhost, 127.0.0.0/8, ::1), the development setup;
//   - "*" in allowed: any origin;
//   - otherwise an exact, case-insensitive match of scheme://host[:port].
func OriginAllowed(allowed []string, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(allowed) == 0 {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return false
		}
		return IsLoopbackHost(u.Hostname())
	}
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(strings.TrimRight(a, "/"), origin) {
			return true
		}
	}
	return false
}

// IsLoopbackHost reports whether host (a name or an IP, without port or
// brackets) is this machine: localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// RemoteAddr parses http.Request.RemoteAddr; the zero AddrPort when it
// cannot (then every such peer shares one per-IP count).
func RemoteAddr(r *http.Request) netip.AddrPort {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	ip, _ := netip.ParseAddr(host)
	return netip.AddrPortFrom(ip, 0)
}

// Refuse answers a request Admit refused with its HTTP status.
func Refuse(w http.ResponseWriter, err error) {
	code := http.StatusServiceUnavailable
	if err == ErrPerIP {
		code = http.StatusTooManyRequests
	}
	http.Error(w, err.Error(), code)
}
