//go:build !windows

package transport

import (
	"syscall"
	"testing"
)

// UDP is built on Go's net.UDPConn here.
const netUDPTransport = true

// errNoFamily is how socket(2) says the address family is not in the kernel.
const errNoFamily = syscall.EAFNOSUPPORT

// withNativeListen: UDP opens its sockets through listenUDP here, which
// withListen replaces.
func withNativeListen(*testing.T, func(network string) error) {}
