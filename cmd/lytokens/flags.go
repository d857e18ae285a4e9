package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lightyear-conn/lightyear_conn/fleet"
)

// options are the command line.
type options struct {
	dev                bool
	listen             string
	metricsListen      string
	certFile, keyFile  string
	privateKeyFile     string
	protocolID         uint64
	servers            []netip.AddrPort
	redisAddr          string
	fleetPrefix        string
	maxServers         int
	hsSecretFile       string
	publicKeyFile      string
	issuer, audience   string
	leeway             time.Duration
	clientIDClaim      string
	refuseNonNumeric   bool
	userDataClaims     []string
	expireSeconds      int64
	timeoutSeconds     int
	ipRate, subjRate   float64
	ipBurst, subjBurst int
	logJSON            bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("lytokens", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var protocolID, servers, udClaims string
	fs.BoolVar(&o.dev, "dev", false, "development mode: 127.0.0.1 only, self-signed certificate, random keys, a printed test credential")
	fs.StringVar(&o.listen, "listen", "", "HTTPS address (default :8443, or 127.0.0.1:8443 with -dev)")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "HTTPS address of the Prometheus metrics (same certificate); empty: none")
	fs.StringVar(&o.certFile, "cert", "", "PEM certificate chain (required without -dev)")
	fs.StringVar(&o.keyFile, "key", "", "PEM key of -cert")
	fs.StringVar(&o.privateKeyFile, "private-key-file", "", "file holding the servers' 32-byte private key in hex, mode 0600 (else env LYTOKENS_PRIVATE_KEY)")
	fs.StringVar(&protocolID, "protocol-id", "0", "netcode protocol id (decimal or 0x hex)")
	fs.StringVar(&servers, "servers", "", "static server list: ip:port separated by commas (default 127.0.0.1:40000 with -dev)")
	fs.StringVar(&o.redisAddr, "redis", "", "Redis of the server fleet (host:port or redis:// URL) instead of -servers")
	fs.StringVar(&o.fleetPrefix, "fleet-prefix", fleet.DefaultPrefix, "key prefix of the fleet in -redis")
	fs.IntVar(&o.maxServers, "max-servers", 32, "addresses per token, 1..32")
	fs.StringVar(&o.hsSecretFile, "jwt-hs256-secret-file", "", "HS256 secret file, mode 0600, at least 32 bytes")
	fs.StringVar(&o.publicKeyFile, "jwt-public-key-file", "", "PEM public key: RSA (RS256) or Ed25519 (EdDSA)")
	fs.StringVar(&o.issuer, "issuer", "", "required JWT iss (default lytokens-dev with -dev)")
	fs.StringVar(&o.audience, "audience", "", "required JWT aud (default lytokens-dev with -dev)")
	fs.DurationVar(&o.leeway, "jwt-leeway", 5*time.Second, "clock skew allowed on exp and nbf (at most 2m)")
	fs.StringVar(&o.clientIDClaim, "client-id-claim", "sub", "claim holding the client id")
	fs.BoolVar(&o.refuseNonNumeric, "refuse-non-numeric", false, "refuse a non-numeric client id instead of hashing it")
	fs.StringVar(&udClaims, "user-data-claims", "", "claims copied into the token's user data as JSON, comma-separated")
	fs.Int64Var(&o.expireSeconds, "expire-seconds", 30, "token lifetime in seconds (set the servers' MaxTokenLifetime to it)")
	fs.IntVar(&o.timeoutSeconds, "timeout-seconds", 5, "connection timeout written into tokens")
	fs.Float64Var(&o.ipRate, "rate-ip", 5, "requests per second per client IP (0: no limit)")
	fs.IntVar(&o.ipBurst, "rate-ip-burst", 20, "burst per client IP")
	fs.Float64Var(&o.subjRate, "rate-subject", 0.5, "requests per second per subject (0: no limit)")
	fs.IntVar(&o.subjBurst, "rate-subject-burst", 5, "burst per subject")
	fs.BoolVar(&o.logJSON, "log-json", false, "JSON logs instead of text")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.protocolID, err = strconv.ParseUint(protocolID, 0, 64); err != nil {
		return nil, fmt.Errorf("-protocol-id: %v", err)
	}
	if o.redisAddr != "" && servers != "" {
		return nil, errors.New("-redis and -servers are exclusive")
	}
	if o.dev && servers == "" && o.redisAddr == "" {
		servers = "127.0.0.1:40000"
	}
	for _, s := range splitList(servers) {
		a, err := netip.ParseAddrPort(s)
		if err != nil {
			return nil, fmt.Errorf("-servers: %v", err)
		}
		o.servers = append(o.servers, a)
	}
	o.userDataClaims = splitList(udClaims)
	if o.timeoutSeconds < -1 || o.timeoutSeconds > 1<<30 {
		return nil, errors.New("-timeout-seconds out of range")
	}
	if o.dev {
		if o.listen == "" {
			o.listen = "127.0.0.1:8443"
		}
		if o.issuer == "" {
			o.issuer = "lytokens-dev"
		}
		if o.audience == "" {
			o.audience = "lytokens-dev"
		}
	} else if o.listen == "" {
		o.listen = ":8443"
	}
	return o, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
