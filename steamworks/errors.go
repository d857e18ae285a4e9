package steamworks

import (
	"errors"
	"fmt"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// Errors of this package; test with errors.Is. API misuse returns core's
// errors (core.ErrPayloadSize, core.ErrNotConnected, ...).
var (
	// ErrUnavailable: no Steam library could be loaded. The message names
	// every path tried and why each failed.
	ErrUnavailable = errors.New("steamworks: Steam networking library not available")
	// ErrMissingSymbol: a library was found but lacks a function the
	// backend needs (the message names it): wrong or too old a library.
	ErrMissingSymbol = errors.New("steamworks: symbol missing from the Steam library")
	// ErrInitFailed: Steam's own initialisation failed; the error is an
	// *InitError carrying Steam's message.
	ErrInitFailed = errors.New("steamworks: Steam initialisation failed")
	// ErrNotInitialised: attaching found no initialised Steam (an
	// interface getter returned NULL).
	ErrNotInitialised = errors.New("steamworks: Steam is not initialised")
	// ErrAlreadyOpen: a Library is already open in this process. Steam's
	// status callback is one process-wide function pointer, so the
	// backend drives one library at a time.
	ErrAlreadyOpen = errors.New("steamworks: a Steam library is already open in this process")
	// ErrUnsupported: the library's flavour cannot do what was asked (P2P
	// on GameNetworkingSockets).
	ErrUnsupported = errors.New("steamworks: not supported by this library")
	// ErrInvalidConfig: a configuration value is out of range.
	ErrInvalidConfig = errors.New("steamworks: invalid configuration")
	// ErrSocket: Steam refused to create a listen socket, poll group or
	// connection.
	ErrSocket = errors.New("steamworks: Steam refused to create a socket")
	// ErrSendFailed: SendMessageToConnection returned an unexpected
	// result (the message carries the EResult).
	ErrSendFailed = errors.New("steamworks: send failed")
)

// InitError is a failed Steam initialisation: which call failed, what it
// returned and the message Steam wrote into its error buffer.
type InitError struct {
	Call    string // SteamAPI_InitFlat, SteamInternal_GameServer_Init_V2 or GameNetworkingSockets_Init
	Result  int    // the call's result (ESteamAPIInitResult; 0 for GNS's false)
	Message string // Steam's text, possibly empty
}

func (e *InitError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("steamworks: %s failed (result %d): %s", e.Call, e.Result, msg)
}

// Unwrap makes errors.Is(err, ErrInitFailed) hold.
func (e *InitError) Unwrap() error { return ErrInitFailed }

// errLibraryClosed is returned by servers and clients whose Library was
// closed.
var errLibraryClosed = fmt.Errorf("steamworks: library closed: %w", core.ErrClosed)
