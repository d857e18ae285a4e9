package main

/*
#include "capi_internal.h"
*/
import "C"

import (
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// Quiet servers (quiet.c says how and why): at the end of each update,
// a server where another update would only advance the clock until a
// datagram arrives is published to the C mirror, and the entries of
// entry.c answer its ticks without entering Go while none of its
// sockets is readable. Every Go call on the server unpublishes it first,
// under the handle's lock, and moves its clocks on by the time the C side
// skipped, so the clock is the sum of every dt, as if each update had
// entered Go.

// quietState is a serverHandle's part; the handle's lock guards it.
type quietState struct {
	published bool    // in the mirror as quiet
	claimed   bool    // owns its mirror slot (released on destroy)
	fds       []int   // scratch for netcode.Server.Idle
	cfds      []C.int // the same, for C
}

// publishQuiet publishes s (handle bits h) if it is quiet; s is locked.
func (s *serverHandle) publishQuiet(h uint64) {
	if s.nc == nil || s.hasHeld || len(s.web) > 0 || s.srv.Orphans() > 0 || !s.srv.Running() {
		return
	}
	if _, steam := s.srv.Backend(core.KindSteam); steam {
		return
	}
	var ok bool
	if s.q.fds, ok = s.nc.Idle(s.q.fds[:0]); !ok || len(s.q.fds) > C.LY__QUIET_MAX_FDS || !s.loc.Idle() {
		return
	}
	s.q.cfds = s.q.cfds[:0]
	for _, fd := range s.q.fds {
		s.q.cfds = append(s.q.cfds, C.int(fd))
	}
	if C.ly__quiet_publish(C.uint64_t(h), unsafe.SliceData(s.q.cfds), C.int(len(s.q.cfds))) != 0 {
		s.q.published, s.q.claimed = true, true
	}
}

// unpublishQuiet takes s out of the mirror, if it is there, and moves its
// clocks on by the dt the C side summed meanwhile: what the updates it
// answered would have done in Go, since none had anything to read. s is
// locked.
func (s *serverHandle) unpublishQuiet(h uint64) {
	// lockServer calls it with the lock held and nobody yet to unlock:
	// it must not panic, not even on a nil object (panic_test.go makes
	// one).
	if s == nil || !s.q.published {
		return
	}
	s.q.published = false
	if ns := int64(C.ly__quiet_unpublish(C.uint64_t(h))); ns > 0 {
		s.nc.Advance(time.Duration(ns))
		s.loc.Update(time.Duration(ns)) // only advances its clock
	}
}

// releaseQuiet frees s's mirror slot; the handle is being destroyed.
func (s *serverHandle) releaseQuiet(h uint64) {
	if s.q.claimed {
		s.q.published, s.q.claimed = false, false
		C.ly__quiet_release(C.uint64_t(h))
	}
}
