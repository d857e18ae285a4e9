package tokenservice

import (
	"context"
	"net/netip"

	"github.com/lightyear-conn/lightyear_conn/internal/directory"
)

// ErrNoServers means no server has room for the request; the handler
// answers 503. fleet.ErrNoServers is the same value.
var ErrNoServers = directory.ErrNoServers

// Directory picks the servers a token names. Servers returns at most max
// addresses (1..32) for tag, in the order the client should try them, or
// ErrNoServers. Package fleet implements it over a fleet kept in Redis;
// ctx carries the request's deadline for such a directory.
type Directory interface {
	Servers(ctx context.Context, tag string, max int) ([]netip.AddrPort, error)
}

// StaticDirectory is a fixed list of servers, the same for every tag.
type StaticDirectory []netip.AddrPort

// Servers returns the first max addresses of d.
func (d StaticDirectory) Servers(_ context.Context, _ string, max int) ([]netip.AddrPort, error) {
	if len(d) == 0 || max <= 0 {
		return nil, ErrNoServers
	}
	n := min(len(d), max)
	return append([]netip.AddrPort(nil), d[:n]...), nil
}
