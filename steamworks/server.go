package steamworks

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/internal/eventq"
)

// Server is the server side of Steam connections. It implements
// multi.Backend: core.Server with ids of kind core.KindSteam.
//
// Not safe for concurrent use, like every core.Server; it may be driven
// from a different goroutine than the clients and other servers of its
// Library.
type Server struct {
	lib     *Library
	cfg     ServerConfig
	running bool
	listen  uint32 // listen socket, 0 when stopped
	group   uint32 // poll group of every accepted connection
	now     time.Duration

	peers     map[uint32]*peer // accepted (connecting or connected), by handle
	byID      map[uint64]*peer // the same, by client id
	connected []*peer          // connected, in connection order
	events    eventq.Queue
	stats     core.Stats
	userData  [core.UserDataSize]byte // zeros, shown to the accept hook

	inbox // changes routed here by pump
	msgs  []*C.lys_Message
}

// peer is one accepted connection.
type peer struct {
	conn      uint32
	id        uint64
	addr      netip.AddrPort
	connected bool
	stats     core.Stats
	lastRecv  time.Duration
}

// NewServer makes a stopped server on lib.
func NewServer(lib *Library, cfg ServerConfig) (*Server, error) {
	cfg, err := cfg.withDefaults(lib.flavour)
	if err != nil {
		return nil, err
	}
	s := &Server{
		lib:    lib,
		cfg:    cfg,
		peers:  make(map[uint32]*peer),
		byID:   make(map[uint64]*peer),
		events: eventq.New(cfg.EventQueueSize),
		msgs:   make([]*C.lys_Message, receiveBatch),
	}
	lib.adopt(s)
	return s, nil
}

// Kind reports that this backend's clients are Steam ones.
func (s *Server) Kind() core.Kind { return core.KindSteam }

// Start creates the listen socket and the poll group.
func (s *Server) Start() error {
	if s.running {
		return core.ErrAlreadyStarted
	}
	l := s.lib
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errLibraryClosed
	}
	var listen C.uint32_t
	if s.cfg.Mode == ModeP2P {
		l.initRelay()
		listen = C.lys_listen_p2p(l.c, C.int(s.cfg.VirtualPort))
	} else {
		ip, port := addrToC(s.cfg.Address)
		listen = C.lys_listen_ip(l.c, (*C.uint8_t)(&ip[0]), C.uint16_t(port))
	}
	if listen == 0 {
		return fmt.Errorf("%w: listening on %s", ErrSocket, s.where())
	}
	group := C.lys_create_poll_group(l.c)
	if group == 0 {
		C.lys_close_listen(l.c, listen)
		return fmt.Errorf("%w: CreatePollGroup", ErrSocket)
	}
	s.listen, s.group = uint32(listen), uint32(group)
	l.listeners[s.listen] = s
	s.queued = s.queued[:0]
	s.running = true
	return nil
}

func (s *Server) where() string {
	if s.cfg.Mode == ModeP2P {
		return fmt.Sprintf("virtual port %d", s.cfg.VirtualPort)
	}
	return s.cfg.Address.String()
}

// Stop disconnects every client (EventDisconnected, ReasonServerStopped;
// the client sees EndReasonServerStopped), drops connections still
// connecting, and closes the listen socket and the poll group.
func (s *Server) Stop() error {
	if !s.running {
		return nil
	}
	for len(s.connected) > 0 {
		s.drop(s.connected[len(s.connected)-1], core.ReasonServerStopped, EndReasonServerStopped, "server stopped")
	}
	for _, p := range s.peers { // accepted, not yet connected
		s.drop(p, core.ReasonServerStopped, EndReasonServerStopped, "server stopped")
	}
	l := s.lib
	l.mu.Lock()
	delete(l.listeners, s.listen)
	// Connections that arrived on the socket but were not handled yet.
	for _, st := range s.queued {
		if l.conns[st.conn] == statusSink(s) {
			delete(l.conns, st.conn)
			C.lys_close_connection(l.c, C.uint32_t(st.conn), EndReasonServerStopped, nil)
		}
	}
	s.queued = s.queued[:0]
	l.mu.Unlock()
	C.lys_close_listen(l.c, C.uint32_t(s.listen))
	C.lys_destroy_poll_group(l.c, C.uint32_t(s.group))
	s.listen, s.group = 0, 0
	s.running = false
	return nil
}

func (s *Server) closeFromLibrary() { s.Stop() }

func (s *Server) Running() bool { return s.running }

// Update runs Steam's callbacks, handles connection changes (accepting or
// refusing new connections) and moves received messages into the event
// queue. dt only advances the clock of the statistics: Steam keeps its
// own time for handshakes and timeouts.
func (s *Server) Update(dt time.Duration) error {
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	if !s.running {
		return core.ErrNotStarted
	}
	s.now = core.AdvanceClock(s.now, dt)
	if err := s.lib.pump(); err != nil {
		return err
	}
	s.drain(&s.lib.mu, s.handle)
	s.receive()
	return nil
}

// handle acts on one status change of one of the server's connections.
func (s *Server) handle(st *status) {
	p := s.peers[st.conn]
	switch st.state {
	case stateConnecting, stateFindingRoute:
		switch {
		case p == nil && st.listen == s.listen:
			s.admit(st)
		case p == nil: // from a listen socket this server closed
			s.free(st.conn, EndReasonServerStopped, "")
		}
	case stateConnected:
		if p != nil && !p.connected {
			s.markConnected(p)
		}
	case stateClosedByPeer, stateProblemDetectedLocally:
		if p == nil {
			s.free(st.conn, 0, "")
			return
		}
		s.receive() // what the peer sent before it went
		reason := core.ReasonRemote
		if st.state == stateProblemDetectedLocally {
			reason = core.ReasonTimedOut
		}
		// Closing after the peer did frees the handle; Steam needs it.
		s.drop(p, reason, 0, "")
	}
}

// admit decides on a new connection: accepted, it joins the poll group
// and is connected once Steam says so.
func (s *Server) admit(st *status) {
	id, ok := peerID(st)
	switch {
	case !ok:
		s.refuse(st.conn, EndReasonRejected, "no usable identity")
		return
	case s.byID[id] != nil:
		s.refuse(st.conn, EndReasonDuplicate, "already connected")
		return
	case len(s.peers) >= s.cfg.MaxClients:
		s.refuse(st.conn, EndReasonServerFull, "server full")
		return
	}
	if s.cfg.Accept != nil {
		s.userData = [core.UserDataSize]byte{}
		req := core.ConnectRequest{Client: core.SteamID(id), Addr: st.addr, UserData: &s.userData}
		if !s.cfg.Accept(req) {
			s.refuse(st.conn, EndReasonRejected, "refused by the server")
			return
		}
	}
	l := s.lib
	// Into the poll group first, so no message lands on the connection's
	// own queue.
	if !C.lys_set_poll_group(l.c, C.uint32_t(st.conn), C.uint32_t(s.group)) {
		s.refuse(st.conn, EndReasonRejected, "")
		return
	}
	if r := C.lys_accept(l.c, C.uint32_t(st.conn)); r != C.LYS_RESULT_OK {
		// The peer gave up already, or Steam refused: let it go.
		s.free(st.conn, EndReasonRejected, "")
		return
	}
	p := &peer{conn: st.conn, id: id, addr: st.addr}
	s.peers[p.conn] = p
	s.byID[id] = p
}

func (s *Server) refuse(conn uint32, reason int, debug string) {
	s.stats.DroppedRejected++
	s.free(conn, reason, debug)
}

// free closes a handle and stops routing its changes.
func (s *Server) free(conn uint32, reason int, debug string) {
	var cdebug *C.char
	if debug != "" {
		cdebug = C.CString(debug)
		defer C.free(unsafe.Pointer(cdebug))
	}
	s.lib.forget(conn)
	C.lys_close_connection(s.lib.c, C.uint32_t(conn), C.int(reason), cdebug)
}

func (s *Server) markConnected(p *peer) {
	p.connected = true
	p.lastRecv = s.now
	s.connected = append(s.connected, p)
	s.events.Push(core.Event{Type: core.EventConnected, Client: core.SteamID(p.id)})
}

// drop ends p's connection: its handle is closed with endReason on the
// wire, and a connected client's EventDisconnected carries reason.
func (s *Server) drop(p *peer, reason core.DisconnectReason, endReason int, debug string) {
	s.free(p.conn, endReason, debug)
	delete(s.peers, p.conn)
	delete(s.byID, p.id)
	if !p.connected {
		return
	}
	for i, c := range s.connected {
		if c == p {
			s.connected = append(s.connected[:i], s.connected[i+1:]...)
			break
		}
	}
	s.events.Push(core.Event{Type: core.EventDisconnected, Client: core.SteamID(p.id), Reason: reason})
}

func (s *Server) checkPayload(p []byte) error {
	if len(p) < 1 || len(p) > s.cfg.MaxPayload {
		return fmt.Errorf("%w: %d bytes", core.ErrPayloadSize, len(p))
	}
	return nil
}

// lookup finds a connected client.
func (s *Server) lookup(id core.ClientID) (*peer, error) {
	if !s.running {
		return nil, core.ErrNotStarted
	}
	if p := s.byID[id.ID]; p != nil && p.connected && id.Kind == core.KindSteam {
		return p, nil
	}
	return nil, fmt.Errorf("%w: %v", core.ErrUnknownClient, id)
}

func (s *Server) Send(id core.ClientID, payload []byte) error {
	if err := s.checkPayload(payload); err != nil {
		return err
	}
	p, err := s.lookup(id)
	if err != nil {
		return err
	}
	return s.send(p, payload)
}

func (s *Server) send(p *peer, payload []byte) error {
	if err := send(s.lib, p.conn, payload); err != nil {
		return fmt.Errorf("%w (client %v)", err, core.SteamID(p.id))
	}
	n := uint64(len(payload))
	s.stats.PacketsSent++
	s.stats.BytesSent += n
	p.stats.PacketsSent++
	p.stats.BytesSent += n
	return nil
}

func (s *Server) Broadcast(payload []byte) error {
	if err := s.checkPayload(payload); err != nil {
		return err
	}
	if !s.running {
		return core.ErrNotStarted
	}
	var err error
	for _, p := range s.connected {
		err = errors.Join(err, s.send(p, payload))
	}
	return err
}

// Flush has nothing to write: messages go with NoNagle, so Steam sends
// them on its next service pass without waiting for more.
func (s *Server) Flush() error {
	if !s.running {
		return core.ErrNotStarted
	}
	return nil
}

// Disconnect closes one client's connection with EndReasonDisconnect.
func (s *Server) Disconnect(id core.ClientID) error {
	p, err := s.lookup(id)
	if err != nil {
		return err
	}
	s.drop(p, core.ReasonLocal, EndReasonDisconnect, "disconnected by the server")
	return nil
}

func (s *Server) DisconnectAll() error {
	if !s.running {
		return core.ErrNotStarted
	}
	for len(s.connected) > 0 {
		s.drop(s.connected[len(s.connected)-1], core.ReasonLocal, EndReasonDisconnect, "disconnected by the server")
	}
	return nil
}

func (s *Server) ConnectedIDs(dst []core.ClientID) []core.ClientID {
	for _, p := range s.connected {
		dst = append(dst, core.SteamID(p.id))
	}
	return dst
}

func (s *Server) NumConnected() int { return len(s.connected) }

// ClientAddr is the client's address when Steam knows it: IP connections,
// and P2P ones that went direct. Relayed P2P clients have none.
func (s *Server) ClientAddr(id core.ClientID) (netip.AddrPort, bool) {
	p, err := s.lookup(id)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return p.addr, true // zero for a P2P peer
}

// ClientUserData: Steam connections carry no user data; a connected
// client reports zeros.
func (s *Server) ClientUserData(id core.ClientID) ([core.UserDataSize]byte, bool) {
	_, err := s.lookup(id)
	return [core.UserDataSize]byte{}, err == nil
}

func (s *Server) PollEvent(ev *core.Event) bool { return s.events.Pop(ev) }

// Stats returns the server's counters.
func (s *Server) Stats() core.Stats { return s.stats }

// ClientStats returns one connected client's counters.
func (s *Server) ClientStats(id core.ClientID) (core.Stats, bool) {
	p, err := s.lookup(id)
	if err != nil {
		return core.Stats{}, false
	}
	st := p.stats
	st.SinceLastReceive = s.now - p.lastRecv
	return st, true
}

// ConnectionStatus returns Steam's live view of a connected client's
// connection (ping, quality, rates, queues).
func (s *Server) ConnectionStatus(id core.ClientID) (ConnectionStatus, error) {
	p, err := s.lookup(id)
	if err != nil {
		return ConnectionStatus{}, err
	}
	return connectionStatus(s.lib, p.conn)
}
