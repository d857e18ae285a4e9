package steamworks

import (
	"fmt"
	"net/netip"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// Mode is how a server listens and a client connects.
type Mode uint8

const (
	// ModeIP: a UDP address and port (CreateListenSocketIP,
	// ConnectByIPAddress). Both flavours.
	ModeIP Mode = iota
	// ModeP2P: a SteamID and a virtual port over Valve's relay network
	// (CreateListenSocketP2P, ConnectP2P). Steamworks only.
	ModeP2P
)

func (m Mode) String() string {
	if m == ModeP2P {
		return "p2p"
	}
	return "ip"
}

// End reasons this backend sends when it closes a connection, in Steam's
// application range (k_ESteamNetConnectionEnd_App_Min = 1000). The peer
// reads them in its status change; Client.EndReason reports them.
const (
	EndReasonDisconnect    = 1000 // App_Generic: an ordinary disconnect, either side
	EndReasonServerStopped = 1001
	EndReasonRejected      = 1002 // the accept hook said no, or the peer had no usable identity
	EndReasonServerFull    = 1003
	EndReasonDuplicate     = 1004 // a client with the same id is already connected
)

// DefaultMaxClients is ServerConfig.MaxClients' default, as for netcode.
const DefaultMaxClients = 256

// maxSteamMessage is the largest message Steam sends (512 KiB).
const maxSteamMessage = 512 * 1024

// ServerConfig configures a Server.
type ServerConfig struct {
	Mode Mode
	// Address (ModeIP) is the address and port to listen on; 0.0.0.0 or
	// [::] listens on every interface. The port must be set.
	Address netip.AddrPort
	// VirtualPort (ModeP2P) is the virtual port clients connect to.
	VirtualPort int
	// MaxClients connected (or accepted and connecting) at once; more are
	// refused with EndReasonServerFull. Default DefaultMaxClients.
	MaxClients int
	// Accept, when set, decides on every new connection; a refusal closes
	// it with EndReasonRejected. ConnectRequest.UserData is all zeros:
	// Steam connections carry none.
	Accept core.AcceptFunc
	// MaxPayload is the largest payload sent or received; larger
	// received messages are dropped and counted. Default core.MaxPayload.
	MaxPayload int
	// EventQueueSize bounds the payload events waiting for PollEvent; more
	// are dropped and counted. Default max(1024, 8*MaxClients).
	EventQueueSize int
}

func (c ServerConfig) withDefaults(flavour Flavour) (ServerConfig, error) {
	switch c.Mode {
	case ModeIP:
		if !c.Address.IsValid() || c.Address.Port() == 0 {
			return c, fmt.Errorf("%w: listen address %v needs an IP and a port", ErrInvalidConfig, c.Address)
		}
	case ModeP2P:
		if flavour != FlavourSteamworks {
			return c, fmt.Errorf("%w: P2P needs Steamworks, the library is %v", ErrUnsupported, flavour)
		}
		if c.VirtualPort < 0 {
			return c, fmt.Errorf("%w: virtual port %d", ErrInvalidConfig, c.VirtualPort)
		}
	default:
		return c, fmt.Errorf("%w: mode %d", ErrInvalidConfig, c.Mode)
	}
	if c.MaxClients == 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.MaxClients < 1 || c.MaxClients > 1<<20 {
		return c, fmt.Errorf("%w: max clients %d", ErrInvalidConfig, c.MaxClients)
	}
	var err error
	if c.MaxPayload, err = payloadLimit(c.MaxPayload); err != nil {
		return c, err
	}
	if c.EventQueueSize <= 0 {
		c.EventQueueSize = max(1024, 8*c.MaxClients)
	}
	return c, nil
}

func payloadLimit(n int) (int, error) {
	if n == 0 {
		return core.MaxPayload, nil
	}
	if n < 1 || n > maxSteamMessage {
		return 0, fmt.Errorf("%w: max payload %d (1 to %d)", ErrInvalidConfig, n, maxSteamMessage)
	}
	return n, nil
}
