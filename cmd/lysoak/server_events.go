package main

import (
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// pollServer takes every pending server event and checks it against the
// sessions: connections, disconnect reasons and payloads.
func (r *runner) pollServer() {
	var ev core.Event
	for r.server.PollEvent(&ev) {
		switch ev.Type {
		case core.EventConnected:
			s := r.sessions[ev.Client.ID]
			if s == nil || s.serverUp || s.phase != connecting {
				r.fail("unexpected connect event for %v (%s)", ev.Client, describe(s))
				continue
			}
			s.serverUp = true
		case core.EventDisconnected:
			s := r.sessions[ev.Client.ID]
			if s == nil || !s.serverUp {
				r.fail("unexpected disconnect event for %v, %v (%s)", ev.Client, ev.Reason, describe(s))
				continue
			}
			s.serverUp, s.serverDone = false, true
			r.judgeServerDisconnect(s, ev.Reason)
			r.maybeFinish(s)
		case core.EventPayload:
			r.receiveUp(ev.Client, ev.Payload)
		case core.EventWarning:
			// A join refused for lack of room: the soak's joins must
			// all fit the default tables.
			r.fail("server warning: %v (client %v)", ev.Warning, ev.Client)
		default:
			r.fail("unknown server event %v", ev.Type)
		}
	}
}

// judgeServerDisconnect checks the reason the server gave against how the
// session was ending.
func (r *runner) judgeServerDisconnect(s *session, reason core.DisconnectReason) {
	if r.stopping {
		if reason != core.ReasonServerStopped {
			r.fail("session %d: Stop reported %v", s.id, reason)
		}
		r.outcome("server: restart (session " + s.leave.String() + "): " + reason.String())
		return
	}
	expect := map[leave]core.DisconnectReason{
		leaveClient: core.ReasonRemote, leaveEnd: core.ReasonRemote,
		leaveKick: core.ReasonLocal, leaveVanish: core.ReasonTimedOut,
	}
	switch want, planned := expect[s.leave]; {
	case s.leave == leaveBroken:
	case !planned:
		// A live client the server dropped: the failure the soak looks for.
		if reason == core.ReasonTimedOut && !r.strict {
			r.allowed++
		} else {
			r.unexpected++
			r.fail("session %d (%v, phase %d): server disconnected a live client: %v", s.id, s.leave, s.phase, reason)
		}
		if s.slot != nil {
			r.broken(s)
		}
	case reason == want:
		r.outcome("server: " + s.leave.String() + ": " + reason.String())
		// Early means every packet of the last half timeout was lost
		// (see timeoutBound) or the server ignores its timeout.
		if s.leave == leaveVanish && r.now-s.since < r.cfg.Timeout/2 {
			r.fail("session %d: vanished client timed out after %v, before its %v timeout", s.id, r.now-s.since, r.cfg.Timeout)
		}
	case reason == core.ReasonTimedOut && (s.leave == leaveClient || s.leave == leaveEnd):
		// Every one of the client's 10 disconnect packets was lost.
		r.outcome("server: " + s.leave.String() + ": timed out (all disconnect packets lost)")
	default:
		r.fail("session %d (%v): server reported %v, want %v", s.id, s.leave, reason, want)
	}
}

// receiveUp checks one payload the server received.
func (r *runner) receiveUp(from core.ClientID, p []byte) {
	id, seq, dir, err := decodePayload(p, r.cfg.Seed)
	t := &r.tot[up]
	if err != nil {
		t.corrupt++
		r.fail("server received a corrupt payload from %v (%d bytes)", from, len(p))
		return
	}
	s := r.sessions[id]
	if from.Kind != core.KindNetcode || from.ID != id || dir != up || s == nil {
		t.misrouted++
		r.fail("server got from %v a payload of session %d %v seq %d (%s)", from, id, dir, seq, describe(s))
		return
	}
	r.deliver(s, up, seq)
}

func describe(s *session) string {
	if s == nil {
		return "no such session"
	}
	return "phase " + string('0'+rune(s.phase)) + ", leave " + s.leave.String()
}

// checkOverdue fails sessions whose client is gone but which the server
// still has not reported after the timeout: a leave it never noticed.
func (r *runner) checkOverdue() {
	limit := r.cfg.Timeout + r.cfg.drain() + time.Second
	for _, s := range r.sessions {
		if s.clientDone && !s.serverDone && r.now-s.since > limit {
			r.fail("session %d (%v): the server still has it %v after its client went", s.id, s.leave, r.now-s.since)
			s.leave = leaveBroken
			s.since = r.now // report once per timeout, not every tick
		}
	}
}
