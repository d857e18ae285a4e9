package transport

import "errors"

// Sentinel errors besides ErrClosed. Errors returned by this package wrap
// them, so test with errors.Is.
var (
	// ErrInvalidAddr reports an address that cannot be bound.
	ErrInvalidAddr = errors.New("transport: invalid address")
	// ErrAddrInUse reports a MemNetwork address already taken, or no free
	// port left to allocate.
	ErrAddrInUse = errors.New("transport: address in use")
)
