package main

import (
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
)

// conditionerDropAll loses every datagram: what a vanishing client sends
// on its way out.
var conditionerDropAll = conditioner.Config{Loss: 1}

// updateSlot runs one client for one tick: join if due, Update, take what
// arrived, then check its state against what its session expects.
func (r *runner) updateSlot(sl *slot, dt time.Duration) {
	if sl.client == nil {
		if r.joining() && r.now >= sl.joinAt {
			r.join(sl)
		}
		return
	}
	c := sl.client
	if err := c.Update(dt); err != nil {
		r.fail("client update: %v", err)
	}
	for p, ok := c.Receive(); ok; p, ok = c.Receive() {
		r.receiveDown(sl, p)
	}
	if sl.sess != nil {
		r.checkClient(sl, sl.sess)
	}
}

// receiveDown checks one payload a client received.
func (r *runner) receiveDown(sl *slot, p []byte) {
	id, seq, dir, err := decodePayload(p, r.cfg.Seed)
	t := &r.tot[down]
	switch {
	case err != nil:
		t.corrupt++
		r.fail("client received a corrupt payload (%d bytes)", len(p))
		return
	case sl.sess == nil || id != sl.sess.id || dir != down:
		t.misrouted++
		r.fail("client of session %v received a payload of session %d %v seq %d", sessionID(sl.sess), id, dir, seq)
		return
	}
	r.deliver(sl.sess, down, seq)
}

// deliver records one checked payload.
func (r *runner) deliver(s *session, d direction, seq uint64) {
	t := &r.tot[d]
	switch s.streams[d].deliver(seq) {
	case duplicate:
		t.duplicates++
		r.fail("session %d %v seq %d delivered twice", s.id, d, seq)
	case neverSent:
		t.misrouted++
		r.fail("session %d %v seq %d was never sent (%d sent)", s.id, d, seq, s.streams[d].sent)
	}
}

func sessionID(s *session) any {
	if s == nil {
		return "none"
	}
	return s.id
}

// checkClient compares a client's state with what its session expects.
func (r *runner) checkClient(sl *slot, s *session) {
	st := sl.client.State()
	switch s.phase {
	case connecting:
		switch {
		case st == core.StateConnected:
			if !s.serverUp {
				r.fail("session %d: client connected but the server reported no connection", s.id)
			}
			s.phase, s.since = live, r.now
		case st <= core.StateDisconnected:
			r.fail("session %d: handshake ended in %v (%v)", s.id, st, sl.client.DisconnectReason())
			r.broken(s)
		case r.now-s.since > r.cfg.Timeout+time.Second:
			r.fail("session %d: handshake still in %v after %v", s.id, st, r.now-s.since)
			r.broken(s)
		}
	case live, quiescing:
		if st == core.StateConnected {
			return
		}
		if st == core.StateConnectionTimedOut && !r.strict {
			r.allowed++
		} else {
			r.unexpected++
			r.fail("session %d: live client left %v: %v (%v)", s.id, core.StateConnected, st, sl.client.DisconnectReason())
		}
		r.broken(s)
	case ending: // kicked, restarted or broken: the client must see it end
		if st > core.StateDisconnected {
			if r.now-s.since > r.cfg.Timeout+r.cfg.drain()+time.Second {
				r.fail("session %d (%v): client still %v after %v", s.id, s.leave, st, r.now-s.since)
				r.broken(s)
			}
			return
		}
		switch reason := sl.client.DisconnectReason(); {
		case s.leave == leaveBroken:
		case reason == core.ReasonRemote:
			r.outcome("client: " + s.leave.String() + ": disconnect packet received")
		case reason == core.ReasonTimedOut:
			// Every one of the server's 10 disconnect packets was lost.
			r.outcome("client: " + s.leave.String() + ": timed out (all disconnect packets lost)")
		default:
			r.fail("session %d (%v): client ended %v (%v)", s.id, s.leave, st, reason)
		}
		if s.leave == leaveRestart {
			r.detach(s)
			if r.joining() {
				r.join(sl) // same client, same socket, new token
			}
			return
		}
		r.closeClient(sl)
		r.detach(s)
	}
}

// broken ends a session that failed, already reported: the client closes
// and the server may say anything about it from here on.
func (r *runner) broken(s *session) {
	s.leave, s.phase, s.since = leaveBroken, ending, r.now
	r.leaves[leaveBroken]++
	if s.slot != nil {
		r.closeClient(s.slot)
	}
	if !s.serverUp {
		s.serverDone = true
	}
	r.detach(s)
}
