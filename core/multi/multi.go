// Package multi runs several backends behind one core.Server: netcode on
// one or more addresses, local (host) clients and Steam at once. Client ids
// are tagged by backend, so netcode 1, steam 1 and local 1 coexist; sends,
// disconnects and look-ups route by the id's kind, and the events of every
// backend come out of the one PollEvent.
//
// A new backend plugs in by implementing core.Server for ids of its own
// kind and being passed to New: nothing here or in the C API's event code
// changes.
package multi

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/internal/eventq"
)

// Backend is one kind of connection a Server serves.
type Backend interface {
	core.Server
	// Kind is the kind of every client id the backend reports.
	Kind() core.Kind
}

// StatsReporter is implemented by backends that count traffic.
type StatsReporter interface {
	Stats() core.Stats
	ClientStats(id core.ClientID) (core.Stats, bool)
}

// Server is a core.Server over several backends, at most one per kind.
//
// It is as safe for concurrent use as its backends are; the C API
// serialises calls on it.
type Server struct {
	backends []Backend
	byKind   map[core.Kind]Backend
	running  bool
	polled   int          // the backend PollEvent drains first
	orphans  eventq.Queue // events of removed backends, still to be polled
	// polling is what backends' PollEvent writes into: handing them the
	// caller's pointer through the interface would make it escape, so
	// every caller's event (the C API's included) would be allocated on
	// the heap at each poll.
	polling core.Event
}

var _ core.Server = (*Server)(nil)

// ErrDuplicateKind: two backends of one kind.
var ErrDuplicateKind = errors.New("multi: two backends of the same kind")

// New makes a stopped server over backends.
func New(backends ...Backend) (*Server, error) {
	s := &Server{byKind: make(map[core.Kind]Backend), orphans: eventq.New(1 << 16)}
	for _, b := range backends {
		if err := s.Add(b); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add registers a backend; if the server runs, the backend is started.
func (s *Server) Add(b Backend) error {
	if _, dup := s.byKind[b.Kind()]; dup {
		return fmt.Errorf("%w: %v", ErrDuplicateKind, b.Kind())
	}
	if s.running && !b.Running() {
		if err := b.Start(); err != nil {
			return err
		}
	}
	s.backends = append(s.backends, b)
	s.byKind[b.Kind()] = b
	return nil
}

// Remove stops and drops the backend of a kind, if there is one: its
// clients get their EventDisconnected (ReasonServerStopped) first.
func (s *Server) Remove(k core.Kind) error {
	b, ok := s.byKind[k]
	if !ok {
		return nil
	}
	err := b.Stop()
	var ev core.Event
	for b.PollEvent(&ev) {
		s.orphans.Push(ev)
	}
	delete(s.byKind, k)
	for i, o := range s.backends {
		if o == b {
			s.backends = append(s.backends[:i], s.backends[i+1:]...)
			break
		}
	}
	s.polled = 0
	return err
}

// Backend returns the backend of a kind.
func (s *Server) Backend(k core.Kind) (Backend, bool) {
	b, ok := s.byKind[k]
	return b, ok
}

// Start starts every backend; if one fails, the ones started are stopped.
func (s *Server) Start() error {
	if s.running {
		return core.ErrAlreadyStarted
	}
	for i, b := range s.backends {
		start := b.Start
		if h, ok := b.(heldStarter); ok {
			start = h.StartHeld
		}
		if err := start(); err != nil {
			for _, started := range s.backends[:i] {
				started.Stop()
			}
			return fmt.Errorf("starting %v backend: %w", b.Kind(), err)
		}
	}
	for _, b := range s.backends {
		if h, ok := b.(heldStarter); ok {
			h.ConnectPending()
		}
	}
	s.running = true
	return nil
}

// heldStarter is a backend whose clients may wait for the server to start
// (local.Server). Start connects them only once every backend has started,
// so that a start rolled back never connects and then drops them.
type heldStarter interface {
	StartHeld() error
	ConnectPending()
}

func (s *Server) Stop() error {
	if !s.running {
		return nil
	}
	var err error
	for _, b := range s.backends {
		err = errors.Join(err, b.Stop())
	}
	s.running = false
	return err
}

func (s *Server) Running() bool { return s.running }

// Orphans is the number of events of removed backends still to be polled.
func (s *Server) Orphans() int { return s.orphans.Len() }

func (s *Server) Update(dt time.Duration) error {
	if !s.running {
		return core.ErrNotStarted
	}
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	var err error
	for _, b := range s.backends {
		if e := b.Update(dt); e != nil {
			err = errors.Join(err, fmt.Errorf("%v backend: %w", b.Kind(), e))
		}
	}
	return err
}

// route finds the backend of an id.
func (s *Server) route(id core.ClientID) (Backend, error) {
	if !s.running {
		return nil, core.ErrNotStarted
	}
	b, ok := s.byKind[id.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %v (no %v backend)", core.ErrUnknownClient, id, id.Kind)
	}
	return b, nil
}

func (s *Server) Send(id core.ClientID, payload []byte) error {
	if len(payload) < 1 || len(payload) > core.MaxPayload {
		return fmt.Errorf("%w: %d bytes", core.ErrPayloadSize, len(payload))
	}
	b, err := s.route(id)
	if err != nil {
		return err
	}
	return b.Send(id, payload)
}

func (s *Server) Broadcast(payload []byte) error {
	if !s.running {
		return core.ErrNotStarted
	}
	var err error
	for _, b := range s.backends {
		err = errors.Join(err, b.Broadcast(payload))
	}
	return err
}

func (s *Server) Flush() error {
	if !s.running {
		return core.ErrNotStarted
	}
	var err error
	for _, b := range s.backends {
		err = errors.Join(err, b.Flush())
	}
	return err
}

func (s *Server) Disconnect(id core.ClientID) error {
	b, err := s.route(id)
	if err != nil {
		return err
	}
	return b.Disconnect(id)
}

func (s *Server) DisconnectAll() error {
	if !s.running {
		return core.ErrNotStarted
	}
	var err error
	for _, b := range s.backends {
		err = errors.Join(err, b.DisconnectAll())
	}
	return err
}

func (s *Server) ConnectedIDs(dst []core.ClientID) []core.ClientID {
	for _, b := range s.backends {
		dst = b.ConnectedIDs(dst)
	}
	return dst
}

func (s *Server) NumConnected() int {
	n := 0
	for _, b := range s.backends {
		n += b.NumConnected()
	}
	return n
}

func (s *Server) ClientAddr(id core.ClientID) (netip.AddrPort, bool) {
	if b, ok := s.byKind[id.Kind]; ok {
		return b.ClientAddr(id)
	}
	return netip.AddrPort{}, false
}

func (s *Server) ClientUserData(id core.ClientID) ([core.UserDataSize]byte, bool) {
	if b, ok := s.byKind[id.Kind]; ok {
		return b.ClientUserData(id)
	}
	return [core.UserDataSize]byte{}, false
}

// PollEvent takes the next event of any backend. It keeps draining the
// backend that gave the last event, then moves on, so every backend's
// events come out in their own order.
func (s *Server) PollEvent(ev *core.Event) bool {
	if s.orphans.Pop(ev) {
		return true
	}
	for i := 0; i < len(s.backends); i++ {
		b := s.backends[(s.polled+i)%len(s.backends)]
		if b.PollEvent(&s.polling) {
			*ev = s.polling
			s.polling = core.Event{}
			s.polled = (s.polled + i) % len(s.backends)
			return true
		}
	}
	return false
}

// Stats adds up the counters of every backend that keeps them.
func (s *Server) Stats() core.Stats {
	var total core.Stats
	for _, b := range s.backends {
		if r, ok := b.(StatsReporter); ok {
			total.Add(r.Stats())
		}
	}
	return total
}

// ClientStats returns one client's counters from its backend.
func (s *Server) ClientStats(id core.ClientID) (core.Stats, bool) {
	if b, ok := s.byKind[id.Kind]; ok {
		if r, ok := b.(StatsReporter); ok {
			return r.ClientStats(id)
		}
	}
	return core.Stats{}, false
}
