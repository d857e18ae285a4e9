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

// MaxPayload is the largest payload any backend carries by default: the
// netcode.io limit.
const MaxPayload = 1200
