// Package certpin makes TLS client configurations that trust one leaf
// certificate by its SHA-256 fingerprint. It lives apart from
// tokenservice so that the token client (linked into the C library) does
// not pull the service's dependencies in.
package certpin

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrMismatch is the pinned client's error for an unexpected certificate.
var ErrMismatch = errors.New("server certificate does not match the pinned fingerprint")

// Parse decodes a hex SHA-256 fingerprint; colons between bytes are
// allowed ("AB:CD:..." as openssl prints it).
func Parse(fingerprint string) ([]byte, error) {
	want, err := hex.DecodeString(strings.ReplaceAll(fingerprint, ":", ""))
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("fingerprint %q is not a hex SHA-256", fingerprint)
	}
	return want, nil
}

// ClientTLS is a client configuration that trusts exactly the leaf
// certificate whose SHA-256 is fingerprint. Chain verification is
// replaced by, not skipped in favour of nothing: the pin check in
// VerifyPeerCertificate is what authenticates the server.
func ClientTLS(fingerprint string) (*tls.Config, error) {
	want, err := Parse(fingerprint)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return ErrMismatch
			}
			got := sha256.Sum256(raw[0])
			if subtle.ConstantTimeCompare(got[:], want) != 1 {
				return ErrMismatch
			}
			return nil
		},
	}, nil
}
