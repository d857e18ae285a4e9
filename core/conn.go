package core

import (
	"net/netip"
	"time"
)

// EventType tells what a server event reports.
type EventType uint8

const (
	EventNone EventType = iota
	EventConnected
	EventDisconnected
	EventPayload
	// EventWarning: the server refused work it should have done (Warning
	// says what). At most one per second per Warning, so that a flood
	// cannot fill the queue; the stats count every occurrence. Code that
	// ignores unknown event types can ignore it.
	EventWarning
)

func (t EventType) String() string {
	switch t {
	case EventConnected:
		return "connected"
	case EventDisconnected:
		return "disconnected"
	case EventPayload:
		return "payload"
	case EventWarning:
		return "warning"
	}
	return "none"
}

// Warning says what an EventWarning reports.
type Warning uint8

const (
	WarningNone Warning = iota
	// WarningTokenHistoryFull: a connection request with a new, valid
	// token was refused because the token history is full of unexpired
	// tokens (counted in Stats.DroppedTableFull). Event.Client is the
	// refused client.
	WarningTokenHistoryFull
	// WarningPendingFull: a connection request was refused because the
	// table of handshakes in progress is full (counted in
	// Stats.DroppedTableFull). Event.Client is the refused client.
	WarningPendingFull
	NumWarnings
)

func (w Warning) String() string {
	switch w {
	case WarningTokenHistoryFull:
		return "token history full"
	case WarningPendingFull:
		return "pending handshake table full"
	}
	return "none"
}

// Event is one thing that happened on a server. Payload is set for
// EventPayload, Reason for EventDisconnected and Warning for EventWarning.
//
// Payload is owned by the server and valid only until the next call to
// PollEvent on that server: copy it to keep it.
type Event struct {
	Type    EventType
	Client  ClientID
	Reason  DisconnectReason
	Warning Warning
	Payload []byte
}

// Client is one connection to a server.
//
// Not safe for concurrent use: call every method from one goroutine (the
// game loop), or serialise calls yourself.
type Client interface {
	// Connect starts the handshake. It fails with ErrAlreadyActive while
	// connecting or connected.
	Connect() error
	// Disconnect ends the connection or the attempt, telling the server.
	// Disconnecting an idle client is a no-op.
	Disconnect() error
	// Update advances the client's clock by dt (>= 0; the clock saturates
	// at MaxClock), reads what arrived and sends what is due (requests,
	// keep-alives).
	Update(dt time.Duration) error
	// State is the current state; DisconnectReason says why the last
	// connection or attempt ended (ReasonNone while it goes on).
	State() ClientState
	DisconnectReason() DisconnectReason
	// Send sends one payload of 1..MaxPayload bytes. It fails with
	// ErrNotConnected unless the state is StateConnected.
	Send(payload []byte) error
	// Receive returns the next received payload, or false when none is
	// queued. The slice is valid until the next Receive.
	Receive() ([]byte, bool)
	// ID is this client's id as the server knows it.
	ID() ClientID
	// LocalAddr is the local socket address, or the zero value when the
	// backend has no socket.
	LocalAddr() netip.AddrPort
	// Close disconnects and releases the socket. A closed client returns
	// ErrClosed from every method that can fail.
	Close() error
}

// Server accepts clients.
//
// Not safe for concurrent use: call every method from one goroutine.
type Server interface {
	Start() error
	// Stop disconnects every client (each gets an EventDisconnected with
	// ReasonServerStopped) and closes the sockets. A stopped server can be
	// started again.
	Stop() error
	Running() bool
	// Update advances the server's clock by dt (>= 0; the clock saturates
	// at MaxClock), reads and handles what arrived, sends keep-alives and
	// times clients out.
	Update(dt time.Duration) error
	// Send sends one payload of 1..MaxPayload bytes to a connected client.
	Send(id ClientID, payload []byte) error
	// Broadcast sends a payload to every connected client.
	Broadcast(payload []byte) error
	// Flush writes what Send and Broadcast queued. Backends that write at
	// once (the default) have nothing queued; a netcode server configured
	// with BatchSends holds datagrams until Flush or the next Update.
	Flush() error
	// Disconnect disconnects one client, telling it so; the client's
	// EventDisconnected carries ReasonLocal.
	Disconnect(id ClientID) error
	DisconnectAll() error
	// ConnectedIDs appends the ids of the connected clients to dst.
	ConnectedIDs(dst []ClientID) []ClientID
	NumConnected() int
	// ClientAddr is a connected client's address; ok reports whether the
	// client is connected. A backend that knows no address for a connected
	// client (local, Steam P2P) returns the zero AddrPort and true.
	ClientAddr(id ClientID) (netip.AddrPort, bool)
	// ClientUserData is the user data the client's token carried (zeros
	// for backends without one).
	ClientUserData(id ClientID) ([UserDataSize]byte, bool)
	// PollEvent moves the oldest pending event into ev and reports whether
	// there was one.
	PollEvent(ev *Event) bool
}

// UserDataSize is the size of the user data carried by a netcode.io connect
// token and exposed for every client.
const UserDataSize = 256

// ConnectRequest is what a server's accept hook is shown before it admits
// a client.
type ConnectRequest struct {
	Client   ClientID
	Addr     netip.AddrPort
	UserData *[UserDataSize]byte
}

// AcceptFunc decides whether a client may connect. Returning false denies
// it; a netcode client then gets the standard denied packet. It is called
// from inside Server.Update.
type AcceptFunc func(req ConnectRequest) bool
