package main

import (
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// sendPayloads sends what each live session owes, both ways.
func (r *runner) sendPayloads(dt time.Duration) {
	owe := r.cfg.Rate * dt.Seconds()
	for _, sl := range r.slots {
		s := sl.sess
		if s == nil || s.phase != live {
			continue
		}
		for s.owed[up] += owe; s.owed[up] >= 1; s.owed[up]-- {
			p := encodePayload(r.buf[:], r.cfg.Seed, s.id, s.streams[up].next(), up)
			if err := sl.client.Send(p); err != nil {
				r.fail("session %d: client send: %v", s.id, err)
			}
		}
		for s.owed[down] += owe; s.owed[down] >= 1; s.owed[down]-- {
			p := encodePayload(r.buf[:], r.cfg.Seed, s.id, s.streams[down].next(), down)
			if err := r.server.Send(core.NetcodeID(s.id), p); err != nil {
				r.fail("session %d: server send: %v", s.id, err)
			}
		}
	}
}

// churn plans leaves: each live client leaves with probability dt/Life
// per tick, half by itself, a quarter kicked, a quarter vanishing.
func (r *runner) churn(dt time.Duration) {
	p := dt.Seconds() / r.cfg.Life.Seconds()
	for _, sl := range r.slots {
		s := sl.sess
		if s == nil || s.phase != live || r.rng.Float64() >= p {
			continue
		}
		s.phase, s.since = quiescing, r.now
		switch r.rng.IntN(4) {
		case 0, 1:
			s.leave = leaveClient
		case 2:
			s.leave = leaveKick
		case 3:
			s.leave = leaveVanish
		}
	}
}

// actOnLeaves carries out the leaves whose drain is over.
func (r *runner) actOnLeaves() {
	for _, sl := range r.slots {
		s := sl.sess
		if s == nil || s.phase != quiescing || r.now-s.since < r.cfg.drain() {
			continue
		}
		switch s.leave {
		case leaveClient:
			r.clientLeaves(s, leaveClient)
		case leaveVanish:
			// Dropping everything it sends makes Close's disconnect packets
			// vanish: a crashed client, as the server sees it.
			if err := sl.client.SetConditioning(&netcode.Conditioning{Send: &conditionerDropAll}); err != nil {
				r.fail("session %d: SetConditioning: %v", s.id, err)
			}
			r.leaves[leaveVanish]++
			s.phase, s.since = ending, r.now
			r.closeClient(sl)
			r.detach(s)
		case leaveKick:
			r.leaves[leaveKick]++
			s.phase, s.since = ending, r.now
			if err := r.server.Disconnect(core.NetcodeID(s.id)); err != nil {
				r.fail("session %d: server disconnect: %v", s.id, err)
			}
			r.pollServer()
		}
	}
}

// clientLeaves disconnects s's client and closes it.
func (r *runner) clientLeaves(s *session, why leave) {
	r.leaves[why]++
	s.leave, s.phase, s.since = why, ending, r.now
	if err := s.slot.client.Disconnect(); err != nil {
		r.fail("session %d: Disconnect: %v", s.id, err)
	}
	r.closeClient(s.slot)
	r.detach(s)
}
