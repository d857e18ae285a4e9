package fleet

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// ServerEntry describes a started netcode server: its public addresses
// and MaxClients as capacity.
func ServerEntry(id string, srv *netcode.Server, tags ...string) Entry {
	return Entry{ID: id, Addresses: srv.PublicAddresses(), Capacity: srv.MaxClients(), Tags: tags}
}

// Run registers e and heartbeats every TTL/3 with the count connected
// returns, until ctx ends; then it deregisters and returns nil. It
// returns early only if the first registration fails. A registration
// lost to a Redis outage longer than the TTL is made again.
//
// connected is called from Run's goroutine. netcode.Server is not safe
// for concurrent use, so do not pass srv.NumConnected directly when
// another goroutine updates srv: publish the count from the goroutine
// that owns the server (an atomic.Int64 it stores after each Update) and
// pass a func that loads it. log may be nil.
func (r *Registrar) Run(ctx context.Context, e Entry, connected func() int, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e.Connected = connected()
	if err := r.Register(ctx, e); err != nil {
		return err
	}
	defer func() {
		// ctx is over; the deregistration gets its own short deadline.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := r.Deregister(dctx, e.ID); err != nil {
			log.Warn("fleet deregister failed; the entry expires with its TTL", "id", e.ID, "err", err)
		}
	}()
	tick := time.NewTicker(max(r.ttl/3, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		// Each Redis call gets at most one period, so a stalled connection
		// cannot hold the next heartbeat back.
		hctx, cancel := context.WithTimeout(ctx, max(r.ttl/3, time.Millisecond))
		e.Connected = connected()
		err := r.Heartbeat(hctx, e.ID, e.Connected)
		if errors.Is(err, ErrNotRegistered) {
			err = r.Register(hctx, e)
		}
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Warn("fleet heartbeat failed", "id", e.ID, "err", err)
		}
	}
}

// Go starts Run in a goroutine; wait blocks until it has returned (after
// ctx ends, deregistered) and gives its error.
func (r *Registrar) Go(ctx context.Context, e Entry, connected func() int, log *slog.Logger) (wait func() error) {
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, e, connected, log) }()
	return sync.OnceValue(func() error { return <-done })
}

// Keep is Run for hosts that cannot wait on the first registration (the C
// API registers from a game loop): a failed registration is retried every
// TTL/3 instead of ending the loop, and the outcome of every round is
// passed to report (nil: the entry is in Redis with a fresh TTL), so the
// host can show that registration is failing. When ctx ends, Keep
// deregisters (with its own 2 s deadline) and returns. connected and
// report are called from Keep's goroutine; report may be nil.
func (r *Registrar) Keep(ctx context.Context, e Entry, connected func() int, report func(error)) {
	if report == nil {
		report = func(error) {}
	}
	period := max(r.ttl/3, time.Millisecond)
	tick := time.NewTicker(period)
	defer tick.Stop()
	registered := false
	for ctx.Err() == nil {
		// Each round gets at most one period, so a stalled connection
		// cannot hold the next one back.
		cctx, cancel := context.WithTimeout(ctx, period)
		e.Connected = connected()
		var err error
		if registered {
			err = r.Heartbeat(cctx, e.ID, e.Connected)
			if errors.Is(err, ErrNotRegistered) {
				err = r.Register(cctx, e)
			}
		} else if err = r.Register(cctx, e); err == nil {
			registered = true
		}
		cancel()
		if ctx.Err() != nil {
			break
		}
		report(err)
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	// Also when no registration is known to have succeeded: one in flight
	// when ctx ended may have reached Redis.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	r.Deregister(dctx, e.ID)
}
