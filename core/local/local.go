// Package local implements host-server connections: a client living in
// the same process as the server, exchanging payloads through memory with
// no socket and no encryption, behind the same core.Client and core.Server
// interfaces as netcode, so that a game has one code path for remote and
// host clients.
//
// A payload is copied once, into a buffer of the receiving side's queue,
// and handed out from there. The client and the server may be driven from
// different goroutines: what they share (the queues and the link state) is
// guarded by the server's mutex.
package local

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/internal/eventq"
)

// Config configures a local Server.
type Config struct {
	// MaxClients is the most local clients connected at once; default 16.
	MaxClients int
	// QueueSize bounds the payloads waiting on either side; more are
	// dropped and counted. Default 4096.
	QueueSize int
	// Accept, when set, decides on every connection.
	Accept core.AcceptFunc
}

// Server is the server side of local connections. It implements
// core.Server.
type Server struct {
	mu      sync.Mutex
	cfg     Config
	running bool
	closed  bool // Close: no start to wait for
	now     time.Duration
	clients map[uint64]*Client // connected
	order   []*Client          // connected, in connection order
	pending []*Client          // waiting for Start, in Connect order
	inbox   eventq.Queue       // events for the server's PollEvent
	stats   core.Stats
	open    int // clients made by NewClient and not yet closed (Idle)
}

var _ core.Server = (*Server)(nil)

// NewServer makes a stopped local server.
func NewServer(cfg Config) *Server {
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 16
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	return &Server{cfg: cfg, clients: make(map[uint64]*Client), inbox: eventq.New(cfg.QueueSize)}
}

// Client is a local client. It implements core.Client.
type Client struct {
	srv       *Server // its mu guards every field below
	id        uint64
	state     core.ClientState
	reason    core.DisconnectReason
	connected bool
	pending   bool // in srv.pending: Connect came before Start
	inbox     eventq.Queue
	current   core.Event
	stats     core.Stats
	lastRecv  time.Duration // server clock
	closed    bool
}

var _ core.Client = (*Client)(nil)

// NewClient makes a disconnected local client of this server; Connect
// connects it. Ids are the game's to choose; two connected local clients
// cannot share one.
func (s *Server) NewClient(id uint64) *Client {
	s.mu.Lock()
	s.open++
	s.mu.Unlock()
	return &Client{srv: s, id: id, inbox: eventq.New(s.cfg.QueueSize)}
}

// Idle reports whether the server has nothing for its driver to poll and
// nothing can arrive without a call on the server itself: no event
// queued, and every client it made is closed (a client that is merely
// disconnected can connect again on its own). Update only advances the
// clock here, so a driver may skip it while Idle and pass the skipped
// time on later.
func (s *Server) Idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open == 0 && len(s.pending) == 0 && s.inbox.Len() == 0
}

// Connect makes a local client and connects it: at once if the server
// runs, else when it starts (Client.Connect).
func (s *Server) Connect(id uint64) (*Client, error) {
	c := s.NewClient(id)
	if err := c.Connect(); err != nil {
		c.Close() // never handed out: it must not keep the server from Idle
		return nil, err
	}
	return c, nil
}

// Start starts the server and connects the clients whose Connect came
// before it, in the order of their Connect calls.
func (s *Server) Start() error {
	if err := s.StartHeld(); err != nil {
		return err
	}
	s.ConnectPending()
	return nil
}

// StartHeld starts the server but leaves the clients waiting for it
// waiting until ConnectPending. A host starting several backends calls it
// so that it connects them only once every backend has started: a start
// that fails and is rolled back then never connects and drops them.
func (s *Server) StartHeld() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return core.ErrAlreadyStarted
	}
	if s.closed {
		return core.ErrClosed
	}
	s.running = true
	return nil
}

// ConnectPending connects the clients waiting for the server, if it runs.
func (s *Server) ConnectPending() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return
	}
	for _, c := range s.pending {
		c.pending = false
		s.admit(c)
	}
	clear(s.pending)
	s.pending = s.pending[:0]
}

// Close stops the server for good: the clients waiting for it are
// disconnected (ReasonServerStopped) and Connect fails from now on.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
	s.closed = true
	for _, c := range s.pending {
		c.pending = false
		c.state, c.reason = core.StateDisconnected, core.ReasonServerStopped
	}
	clear(s.pending)
	s.pending = nil
	return nil
}

// Stop disconnects the connected clients; those waiting for the server
// keep waiting for its next Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
	return nil
}

// stop is Stop with s.mu held.
func (s *Server) stop() {
	if !s.running {
		return
	}
	for len(s.order) > 0 {
		s.drop(s.order[len(s.order)-1], core.ReasonServerStopped, core.ReasonRemote)
	}
	s.running = false
}

func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Update advances the server's clock; local traffic needs no work.
func (s *Server) Update(dt time.Duration) error {
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return core.ErrNotStarted
	}
	s.now = core.AdvanceClock(s.now, dt)
	return nil
}

// lookup finds a connected client; s.mu is held.
func (s *Server) lookup(id core.ClientID) (*Client, error) {
	if !s.running {
		return nil, core.ErrNotStarted
	}
	if c := s.clients[id.ID]; c != nil && id.Kind == core.KindLocal {
		return c, nil
	}
	return nil, fmt.Errorf("%w: %v", core.ErrUnknownClient, id)
}

func checkPayload(p []byte) error {
	if len(p) < 1 || len(p) > core.MaxPayload {
		return fmt.Errorf("%w: %d bytes", core.ErrPayloadSize, len(p))
	}
	return nil
}

func (s *Server) Send(id core.ClientID, payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookup(id)
	if err != nil {
		return err
	}
	s.deliver(c, payload)
	return nil
}

// deliver queues a payload for client c; s.mu is held.
func (s *Server) deliver(c *Client, payload []byte) {
	n := uint64(len(payload))
	s.stats.PacketsSent++
	s.stats.BytesSent += n
	if !c.inbox.Push(core.Event{Type: core.EventPayload, Payload: payload}) {
		c.stats.DroppedQueueFull++
		return
	}
	c.stats.PacketsReceived++
	c.stats.BytesReceived += n
}

func (s *Server) Broadcast(payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return core.ErrNotStarted
	}
	for _, c := range s.order {
		s.deliver(c, payload)
	}
	return nil
}

// Flush has nothing to write: local payloads are delivered by Send.
func (s *Server) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return core.ErrNotStarted
	}
	return nil
}

func (s *Server) Disconnect(id core.ClientID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookup(id)
	if err != nil {
		return err
	}
	s.drop(c, core.ReasonLocal, core.ReasonRemote)
	return nil
}

func (s *Server) DisconnectAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return core.ErrNotStarted
	}
	for len(s.order) > 0 {
		s.drop(s.order[len(s.order)-1], core.ReasonLocal, core.ReasonRemote)
	}
	return nil
}

// drop ends c's connection: the server's event carries serverReason, the
// client's state clientReason. s.mu is held.
func (s *Server) drop(c *Client, serverReason, clientReason core.DisconnectReason) {
	delete(s.clients, c.id)
	for i, o := range s.order {
		if o == c {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	c.connected = false
	c.state, c.reason = core.StateDisconnected, clientReason
	s.inbox.Push(core.Event{Type: core.EventDisconnected, Client: core.LocalID(c.id), Reason: serverReason})
}

func (s *Server) ConnectedIDs(dst []core.ClientID) []core.ClientID {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.order {
		dst = append(dst, core.LocalID(c.id))
	}
	return dst
}

func (s *Server) NumConnected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order)
}

// ClientAddr: local clients have no address; ok reports whether id is
// connected.
func (s *Server) ClientAddr(id core.ClientID) (netip.AddrPort, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.lookup(id)
	return netip.AddrPort{}, err == nil
}

// ClientUserData: local clients carry none; a connected client reports
// zeros.
func (s *Server) ClientUserData(id core.ClientID) ([core.UserDataSize]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.lookup(id)
	return [core.UserDataSize]byte{}, err == nil
}

func (s *Server) PollEvent(ev *core.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inbox.Pop(ev)
}

// Stats returns the server's counters: payloads it sent and received.
func (s *Server) Stats() core.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ClientStats returns a connected client's counters as the server sees
// them (what it received from the client and sent to it).
func (s *Server) ClientStats(id core.ClientID) (core.Stats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookup(id)
	if err != nil {
		return core.Stats{}, false
	}
	st := core.Stats{
		PacketsSent: c.stats.PacketsReceived, BytesSent: c.stats.BytesReceived,
		PacketsReceived: c.stats.PacketsSent, BytesReceived: c.stats.BytesSent,
		SinceLastReceive: s.now - c.lastRecv,
	}
	return st, true
}

// Connect connects the client to its server: the server gets an
// EventConnected unless its accept hook refuses (then the state is
// StateConnectionDenied). If the server is not running, the client waits
// in StateSendingRequest and connects when the server starts, as
// lightyear's host client does; Disconnect or Close stop the wait. Only a
// closed server refuses, with ErrNotStarted.
func (c *Client) Connect() error {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case c.closed:
		return core.ErrClosed
	case c.connected || c.pending:
		return core.ErrAlreadyActive
	case s.closed:
		return core.ErrNotStarted
	case s.clients[c.id] != nil || s.waiting(c.id):
		return fmt.Errorf("%w: local client %d is already connected", core.ErrInvalidArgument, c.id)
	}
	if !s.running {
		c.pending = true
		c.state, c.reason = core.StateSendingRequest, core.ReasonNone
		s.pending = append(s.pending, c)
		return nil
	}
	s.admit(c)
	return nil
}

// waiting reports whether a client with this id waits for Start; s.mu is
// held.
func (s *Server) waiting(id uint64) bool {
	for _, c := range s.pending {
		if c.id == id {
			return true
		}
	}
	return false
}

// unwait takes c off the waiting list; s.mu is held.
func (s *Server) unwait(c *Client) {
	for i, o := range s.pending {
		if o == c {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			break
		}
	}
	c.pending = false
	c.state, c.reason = core.StateDisconnected, core.ReasonLocal
}

// admit connects c to the running server, or denies it; s.mu is held.
func (s *Server) admit(c *Client) {
	deny := len(s.order) >= s.cfg.MaxClients
	if !deny && s.cfg.Accept != nil {
		deny = !s.cfg.Accept(core.ConnectRequest{Client: core.LocalID(c.id), UserData: new([core.UserDataSize]byte)})
	}
	if deny {
		c.state, c.reason = core.StateConnectionDenied, core.ReasonDenied
		return
	}
	c.inbox.Clear()
	c.connected = true
	c.state, c.reason = core.StateConnected, core.ReasonNone
	c.lastRecv = s.now
	s.clients[c.id] = c
	s.order = append(s.order, c)
	s.inbox.Push(core.Event{Type: core.EventConnected, Client: core.LocalID(c.id)})
}

func (c *Client) Disconnect() error {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return core.ErrClosed
	}
	if c.connected {
		s.drop(c, core.ReasonRemote, core.ReasonLocal)
	}
	if c.pending {
		s.unwait(c)
	}
	return nil
}

func (c *Client) Close() error {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.connected {
		s.drop(c, core.ReasonRemote, core.ReasonLocal)
	}
	if c.pending {
		s.unwait(c)
	}
	if !c.closed {
		s.open--
	}
	c.closed = true
	return nil
}

// Update has nothing to do for a local client beyond checking its use.
func (c *Client) Update(dt time.Duration) error {
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	if c.closed {
		return core.ErrClosed
	}
	return nil
}

func (c *Client) State() core.ClientState {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	return c.state
}

func (c *Client) DisconnectReason() core.DisconnectReason {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	return c.reason
}

func (c *Client) Send(payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return core.ErrClosed
	}
	if !c.connected {
		return core.ErrNotConnected
	}
	n := uint64(len(payload))
	c.stats.PacketsSent++
	c.stats.BytesSent += n
	if !s.inbox.Push(core.Event{Type: core.EventPayload, Client: core.LocalID(c.id), Payload: payload}) {
		s.stats.DroppedQueueFull++
		return nil
	}
	c.lastRecv = s.now
	s.stats.PacketsReceived++
	s.stats.BytesReceived += n
	return nil
}

func (c *Client) Receive() ([]byte, bool) {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	if !c.inbox.Pop(&c.current) {
		return nil, false
	}
	return c.current.Payload, true
}

func (c *Client) ID() core.ClientID { return core.LocalID(c.id) }

// LocalAddr: a local client has no socket.
func (c *Client) LocalAddr() netip.AddrPort { return netip.AddrPort{} }

// Stats returns the client's counters.
func (c *Client) Stats() core.Stats {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	return c.stats
}

// Kind reports that this backend's clients are local ones.
func (s *Server) Kind() core.Kind { return core.KindLocal }
