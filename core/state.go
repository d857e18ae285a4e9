package core

import "fmt"

// ClientState is a client's connection state. The values are netcode.io's
// numeric client states, shared by every backend: negative values are the
// error states a connection attempt ends in, 0 is idle, 1 and 2 are the
// handshake, 3 is connected. Backends without a handshake (local) use only
// Disconnected and Connected.
type ClientState int8

const (
	StateConnectTokenExpired       ClientState = -6
	StateInvalidConnectToken       ClientState = -5
	StateConnectionTimedOut        ClientState = -4
	StateConnectionResponseTimeout ClientState = -3
	StateConnectionRequestTimeout  ClientState = -2
	StateConnectionDenied          ClientState = -1
	StateDisconnected              ClientState = 0
	StateSendingRequest            ClientState = 1
	StateSendingResponse           ClientState = 2
	StateConnected                 ClientState = 3
)

var stateNames = map[ClientState]string{
	StateConnectTokenExpired:       "connect token expired",
	StateInvalidConnectToken:       "invalid connect token",
	StateConnectionTimedOut:        "connection timed out",
	StateConnectionResponseTimeout: "connection response timed out",
	StateConnectionRequestTimeout:  "connection request timed out",
	StateConnectionDenied:          "connection denied",
	StateDisconnected:              "disconnected",
	StateSendingRequest:            "sending connection request",
	StateSendingResponse:           "sending connection response",
	StateConnected:                 "connected",
}

func (s ClientState) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", int8(s))
}

// IsError reports whether s is one of the negative error states.
func (s ClientState) IsError() bool { return s < 0 }

// IsConnecting reports whether a handshake is under way.
func (s ClientState) IsConnecting() bool {
	return s == StateSendingRequest || s == StateSendingResponse
}

// DisconnectReason says why a connection ended, on either side.
type DisconnectReason uint8

const (
	ReasonNone DisconnectReason = iota
	// ReasonLocal: this side called Disconnect (client) or disconnected the
	// client (server).
	ReasonLocal
	// ReasonRemote: the peer sent a disconnect.
	ReasonRemote
	// ReasonTimedOut: nothing was received within the timeout.
	ReasonTimedOut
	// ReasonServerStopped: the server was stopped while the client was
	// connected.
	ReasonServerStopped
	// Reasons that only end a client's connection attempt.
	ReasonDenied
	ReasonRequestTimedOut
	ReasonResponseTimedOut
	ReasonTokenExpired
	ReasonInvalidToken
	// ReasonTransportError: the socket or the backend library failed.
	ReasonTransportError
)

var reasonNames = [...]string{
	ReasonNone:             "none",
	ReasonLocal:            "disconnected locally",
	ReasonRemote:           "disconnected by peer",
	ReasonTimedOut:         "timed out",
	ReasonServerStopped:    "server stopped",
	ReasonDenied:           "connection denied",
	ReasonRequestTimedOut:  "connection request timed out",
	ReasonResponseTimedOut: "connection response timed out",
	ReasonTokenExpired:     "connect token expired",
	ReasonInvalidToken:     "invalid connect token",
	ReasonTransportError:   "transport error",
}

func (r DisconnectReason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// ReasonForState maps a client error state to the reason it carries.
func ReasonForState(s ClientState) DisconnectReason {
	switch s {
	case StateConnectTokenExpired:
		return ReasonTokenExpired
	case StateInvalidConnectToken:
		return ReasonInvalidToken
	case StateConnectionTimedOut:
		return ReasonTimedOut
	case StateConnectionResponseTimeout:
		return ReasonResponseTimedOut
	case StateConnectionRequestTimeout:
		return ReasonRequestTimedOut
	case StateConnectionDenied:
		return ReasonDenied
	}
	return ReasonNone
}
