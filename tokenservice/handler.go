package tokenservice

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// Handler serves POST /v1/token.
type Handler struct {
	cfg       Config
	ipLimit   *limiter
	subjLimit *limiter
}

// NewHandler checks cfg and builds the handler.
func NewHandler(cfg Config) (*Handler, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, ipLimit: newLimiter(cfg.IPRate), subjLimit: newLimiter(cfg.SubjectRate)}, nil
}

// Metrics returns the handler's metrics.
func (h *Handler) Metrics() *Metrics { return h.cfg.Metrics }

// tokenJSON is the JSON answer.
type tokenJSON struct {
	Token     string   `json:"token"`
	ExpiresAt uint64   `json:"expires_at"`
	Addresses []string `json:"addresses"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { h.cfg.Metrics.observe(time.Since(start)) }()
	ip := clientIP(r)
	log := h.cfg.Logger.With("remote", ip)

	if r.URL.Path != "/v1/token" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, log, reasonMethod, http.StatusMethodNotAllowed, nil)
		return
	}
	if ok, wait := h.ipLimit.allow(ipKey(ip), h.cfg.Now()); !ok {
		h.tooMany(w, log, reasonRateIP, wait)
		return
	}
	cred, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		h.refuse(w, log, reasonUnauthorized, http.StatusUnauthorized, errors.New("no bearer credential"))
		return
	}
	id, err := h.cfg.Auth.Authenticate(r.Context(), cred)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		h.refuse(w, log, reasonUnauthorized, http.StatusUnauthorized, err)
		return
	}
	subject := id.Subject
	if subject == "" {
		subject = strconv.FormatUint(id.ClientID, 10)
	}
	log = log.With("client_id", id.ClientID)
	if ok, wait := h.subjLimit.allow(subject, h.cfg.Now()); !ok {
		h.tooMany(w, log, reasonRateSubject, wait)
		return
	}
	if r.ContentLength > MaxBodySize {
		h.refuse(w, log, reasonTooLarge, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	}
	req, err := decodeRequest(http.MaxBytesReader(w, r.Body, MaxBodySize+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.Is(err, errBodyTooLarge) || errors.As(err, &mbe) {
			h.refuse(w, log, reasonTooLarge, http.StatusRequestEntityTooLarge, err)
		} else {
			h.refuse(w, log, reasonBadRequest, http.StatusBadRequest, err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.DirectoryTimeout)
	addrs, err := h.cfg.Directory.Servers(ctx, req.Tag, h.cfg.MaxServers)
	cancel()
	if err == nil && len(addrs) == 0 {
		err = ErrNoServers
	}
	if err != nil {
		// Any directory failure means no server can be named: 503.
		w.Header().Set("Retry-After", "5")
		h.refuse(w, log, reasonNoServers, http.StatusServiceUnavailable, err)
		return
	}
	if len(addrs) > h.cfg.MaxServers {
		addrs = addrs[:h.cfg.MaxServers]
	}
	tok, err := netcode.GenerateConnectToken(netcode.TokenParams{
		ProtocolID:      h.cfg.ProtocolID,
		ClientID:        id.ClientID,
		PrivateKey:      h.cfg.PrivateKey,
		PublicAddresses: addrs,
		ExpireSeconds:   h.cfg.ExpireSeconds,
		TimeoutSeconds:  h.cfg.TimeoutSeconds,
		UserData:        id.UserData,
		Now:             h.cfg.Now(),
	})
	var raw []byte
	if err == nil {
		raw, err = tok.MarshalBinary()
	}
	if err != nil {
		h.refuse(w, log, reasonInternal, http.StatusInternalServerError, err)
		return
	}
	h.cfg.Metrics.issue()
	log.Info("token issued", "servers", len(addrs), "tag", req.Tag, "expires_at", tok.ExpireTimestamp)
	w.Header().Set("Cache-Control", "no-store")
	if acceptsJSON(r.Header.Get("Accept")) {
		out := tokenJSON{Token: base64.StdEncoding.EncodeToString(raw), ExpiresAt: tok.ExpireTimestamp}
		for _, a := range addrs {
			out.Addresses = append(out.Addresses, a.String())
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(raw)
	}
}

// refuse answers an error; err goes to the log only (it never holds the
// credential: authenticators must not put it there).
func (h *Handler) refuse(w http.ResponseWriter, log *slog.Logger, reason string, status int, err error) {
	h.cfg.Metrics.refuse(reason)
	if err != nil {
		log.Info("token refused", "reason", reason, "status", status, "err", err.Error())
	} else {
		log.Info("token refused", "reason", reason, "status", status)
	}
	http.Error(w, http.StatusText(status), status)
}

func (h *Handler) tooMany(w http.ResponseWriter, log *slog.Logger, reason string, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	h.refuse(w, log, reason, http.StatusTooManyRequests, nil)
}

// bearer extracts the credential of "Bearer <credential>" (scheme
// case-insensitive, RFC 9110 section 11.1).
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// acceptsJSON reports whether an Accept header lists application/json.
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "application/json" {
			continue
		}
		// q=0 means "not acceptable" (RFC 9110 section 12.4.2).
		if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
			return false
		}
		return true
	}
	return false
}

// ipKey is the rate-limit key of an IP: an IPv6 client usually holds a
// whole /64, so the /64 is limited as one.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// clientIP is the peer's IP. Forwarding headers are not trusted: put the
// service behind no proxy, or a TCP-level one.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
