package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"

	"github.com/lightyear-conn/lightyear_conn/fleet"
)

// The Redis client logs failed dials to stderr by default: a library must
// not write to its host's stderr. Failures reach the game through
// ly_server_fleet_status instead.
func init() { redis.SetLogger(quietRedisLog{}) }

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

const (
	defaultFleetTTL = 10 * time.Second
	// minFleetTTL keeps the heartbeat period (TTL/3) at 10 ms or more.
	minFleetTTL = 30 * time.Millisecond
)

// fleetReg is a server's registration: the goroutine running fleet.Keep,
// the count ly_server_update publishes to it, and the outcome of its
// last round.
type fleetReg struct {
	cancel    context.CancelFunc
	done      chan struct{}
	rdb       *redis.Client
	connected atomic.Int64
	// last is nil until the first round ends, then a *roundResult whose
	// err is nil on success.
	last atomic.Pointer[roundResult]
}

type roundResult struct{ err error }

// stop cancels the registration and waits for the goroutine, which
// deregisters (at most about 2 s against a Redis that does not answer).
func (f *fleetReg) stop() {
	f.cancel()
	<-f.done
	f.rdb.Close()
}

// stopFleet ends s's registration, if any; s is locked.
func (s *serverHandle) stopFleet() {
	if s.fleet != nil {
		s.fleet.stop()
		s.fleet = nil
	}
}

// publishConnected hands the connected count to the registration: one
// atomic store, no allocation, no Redis call on the caller's thread.
func (s *serverHandle) publishConnected() {
	if s.fleet != nil && s.nc != nil {
		s.fleet.connected.Store(int64(s.nc.NumConnected()))
	}
}

func randomServerID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// fleetEntry reads the caller's config into an entry (without the
// addresses when the server's own are to be used) and the registrar's
// settings.
func fleetEntry(cfg *C.ly__cfleet_config) (e fleet.Entry, opt *redis.Options, prefix string, ttl time.Duration, rc C.int) {
	if cfg == nil {
		return e, nil, "", 0, fail(errInvalidArgument, "config is NULL")
	}
	if cfg.struct_size < C.uint32_t(unsafe.Sizeof(*cfg)) {
		return e, nil, "", 0, fail(errInvalidArgument, "ly_fleet_config.struct_size is %d, want %d (call ly_fleet_config_defaults)", cfg.struct_size, unsafe.Sizeof(*cfg))
	}
	redisURL := goString(cfg.redis_url)
	if redisURL == "" {
		return e, nil, "", 0, fail(errInvalidArgument, "redis_url is NULL or empty")
	}
	prefix = goString(cfg.key_prefix)
	ttl = time.Duration(cfg.ttl_ms) * time.Millisecond
	if ttl == 0 {
		ttl = defaultFleetTTL
	}
	if ttl < minFleetTTL {
		return e, nil, "", 0, fail(errInvalidArgument, "ttl_ms %d is below %d", cfg.ttl_ms, minFleetTTL.Milliseconds())
	}
	e.ID = goString(cfg.server_id)
	if e.ID == "" {
		id, err := randomServerID()
		if err != nil {
			return e, nil, "", 0, fail(errInternal, "server id: %v", err)
		}
		e.ID = id
	}
	e.Tags = strings.FieldsFunc(goString(cfg.tags), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	addrs, err := parseAddresses(cfg.public_addresses)
	if err != nil {
		return e, nil, "", 0, fail(errInvalidArgument, "public_addresses: %v", err)
	}
	if err := checkPublic(addrs); err != nil {
		return e, nil, "", 0, fail(errInvalidArgument, "public_addresses: %v", err)
	}
	e.Addresses = addrs
	// Parsed now, so that a malformed URL is an argument error whatever
	// the handle.
	opt, err = fleet.RedisOptions(redisURL)
	if err != nil {
		return e, nil, "", 0, fail(errInvalidArgument, "redis_url: %v", err)
	}
	// No retries inside a command: Keep retries every TTL/3 anyway, and
	// the deregistration that ly_server_destroy waits for must not spend
	// its 2 s on backoff against a Redis that is down.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	return e, opt, prefix, ttl, C.LY_OK
}

func checkPublic(addrs []netip.AddrPort) error {
	for _, a := range addrs {
		if a.Port() == 0 || a.Addr().IsUnspecified() {
			return fmt.Errorf("%v is not an address clients can reach (port 0 or unspecified)", a)
		}
	}
	return nil
}

//export ly__go_server_fleet_register
func ly__go_server_fleet_register(h *C.ly_server, cfg *C.ly__cfleet_config) (rc C.int) {
	defer recoverPanic(&rc)
	e, opt, prefix, ttl, rc := fleetEntry(cfg)
	if rc != C.LY_OK {
		return rc
	}
	en, s, rc := lockServer(h)
	if en == nil {
		return rc
	}
	defer en.mu.Unlock()
	if s.nc == nil {
		return fail(errInvalidArgument, "the server has no netcode backend (no bind_addresses): the fleet hands out connect tokens, which only netcode clients use")
	}
	if !s.srv.Running() {
		return fail(errNotRunning, "start the server before registering it: its ports are known then")
	}
	if s.fleet != nil {
		return fail(errAlreadyActive, "the server is already registered in the fleet")
	}
	if len(e.Addresses) == 0 {
		e.Addresses = slices.Clone(s.nc.PublicAddresses())
	}
	if err := checkPublic(e.Addresses); err != nil {
		return fail(errInvalidArgument, "public address %v", err)
	}
	e.Capacity = s.nc.MaxClients()
	rdb := redis.NewClient(opt)
	reg, err := fleet.NewRegistrar(rdb, prefix, ttl)
	if err != nil {
		rdb.Close()
		return fail(errInvalidArgument, "%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fleetReg{cancel: cancel, done: make(chan struct{}), rdb: rdb}
	f.connected.Store(int64(s.nc.NumConnected()))
	// done is closed by whichever of the two ends the goroutine: not
	// deferred in the first, which would close it before a panic's
	// handler runs.
	goBackground(func() {
		reg.Keep(ctx, e, func() int { return int(f.connected.Load()) }, func(err error) {
			f.last.Store(&roundResult{err})
		})
		close(f.done)
	}, func(err error) {
		f.last.Store(&roundResult{err})
		close(f.done)
	})
	s.fleet = f
	return C.LY_OK
}

//export ly__go_server_fleet_deregister
func ly__go_server_fleet_deregister(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	return onServer(h, errInternal, func(s *serverHandle) error {
		s.stopFleet()
		return nil
	})
}

//export ly__go_server_fleet_status
func ly__go_server_fleet_status(h *C.ly_server) (rc C.int) {
	defer recoverPanic(&rc)
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if s.fleet == nil {
		return fail(errNotRunning, "the server is not registered in the fleet")
	}
	last := s.fleet.last.Load()
	switch {
	case last == nil:
		return C.LY_FLEET_PENDING
	case last.err != nil:
		return fail(errSocket, "fleet registration failing: %v", last.err)
	}
	return C.LY_FLEET_REGISTERED
}
