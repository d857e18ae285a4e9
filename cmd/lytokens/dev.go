package main

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

// devSetup holds development mode's generated material. Files live in a
// private temporary directory removed at exit; secrets are written to
// files (mode 0600), not to the terminal, except the test credential the
// developer asked for.
type devSetup struct {
	dir      string
	certPath string
	keyPath  string
	secret   []byte
}

func newDevSetup() (*devSetup, error) {
	dir, err := os.MkdirTemp("", "lytokens-dev-")
	if err != nil {
		return nil, err
	}
	return &devSetup{dir: dir}, nil
}

func (d *devSetup) remove() { os.RemoveAll(d.dir) }

func (d *devSetup) certificate() (tls.Certificate, error) {
	cert, err := tokenservice.SelfSigned()
	if err != nil {
		return cert, err
	}
	d.certPath = filepath.Join(d.dir, "cert.pem")
	return cert, os.WriteFile(d.certPath, tokenservice.CertificatePEM(cert), 0o644)
}

// privateKey makes a random servers' key and writes it (hex) to a 0600
// file a local game server can read.
func (d *devSetup) privateKey() (netcode.Key, error) {
	k, err := netcode.GenerateKey()
	if err != nil {
		return k, err
	}
	d.keyPath = filepath.Join(d.dir, "private.key")
	return k, os.WriteFile(d.keyPath, []byte(hex.EncodeToString(k[:])+"\n"), 0o600)
}

func (d *devSetup) hsSecret() ([]byte, error) {
	d.secret = make([]byte, 32)
	_, err := rand.Read(d.secret)
	return d.secret, err
}

// print tells the developer how to try the service.
func (d *devSetup) print(w io.Writer, url string, _ tls.Certificate, c tokenservice.JWTConfig) error {
	fmt.Fprintf(w, "DEVELOPMENT MODE: self-signed certificate and generated keys, loopback only; not for production\n")
	fmt.Fprintf(w, "certificate file: %s\n", d.certPath)
	if d.keyPath != "" {
		fmt.Fprintf(w, "servers' private key (hex, for a local game server): %s\n", d.keyPath)
	}
	if d.secret == nil {
		return nil // the developer brought their own JWT key
	}
	now := time.Now()
	cred, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": c.Issuer, "aud": c.Audience, "sub": "1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(d.secret)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "test credential (HS256, sub 1, valid 1 h): %s\n", cred)
	fmt.Fprintf(w, "try:\n  curl --cacert %s -X POST -H 'Authorization: Bearer %s' -H 'Accept: application/json' %s\n", d.certPath, cred, url)
	return nil
}
