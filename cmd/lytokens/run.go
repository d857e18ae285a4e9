package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/fleet"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

// envPrivateKey names the environment variable holding the private key.
const envPrivateKey = "LYTOKENS_PRIVATE_KEY"

// run serves until ctx ends. ready, if set, is told the bound addresses
// (tests listen on port 0).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var logHandler slog.Handler = slog.NewTextHandler(stderr, nil)
	if o.logJSON {
		logHandler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(logHandler)

	var dev *devSetup
	if o.dev {
		if err := checkLoopback("-listen", o.listen); err != nil {
			return err
		}
		if o.metricsListen != "" {
			if err := checkLoopback("-metrics-listen", o.metricsListen); err != nil {
				return err
			}
		}
		if o.certFile != "" || o.keyFile != "" {
			return errors.New("-dev makes its own certificate: drop -cert and -key")
		}
		if dev, err = newDevSetup(); err != nil {
			return err
		}
		defer dev.remove()
	}

	cert, err := loadCertificate(o, dev)
	if err != nil {
		return err
	}
	key, err := loadPrivateKey(o, getenv, dev)
	if err != nil {
		return err
	}
	jcfg, err := jwtConfig(o, dev)
	if err != nil {
		return err
	}
	verifier, err := tokenservice.NewJWTVerifier(jcfg)
	if err != nil {
		return err
	}
	var dir tokenservice.Directory = tokenservice.StaticDirectory(o.servers)
	if o.redisAddr != "" {
		rdb, err := redisClient(o.redisAddr)
		if err != nil {
			return err
		}
		defer rdb.Close()
		// Redis may come up after the service: warn, and answer 503 until then.
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := rdb.Ping(pctx).Err(); err != nil {
			log.Warn("redis not answering yet: requests get 503 until it does", "redis", o.redisAddr, "err", err)
		}
		cancel()
		dir = fleet.NewDirectory(rdb, o.fleetPrefix)
	}
	h, err := tokenservice.NewHandler(tokenservice.Config{
		ProtocolID:     o.protocolID,
		PrivateKey:     key,
		Auth:           verifier,
		Directory:      dir,
		MaxServers:     o.maxServers,
		ExpireSeconds:  o.expireSeconds,
		TimeoutSeconds: int32(o.timeoutSeconds),
		IPRate:         tokenservice.Rate{PerSecond: o.ipRate, Burst: o.ipBurst},
		SubjectRate:    tokenservice.Rate{PerSecond: o.subjRate, Burst: o.subjBurst},
		Logger:         log,
	})
	if err != nil {
		return err
	}
	if len(o.servers) == 0 && o.redisAddr == "" {
		log.Warn("no -servers: every request will be answered 503")
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	srv := tokenservice.NewServer(h, cert, log)
	servers := []*tokenservice.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if o.metricsListen != "" {
		mln, err := net.Listen("tcp", o.metricsListen)
		if err != nil {
			ln.Close()
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h.Metrics().Handler())
		msrv := tokenservice.NewServer(mux, cert, log)
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(mln) }()
		fmt.Fprintf(stdout, "metrics: https://%s/metrics\n", mln.Addr())
	}

	url := fmt.Sprintf("https://%s/v1/token", ln.Addr())
	fmt.Fprintf(stdout, "listening: %s\ncertificate SHA-256: %s\n", url, tokenservice.Fingerprint(cert.Certificate[0]))
	if dev != nil {
		if err := dev.print(stdout, url, cert, jcfg); err != nil {
			return err
		}
	}
	log.Info("serving", "addr", ln.Addr().String(), "dev", o.dev, "servers", len(o.servers), "redis", o.redisAddr)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(sctx)
	}
	log.Info("stopped")
	return nil
}

// redisClient connects to a host:port, or a redis:// or rediss:// URL
// (which may carry a password and database number).
func redisClient(addr string) (*redis.Client, error) {
	if strings.Contains(addr, "://") {
		opt, err := redis.ParseURL(addr)
		if err != nil {
			return nil, fmt.Errorf("-redis: %w", err)
		}
		return redis.NewClient(opt), nil
	}
	return redis.NewClient(&redis.Options{Addr: addr}), nil
}

// checkLoopback refuses a non-loopback address in development mode.
func checkLoopback(flagName, addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("%s %q: -dev binds a loopback IP only (such as 127.0.0.1:8443)", flagName, addr)
	}
	return nil
}

func loadCertificate(o *options, dev *devSetup) (tls.Certificate, error) {
	if dev != nil {
		return dev.certificate()
	}
	if o.certFile == "" || o.keyFile == "" {
		return tls.Certificate{}, errors.New("-cert and -key are required (or -dev)")
	}
	return tokenservice.LoadCertificate(o.certFile, o.keyFile)
}

func loadPrivateKey(o *options, getenv func(string) string, dev *devSetup) (netcode.Key, error) {
	env := getenv(envPrivateKey)
	switch {
	case o.privateKeyFile != "" && env != "":
		return netcode.Key{}, fmt.Errorf("both -private-key-file and %s are set", envPrivateKey)
	case o.privateKeyFile != "":
		return tokenservice.LoadPrivateKeyFile(o.privateKeyFile)
	case env != "":
		k, err := tokenservice.ParsePrivateKey(env)
		if err != nil {
			return k, fmt.Errorf("%s: %w", envPrivateKey, err)
		}
		return k, nil
	case dev != nil:
		return dev.privateKey()
	}
	return netcode.Key{}, fmt.Errorf("no private key: set -private-key-file or %s", envPrivateKey)
}

func jwtConfig(o *options, dev *devSetup) (tokenservice.JWTConfig, error) {
	c := tokenservice.JWTConfig{
		Issuer:           o.issuer,
		Audience:         o.audience,
		Leeway:           o.leeway,
		ClientIDClaim:    o.clientIDClaim,
		RefuseNonNumeric: o.refuseNonNumeric,
		UserDataClaims:   o.userDataClaims,
	}
	if o.hsSecretFile != "" {
		s, err := tokenservice.LoadSecretFile(o.hsSecretFile)
		if err != nil {
			return c, err
		}
		c.HS256Secret = s
	}
	if o.publicKeyFile != "" {
		k, err := loadPublicKey(o.publicKeyFile)
		if err != nil {
			return c, err
		}
		c.PublicKey = k
	}
	if c.HS256Secret == nil && c.PublicKey == nil {
		if dev == nil {
			return c, errors.New("set -jwt-hs256-secret-file or -jwt-public-key-file")
		}
		s, err := dev.hsSecret()
		if err != nil {
			return c, err
		}
		c.HS256Secret = s
	}
	return c, nil
}

// loadPublicKey reads a PEM "PUBLIC KEY" (PKIX): RSA or Ed25519.
func loadPublicKey(path string) (any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s: no PEM PUBLIC KEY block", path)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
