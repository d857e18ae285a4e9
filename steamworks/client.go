package steamworks

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"net/netip"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/internal/eventq"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	Mode Mode
	// Address (ModeIP) is the server's address.
	Address netip.AddrPort
	// ServerSteamID and VirtualPort (ModeP2P) name the server: the
	// SteamID64 of the user or game server hosting it and its port.
	ServerSteamID uint64
	VirtualPort   int
	// MaxPayload is the largest payload sent or received; larger received
	// messages are dropped and counted. Default core.MaxPayload.
	MaxPayload int
	// QueueSize bounds the received payloads waiting for Receive; more
	// are dropped and counted. Default 1024.
	QueueSize int
}

func (c ClientConfig) withDefaults(flavour Flavour) (ClientConfig, error) {
	switch c.Mode {
	case ModeIP:
		if !c.Address.IsValid() || c.Address.Port() == 0 || c.Address.Addr().IsUnspecified() {
			return c, fmt.Errorf("%w: server address %v", ErrInvalidConfig, c.Address)
		}
	case ModeP2P:
		if flavour != FlavourSteamworks {
			return c, fmt.Errorf("%w: P2P needs Steamworks, the library is %v", ErrUnsupported, flavour)
		}
		if c.ServerSteamID == 0 || c.VirtualPort < 0 {
			return c, fmt.Errorf("%w: P2P server %d, virtual port %d", ErrInvalidConfig, c.ServerSteamID, c.VirtualPort)
		}
	default:
		return c, fmt.Errorf("%w: mode %d", ErrInvalidConfig, c.Mode)
	}
	var err error
	if c.MaxPayload, err = payloadLimit(c.MaxPayload); err != nil {
		return c, err
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	return c, nil
}

// Client is a connection to a Steam server. It implements core.Client.
//
// Not safe for concurrent use, like every core.Client; it may be driven
// from a different goroutine than the servers and other clients of its
// Library.
type Client struct {
	lib    *Library
	cfg    ClientConfig
	conn   uint32 // 0 when idle
	state  core.ClientState
	reason core.DisconnectReason
	closed bool
	selfID uint64 // our SteamID64, when Steam has one

	endReason int
	endDebug  string

	received eventq.Queue
	current  core.Event
	stats    core.Stats
	now      time.Duration
	lastRecv time.Duration

	inbox
	msgs []*C.lys_Message
}

var _ core.Client = (*Client)(nil)

// NewClient makes an idle client on lib; Connect starts connecting.
func NewClient(lib *Library, cfg ClientConfig) (*Client, error) {
	cfg, err := cfg.withDefaults(lib.flavour)
	if err != nil {
		return nil, err
	}
	c := &Client{
		lib:      lib,
		cfg:      cfg,
		received: eventq.New(cfg.QueueSize),
		msgs:     make([]*C.lys_Message, receiveBatch),
	}
	lib.adopt(c)
	return c, nil
}

// Connect starts connecting: ConnectByIPAddress or ConnectP2P.
func (c *Client) Connect() error {
	if c.closed {
		return core.ErrClosed
	}
	if c.state.IsConnecting() || c.state == core.StateConnected {
		return core.ErrAlreadyActive
	}
	l := c.lib
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errLibraryClosed
	}
	// Under l.mu: no pump can see the new handle's first change before
	// the handle is ours.
	var conn C.uint32_t
	if c.cfg.Mode == ModeP2P {
		l.initRelay()
		conn = C.lys_connect_p2p(l.c, C.uint64_t(c.cfg.ServerSteamID), C.int(c.cfg.VirtualPort))
	} else {
		ip, port := addrToC(c.cfg.Address)
		conn = C.lys_connect_ip(l.c, (*C.uint8_t)(&ip[0]), C.uint16_t(port))
	}
	if conn != 0 {
		l.conns[uint32(conn)] = c
	}
	c.queued = c.queued[:0]
	l.mu.Unlock()
	if conn == 0 {
		return fmt.Errorf("%w: connecting to %s", ErrSocket, c.where())
	}
	if c.selfID == 0 && l.flavour == FlavourSteamworks {
		var id C.uint64_t
		if C.lys_get_identity_steamid(l.c, &id) {
			c.selfID = uint64(id)
		}
	}
	c.conn = uint32(conn)
	c.state, c.reason = core.StateSendingRequest, core.ReasonNone
	c.endReason, c.endDebug = 0, ""
	c.received.Clear()
	c.lastRecv = c.now
	return nil
}

func (c *Client) where() string {
	if c.cfg.Mode == ModeP2P {
		return fmt.Sprintf("SteamID %d virtual port %d", c.cfg.ServerSteamID, c.cfg.VirtualPort)
	}
	return c.cfg.Address.String()
}

// Disconnect closes the connection or the attempt with
// EndReasonDisconnect. Disconnecting an idle client is a no-op.
func (c *Client) Disconnect() error {
	if c.closed {
		return core.ErrClosed
	}
	if c.conn != 0 {
		c.end(core.StateDisconnected, core.ReasonLocal, EndReasonDisconnect, "disconnected by the client")
	}
	return nil
}

// Close disconnects; the client cannot be used again.
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.Disconnect()
	c.closed = true
	c.received.Clear()
	c.lib.disown(c)
	return nil
}

func (c *Client) closeFromLibrary() { c.Close() }

// end closes the handle (sending endReason, or freeing it after the peer
// or Steam ended it) and settles the state.
func (c *Client) end(state core.ClientState, reason core.DisconnectReason, endReason int, debug string) {
	var cdebug *C.char
	if debug != "" {
		cdebug = C.CString(debug)
		defer C.free(unsafe.Pointer(cdebug))
	}
	c.lib.forget(c.conn)
	C.lys_close_connection(c.lib.c, C.uint32_t(c.conn), C.int(endReason), cdebug)
	c.conn = 0
	c.state, c.reason = state, reason
}

// Update runs Steam's callbacks, follows the connection's state and
// moves received messages into the receive queue. dt only advances the
// clock of the statistics: Steam keeps its own time for timeouts.
func (c *Client) Update(dt time.Duration) error {
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	if c.closed {
		return core.ErrClosed
	}
	c.now = core.AdvanceClock(c.now, dt)
	if err := c.lib.pump(); err != nil {
		return err
	}
	c.drain(&c.lib.mu, c.handleOwn)
	if c.state == core.StateConnected {
		c.receive()
	}
	return nil
}

// handleOwn handles a change of the current connection; changes of an
// earlier one (closed since) are stale.
func (c *Client) handleOwn(st *status) {
	if st.conn == c.conn && c.conn != 0 {
		c.handle(st)
	}
}

// handle maps Steam's states to core's: connecting and finding a route
// are StateSendingRequest; closed by the peer is StateDisconnected once
// connected and StateConnectionDenied before (the server refused); a
// problem detected locally is StateConnectionTimedOut once connected and
// StateConnectionRequestTimeout before (the server never answered).
func (c *Client) handle(st *status) {
	switch st.state {
	case stateConnected:
		if c.state != core.StateConnected {
			c.state = core.StateConnected
			c.lastRecv = c.now
		}
	case stateClosedByPeer, stateProblemDetectedLocally:
		c.endReason, c.endDebug = int(st.endReason), st.endDebug
		wasConnected := c.state == core.StateConnected
		if wasConnected {
			c.receive() // what the server sent before it went
		}
		switch {
		case st.state == stateClosedByPeer && wasConnected:
			c.end(core.StateDisconnected, core.ReasonRemote, 0, "")
		case st.state == stateClosedByPeer:
			c.end(core.StateConnectionDenied, core.ReasonDenied, 0, "")
		case wasConnected:
			c.end(core.StateConnectionTimedOut, core.ReasonTimedOut, 0, "")
		default:
			c.end(core.StateConnectionRequestTimeout, core.ReasonRequestTimedOut, 0, "")
		}
	}
}

func (c *Client) Send(payload []byte) error {
	if c.closed {
		return core.ErrClosed
	}
	if len(payload) < 1 || len(payload) > c.cfg.MaxPayload {
		return fmt.Errorf("%w: %d bytes", core.ErrPayloadSize, len(payload))
	}
	if c.state != core.StateConnected {
		return core.ErrNotConnected
	}
	if err := send(c.lib, c.conn, payload); err != nil {
		return err
	}
	c.stats.PacketsSent++
	c.stats.BytesSent += uint64(len(payload))
	return nil
}

// Receive returns the next payload; it is valid until the next Receive.
func (c *Client) Receive() ([]byte, bool) {
	if !c.received.Pop(&c.current) {
		return nil, false
	}
	return c.current.Payload, true
}

func (c *Client) State() core.ClientState                 { return c.state }
func (c *Client) DisconnectReason() core.DisconnectReason { return c.reason }

// ID is this client's SteamID64 as Steam reports it (Steamworks). It is
// 0 on GameNetworkingSockets, whose IP clients the server knows by an id
// derived from an address the client cannot see.
func (c *Client) ID() core.ClientID { return core.SteamID(c.selfID) }

// LocalAddr: Steam does not expose its socket's address.
func (c *Client) LocalAddr() netip.AddrPort { return netip.AddrPort{} }

// EndReason is Steam's end reason and debug text for the last connection
// that ended other than by this client (one of the EndReason* constants
// when the server was this backend), or 0 and "".
func (c *Client) EndReason() (int, string) { return c.endReason, c.endDebug }

// Stats returns the client's counters.
func (c *Client) Stats() core.Stats {
	st := c.stats
	st.SinceLastReceive = c.now - c.lastRecv
	return st
}

// ConnectionStatus returns Steam's live view of the connection.
func (c *Client) ConnectionStatus() (ConnectionStatus, error) {
	if c.closed {
		return ConnectionStatus{}, core.ErrClosed
	}
	if c.conn == 0 {
		return ConnectionStatus{}, core.ErrNotConnected
	}
	return connectionStatus(c.lib, c.conn)
}
