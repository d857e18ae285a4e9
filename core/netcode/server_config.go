package netcode

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	ProtocolID uint64
	PrivateKey Key
	// Addresses to bind (at least one, or a Listener). `[::]:port` serves
	// IPv4 and IPv6 clients on one socket, or IPv4 alone (0.0.0.0) on a
	// host without IPv6 (see transport.ListenUDP).
	Addresses []netip.AddrPort
	// Listeners are transports opened at Start beside the sockets of
	// Addresses and closed at Stop: WebSocket and WebTransport endpoints
	// (package core/web), or any transport.Transport. Their public
	// addresses join PublicAddresses for the token check.
	Listeners []Listener
	// PublicAddresses are the addresses clients reach this server at, as
	// the backend writes them in the private part of tokens; a request is
	// refused unless one of them is in its token. Default: the bound
	// addresses, which must then be specific (not 0.0.0.0 or ::). A public
	// address with port 0 takes the port of the first bound socket.
	PublicAddresses []netip.AddrPort
	// MaxClients connected at once; default 256.
	MaxClients int
	// Accept, when set, decides on every new connection request.
	Accept core.AcceptFunc
	// Now is the wall clock used to check token expiry; default time.Now.
	Now func() time.Time
	// Listen opens a socket; default transport.ListenUDP.
	Listen func(netip.AddrPort) (transport.Transport, error)
	// MaxTokenLifetime is the longest expire − create the token backend
	// issues; default 30 s (the reference's), negative turns the rule off.
	// The server refuses a token that expires before its first Start plus
	// MaxTokenLifetime: such a token may have been made before the server
	// started and consumed by an earlier run whose token history is gone
	// (netcode 1.4.5's restart rule). Set it to the backend's token
	// lifetime: a shorter token is refused until the server has run for
	// the difference; a longer one may slip past the rule. Tokens that
	// never expire always pass. Whole seconds, like token timestamps.
	MaxTokenLifetime time.Duration
	// TokenHistorySize bounds the tokens remembered for netcode 1.4.5's
	// reuse rule (a token is consumed once, then refused while it is
	// valid); default max(DefaultTokenHistorySize, 4*MaxClients). A token
	// is remembered until it expires, one that never expires for the life
	// of the Server (Stop and Start keep it). Size it for your join rate
	// times your tokens' lifetime; it costs up to TokenHistoryEntryBytes
	// (120) per entry, taken as tokens arrive. When it is full of
	// unexpired tokens a new token is refused (a flood must not evict a
	// consumed one): counted in Stats.DroppedTableFull, with an
	// EventWarning (WarningTokenHistoryFull) at most once a second.
	TokenHistorySize int
	// MaxPending bounds the handshakes in progress (one per client
	// address, from its request to its response, or until it is quiet for
	// its token's timeout, 10 s if the token has none); default
	// max(DefaultMaxPending, 2*MaxClients), up to PendingEntryBytes (340)
	// each. When it is full a request is refused, counted in
	// Stats.DroppedTableFull, with an EventWarning (WarningPendingFull) at
	// most once a second; the client's resends get in once a slot frees.
	MaxPending int
	// Conditioning, when set, simulates a bad network on the server's
	// sockets (see SetConditioning to change it while running).
	Conditioning *Conditioning
	// EventQueueSize bounds the payload events waiting for PollEvent; more
	// are dropped and counted. Default max(1024, 8*MaxClients).
	EventQueueSize int
	// MaxReadsPerUpdate bounds the datagrams one Update reads from each
	// socket; default max(DefaultMaxReadsPerUpdate, 16*MaxClients). Update
	// reads a socket until it is empty or this many were read, so that a
	// flood cannot keep one Update reading forever; what is left waits in
	// the socket's buffer for the next Update (the kernel drops what does
	// not fit there).
	MaxReadsPerUpdate int
	// BatchSends makes Send and Broadcast queue datagrams instead of
	// writing each at once. They leave together (one sendmmsg per 64 on
	// Linux) at Flush, at the next Update, or when 64 wait for one socket:
	// a game that sends its tick's payloads and then calls Flush saves a
	// system call per datagram. Without a Flush they wait for the next
	// Update, which adds up to one tick of latency.
	BatchSends bool
}

// maxTableSize bounds TokenHistorySize and MaxPending: a billion entries
// (about 120 GiB of history) is a mistake, not a sizing.
const maxTableSize = 1 << 30

func (c *ServerConfig) withDefaults() (ServerConfig, error) {
	cfg := *c
	if len(cfg.Addresses) == 0 && len(cfg.Listeners) == 0 {
		return cfg, fmt.Errorf("%w: no address to bind", ErrInvalidConfig)
	}
	for _, l := range cfg.Listeners {
		if l.Open == nil {
			return cfg, fmt.Errorf("%w: listener %q without Open", ErrInvalidConfig, l.Name)
		}
	}
	for _, a := range cfg.Addresses {
		if !a.IsValid() {
			return cfg, fmt.Errorf("%w: bind address %v", ErrInvalidConfig, a)
		}
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.MaxClients < 1 || cfg.MaxClients > 1<<20 {
		return cfg, fmt.Errorf("%w: max clients %d", ErrInvalidConfig, cfg.MaxClients)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Listen == nil {
		cfg.Listen = func(a netip.AddrPort) (transport.Transport, error) { return transport.ListenUDP(a) }
	}
	if cfg.MaxTokenLifetime == 0 {
		cfg.MaxTokenLifetime = DefaultMaxTokenLifetime
	}
	if cfg.TokenHistorySize > maxTableSize || cfg.MaxPending > maxTableSize {
		return cfg, fmt.Errorf("%w: token history %d or pending table %d over %d", ErrInvalidConfig, cfg.TokenHistorySize, cfg.MaxPending, maxTableSize)
	}
	if cfg.TokenHistorySize <= 0 {
		cfg.TokenHistorySize = max(DefaultTokenHistorySize, 4*cfg.MaxClients)
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = max(DefaultMaxPending, 2*cfg.MaxClients)
	}
	if cfg.EventQueueSize <= 0 {
		cfg.EventQueueSize = max(1024, 8*cfg.MaxClients)
	}
	if cfg.MaxReadsPerUpdate <= 0 {
		cfg.MaxReadsPerUpdate = max(DefaultMaxReadsPerUpdate, 16*cfg.MaxClients)
	}
	if err := cfg.Conditioning.validate(); err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg.Addresses = append([]netip.AddrPort(nil), cfg.Addresses...)
	cfg.PublicAddresses = append([]netip.AddrPort(nil), cfg.PublicAddresses...)
	cfg.Listeners = append([]Listener(nil), cfg.Listeners...)
	return cfg, nil
}

// Listener is a transport a Server opens at Start beside its UDP sockets.
// Packets keep their netcode form; each peer of the transport is one
// client, keyed by the transport and the address it reports.
type Listener struct {
	// Name says which listener failed in errors, e.g. "wt://0.0.0.0:4433".
	Name string
	// Open opens the transport; the Server closes it at Stop, and opens a
	// new one at the next Start.
	Open func() (transport.Transport, error)
	// Public is the address tokens carry for this transport. Zero: its
	// LocalAddr, which must then be specific; port 0 takes LocalAddr's.
	Public netip.AddrPort
}
