package tokenservice

import (
	"context"
	"errors"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// ErrUnauthorized wraps every authentication failure; the handler answers
// 401 for it and never shows the detail to the client.
var ErrUnauthorized = errors.New("unauthorized")

// Identity is who a credential belongs to.
type Identity struct {
	ClientID uint64
	// Subject keys the per-subject rate limit; empty means the decimal
	// client id is used.
	Subject  string
	UserData [netcode.UserDataSize]byte
}

// Authenticator turns a bearer credential into an Identity. An error
// (whatever it wraps) means 401.
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (Identity, error)
}

// AuthenticatorFunc is a Go hook implementing Authenticator, for schemes
// the JWT verifier does not cover.
type AuthenticatorFunc func(ctx context.Context, credential string) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, credential string) (Identity, error) {
	return f(ctx, credential)
}
