package main

import (
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// joining reports whether empty slots take new clients.
func (r *runner) joining() bool { return r.phase == running }

// newSession registers a session for sl under the next id.
func (r *runner) newSession(sl *slot) *session {
	s := &session{id: r.nextID, slot: sl, since: r.now}
	r.nextID++
	for d := range s.owed {
		s.owed[d] = r.rng.Float64() // random phase, so that sends spread over ticks
	}
	r.sessions[s.id] = s
	sl.sess = s
	r.joins++
	return s
}

// token is what a backend hands a client: a fresh one per session, since
// a completed handshake consumes it.
func (r *runner) token(id uint64) ([]byte, error) {
	t, err := netcode.GenerateConnectToken(netcode.TokenParams{
		ProtocolID: protocolID, ClientID: id, PrivateKey: r.key,
		PublicAddresses: r.server.PublicAddresses(),
		ExpireSeconds:   int64(tokenLifetime / time.Second), TimeoutSeconds: int32(r.cfg.Timeout / time.Second),
	})
	if err != nil {
		return nil, err
	}
	return t.MarshalBinary()
}

func dialLoopback(netip.AddrPort) (transport.Transport, error) {
	return transport.ListenUDP(netip.MustParseAddrPort("127.0.0.1:0"))
}

// join starts a session on sl: a new client (new socket) for an empty
// slot, or a new token on the same client after the server restart.
func (r *runner) join(sl *slot) {
	s := r.newSession(sl)
	tok, err := r.token(s.id)
	if err != nil {
		r.fail("token: %v", err)
		return
	}
	if sl.client == nil {
		link := r.cfg.link()
		link.Seed = r.cfg.Seed ^ s.id*0x9e3779b97f4a7c15
		sl.client = netcode.NewClient(tok, netcode.ClientConfig{
			ClientID: s.id, Dial: dialLoopback,
			Conditioning: &netcode.Conditioning{Recv: &link},
		})
	} else if err := sl.client.SetToken(tok); err != nil {
		r.fail("session %d: SetToken: %v", s.id, err)
	}
	if err := sl.client.Connect(); err != nil {
		r.fail("session %d: Connect: %v", s.id, err)
	}
}

// closeClient closes sl's client and schedules the slot's next join.
func (r *runner) closeClient(sl *slot) {
	if sl.client == nil {
		return
	}
	r.clientSt.Add(sl.client.Stats())
	if err := sl.client.Close(); err != nil {
		r.fail("client close: %v", err)
	}
	sl.client = nil
	sl.joinAt = r.now + time.Duration(r.rng.Int64N(int64(500*time.Millisecond)))
}

// detach ends the client side of s.
func (r *runner) detach(s *session) {
	s.clientDone = true
	if s.slot != nil && s.slot.sess == s {
		s.slot.sess = nil
	}
	s.slot = nil
	r.maybeFinish(s)
}

// maybeFinish retires s once both sides are done with it; its payloads
// were all sent a drain ago, so what has not arrived is lost.
func (r *runner) maybeFinish(s *session) {
	if !s.clientDone || !s.serverDone {
		return
	}
	r.tot[up].finish(&s.streams[up])
	r.tot[down].finish(&s.streams[down])
	delete(r.sessions, s.id)
}
