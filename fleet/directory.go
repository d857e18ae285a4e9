package fleet

import (
	"cmp"
	"context"
	"net/netip"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/lightyear-conn/lightyear_conn/internal/directory"
)

// Directory is a tokenservice.Directory over the fleet in Redis. It holds
// no state besides the client, so any number of token-service replicas
// can share one fleet.
type Directory struct {
	rdb redis.UniversalClient
	k   keys
}

// ErrNoServers is Servers' error when no live server with room carries the
// tag: the same value as tokenservice.ErrNoServers, so the token service
// answers 503.
var ErrNoServers = directory.ErrNoServers

// NewDirectory reads the fleet under prefix ("" means DefaultPrefix).
func NewDirectory(rdb redis.UniversalClient, prefix string) *Directory {
	return &Directory{rdb: rdb, k: newKeys(prefix)}
}

// Servers returns up to max addresses of the live servers with room
// (Connected < Capacity) carrying tag (any server when tag is empty),
// least loaded first, each server's addresses in its own order. No such
// server: ErrNoServers.
func (d *Directory) Servers(ctx context.Context, tag string, max int) ([]netip.AddrPort, error) {
	if max <= 0 {
		return nil, ErrNoServers
	}
	entries, err := live(ctx, d.rdb, d.k)
	if err != nil {
		return nil, err
	}
	entries = slices.DeleteFunc(entries, func(e Entry) bool {
		return e.Connected >= e.Capacity || (tag != "" && !slices.Contains(e.Tags, tag))
	})
	slices.SortFunc(entries, byLoad)
	var out []netip.AddrPort
	for _, e := range entries {
		for _, a := range e.Addresses {
			if len(out) == max {
				return out, nil
			}
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoServers
	}
	return out, nil
}

// byLoad orders by the fraction of slots in use, then by more free slots,
// then by id so that every replica answers the same.
func byLoad(a, b Entry) int {
	// a.C/a.Cap < b.C/b.Cap without floating point.
	if c := cmp.Compare(int64(a.Connected)*int64(b.Capacity), int64(b.Connected)*int64(a.Capacity)); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Capacity-b.Connected, a.Capacity-a.Connected); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
