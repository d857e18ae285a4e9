package core

import "errors"

// Errors every backend returns for API misuse. Backends wrap them with
// detail; test with errors.Is.
var (
	ErrPayloadSize     = errors.New("core: payload must be 1 to MaxPayload bytes")
	ErrNotConnected    = errors.New("core: not connected")
	ErrUnknownClient   = errors.New("core: no such connected client")
	ErrNotStarted      = errors.New("core: server not running")
	ErrAlreadyStarted  = errors.New("core: server already running")
	ErrAlreadyActive   = errors.New("core: client already connecting or connected")
	ErrInvalidArgument = errors.New("core: invalid argument")
	ErrClosed          = errors.New("core: closed")
)

// ErrSendBufferFull: the transport's send buffer is full, so this payload
// was not sent (nothing else is lost). It is the caller's to act on: send
// less per tick, drop or retry the payload later, or give the transport a
// larger buffer or rate (Steam: SendBufferSize, SendRateMax). netcode's
// UDP sends never return it: a full socket buffer loses the datagram, as
// the network may.
var ErrSendBufferFull = errors.New("core: send buffer full, payload not sent")

// MaxPayload is the largest payload any backend carries by default: the
// netcode.io limit.
const MaxPayload = 1200
