package tokenservice

import (
	"crypto/tls"

	"github.com/lightyear-conn/lightyear_conn/internal/certpin"
)

// ErrPinMismatch is the pinned client's error for an unexpected certificate.
var ErrPinMismatch = certpin.ErrMismatch

// PinnedClientTLS is a client configuration that trusts exactly the leaf
// certificate whose SHA-256 is fingerprint (hex, colons allowed). The
// code lives in internal/certpin, shared with tokenclient.
func PinnedClientTLS(fingerprint string) (*tls.Config, error) {
	return certpin.ClientTLS(fingerprint)
}
