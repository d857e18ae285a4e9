// Package directory holds what the token service and the fleet share
// without importing each other: the fleet's registration side is linked
// into the C library, which must not carry the token service (and its JWT
// dependency) along.
package directory

import "errors"

// ErrNoServers means no server has room for the request. It is exported
// as tokenservice.ErrNoServers and fleet.ErrNoServers, the same value.
var ErrNoServers = errors.New("no server with room")
