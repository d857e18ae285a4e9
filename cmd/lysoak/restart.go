package main

// restart stops and starts the server. Every client is disconnected, as
// it would be by a real restart, and reconnects with a new token.
func (r *runner) restart() {
	var reuse []*slot
	for _, sl := range r.slots {
		s := sl.sess
		if s == nil {
			continue
		}
		switch s.phase {
		case connecting:
			// Its token names the old socket: abort, and rejoin below.
			if err := sl.client.Disconnect(); err != nil {
				r.fail("session %d: Disconnect: %v", s.id, err)
			}
			s.leave = leaveRestart
			if !s.serverUp {
				s.serverDone = true
			}
			r.detach(s)
			reuse = append(reuse, sl)
		case live, quiescing:
			s.leave, s.phase, s.since = leaveRestart, ending, r.now
		}
	}
	r.leaves[leaveRestart]++
	r.sampleKernelDrops()
	r.stopping = true
	if err := r.server.Stop(); err != nil {
		r.fail("server stop: %v", err)
	}
	r.pollServer()
	r.stopping = false
	if n := r.server.NumConnected(); n != 0 {
		r.fail("%d clients still connected after Stop", n)
	}
	for _, s := range r.sessions {
		if s.serverUp {
			r.fail("session %d: no disconnect event from Stop", s.id)
		}
		s.serverDone = true
		r.maybeFinish(s)
	}
	if err := r.server.Start(); err != nil {
		r.fail("server start: %v", err)
	}
	r.restarted = true
	for _, sl := range reuse {
		r.join(sl)
	}
}
