// Package tokenclient fetches a netcode connect token from the token
// service (package tokenservice, cmd/lytokens) over HTTPS: POST /v1/token
// with a bearer credential, the server authenticated by a pinned
// certificate fingerprint, a CA bundle or the system roots.
//
// Every failure is an *Error whose Kind is one of the Err* sentinels, so
// callers (and the C API) test it with errors.Is.
package tokenclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lightyear-conn/lightyear_conn/internal/certpin"
)

// TokenSize is the size of a netcode 1.02 connect token.
const TokenSize = 2048

// DefaultTimeout bounds a fetch when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// DefaultPath is the service's endpoint, used when the URL has no path.
const DefaultPath = "/v1/token"

// Limits on what is read from the service: a token, a JSON answer with a
// base64 token and up to 32 addresses, and the start of an error text.
const (
	maxJSONAnswer = 16 << 10
	maxErrorText  = 512
)

// Options say where and how to fetch.
type Options struct {
	// URL of the service, https only; with no path, DefaultPath is used.
	URL string
	// Credential is sent as "Authorization: Bearer <Credential>".
	Credential string
	// Fingerprint pins the server's leaf certificate: its SHA-256 in hex,
	// colons allowed. Exclusive with CAFile.
	Fingerprint string
	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	// Neither Fingerprint nor CAFile: the system roots.
	CAFile string
	// Tag asks for a server with this tag ("" for any).
	Tag string
	// Timeout bounds the whole fetch (connect, TLS, answer); zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// The kinds of failure.
var (
	ErrInvalidOptions = errors.New("tokenclient: invalid options")
	ErrUnauthorized   = errors.New("tokenclient: credential refused")      // 401, 403
	ErrRateLimited    = errors.New("tokenclient: rate limited")            // 429
	ErrNoServer       = errors.New("tokenclient: no game server has room") // 503
	ErrTLS            = errors.New("tokenclient: TLS failure")             // handshake, pin, CA
	ErrTimeout        = errors.New("tokenclient: timed out")               // Options.Timeout passed
	ErrHTTP           = errors.New("tokenclient: unexpected answer")       // other status, malformed body
	ErrNetwork        = errors.New("tokenclient: service unreachable")     // connect, reset, DNS
	ErrCanceled       = errors.New("tokenclient: canceled by the caller")  // the caller's context ended
)

// Error is a failed fetch.
type Error struct {
	Kind       error         // one of the Err* sentinels
	Status     int           // HTTP status, 0 when none was received
	RetryAfter time.Duration // from Retry-After (429, 503), 0 if absent
	Message    string        // the service's text, or what went wrong
	Err        error         // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %d s)", int(e.RetryAfter.Seconds()))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is matches the error's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Client fetches tokens from one service, reusing its TLS connections
// (keep-alive) between fetches. It is safe for concurrent use.
type Client struct {
	opts     Options
	endpoint string
	hc       *http.Client
	tr       *http.Transport
}

// New checks opts and makes a client. The CA file is read now.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, invalid("URL %q: %v", opts.URL, err)
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return nil, invalid("URL %q: only https:// is allowed (a connect token is a secret)", opts.URL)
	}
	if u.Host == "" {
		return nil, invalid("URL %q has no host", opts.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = DefaultPath
	}
	if opts.Credential == "" {
		return nil, invalid("no credential")
	}
	if strings.ContainsFunc(opts.Credential, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return nil, invalid("the credential contains spaces or control characters")
	}
	if opts.Timeout < 0 {
		return nil, invalid("negative timeout %v", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case opts.Fingerprint != "" && opts.CAFile != "":
		return nil, invalid("set a fingerprint or a CA file, not both")
	case opts.Fingerprint != "":
		if tc, err = certpin.ClientTLS(opts.Fingerprint); err != nil {
			return nil, invalid("%v", err)
		}
	case opts.CAFile != "":
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, invalid("CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, invalid("CA file %s holds no PEM certificate", opts.CAFile)
		}
		tc.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: opts.Timeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	hc := &http.Client{
		Transport: tr,
		// A redirect would carry the credential elsewhere: never follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Client{opts: opts, endpoint: u.String(), hc: hc, tr: tr}, nil
}

// Close drops the idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Fetch makes a client for opts, fetches one token and closes the client.
func Fetch(ctx context.Context, opts Options) ([]byte, error) {
	c, err := New(opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Fetch(ctx)
}

// Fetch returns a TokenSize-byte connect token.
func (c *Client) Fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if c.opts.Tag != "" {
		b, _ := json.Marshal(struct {
			Tag string `json:"tag"`
		}{c.opts.Tag})
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, body)
	if err != nil {
		return nil, invalid("%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.opts.Credential)
	req.Header.Set("Accept", "application/octet-stream")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(ctx, resp)
	}
	tok, err := readToken(resp)
	if err != nil {
		if ctx.Err() != nil {
			return nil, transportError(ctx, err)
		}
		return nil, err
	}
	return tok, nil
}

func readToken(resp *http.Response) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/json" {
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONAnswer+1))
		if err != nil {
			return nil, &Error{Kind: ErrNetwork, Status: resp.StatusCode, Message: "reading the answer", Err: err}
		}
		if len(raw) > maxJSONAnswer {
			return nil, malformed(resp.StatusCode, "JSON answer over %d bytes", maxJSONAnswer)
		}
		var ans struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return nil, malformed(resp.StatusCode, "JSON answer: %v", err)
		}
		tok, err := base64.StdEncoding.DecodeString(ans.Token)
		if err != nil {
			return nil, malformed(resp.StatusCode, "token is not base64: %v", err)
		}
		if len(tok) != TokenSize {
			return nil, malformed(resp.StatusCode, "token of %d bytes, want %d", len(tok), TokenSize)
		}
		return tok, nil
	}
	// One byte more than a token tells an oversized answer from a token.
	tok, err := io.ReadAll(io.LimitReader(resp.Body, TokenSize+1))
	if err != nil {
		return nil, &Error{Kind: ErrNetwork, Status: resp.StatusCode, Message: "reading the answer", Err: err}
	}
	switch {
	case len(tok) > TokenSize:
		return nil, malformed(resp.StatusCode, "answer over %d bytes", TokenSize)
	case len(tok) < TokenSize:
		return nil, malformed(resp.StatusCode, "answer of %d bytes, want a %d-byte token", len(tok), TokenSize)
	}
	return tok, nil
}

func statusError(ctx context.Context, resp *http.Response) error {
	text, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorText))
	if err != nil && ctx.Err() != nil {
		return transportError(ctx, err)
	}
	e := &Error{Status: resp.StatusCode, Message: strings.TrimSpace(strings.ToValidUTF8(string(text), "?"))}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Kind = ErrUnauthorized
	case http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	case http.StatusServiceUnavailable:
		e.Kind = ErrNoServer
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	default:
		e.Kind = ErrHTTP
	}
	return e
}

// retryAfter reads delay-seconds or an HTTP date; 0 if neither.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t).Round(time.Second), 0)
	}
	return 0
}

// transportError classifies a failure before any HTTP status arrived.
func transportError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &Error{Kind: ErrTimeout, Message: "no answer in time", Err: err}
	case ctx.Err() != nil:
		return &Error{Kind: ErrCanceled, Err: err}
	case isTLS(err):
		return &Error{Kind: ErrTLS, Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: ErrTimeout, Err: err}
	}
	return &Error{Kind: ErrNetwork, Err: err}
}

func isTLS(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	return errors.Is(err, certpin.ErrMismatch) ||
		errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) || errors.As(err, &alert) ||
		// A handshake the peer aborts surfaces as a plain error whose
		// text is all net/http and crypto/tls give.
		strings.Contains(err.Error(), "tls: ")
}

func invalid(format string, args ...any) error {
	return &Error{Kind: ErrInvalidOptions, Message: fmt.Sprintf(format, args...)}
}

func malformed(status int, format string, args ...any) error {
	return &Error{Kind: ErrHTTP, Status: status, Message: "malformed answer: " + fmt.Sprintf(format, args...)}
}
