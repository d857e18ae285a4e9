package steamworks

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
	"unsafe"
)

// Flavour is which Steam networking library is loaded.
type Flavour uint8

const (
	// FlavourAuto tries Steamworks, then GameNetworkingSockets; for an
	// explicit path the flavour is read from the symbols it exports.
	FlavourAuto Flavour = iota
	// FlavourSteamworks is Valve's libsteam_api.so: IP and P2P (SteamIDs,
	// relay network); needs a Steam client or a game server login.
	FlavourSteamworks
	// FlavourGNS is Valve's open-source libGameNetworkingSockets.so: IP
	// only, no Steam needed.
	FlavourGNS
)

func (f Flavour) String() string {
	switch f {
	case FlavourAuto:
		return "auto"
	case FlavourSteamworks:
		return "steamworks"
	case FlavourGNS:
		return "gns"
	}
	return fmt.Sprintf("flavour(%d)", uint8(f))
}

// InitMode says who initialises Steam.
type InitMode uint8

const (
	// InitClient: this library initialises Steam as a game client
	// (SteamAPI_InitFlat; GameNetworkingSockets_Init for GNS) and shuts it
	// down on Close.
	InitClient InitMode = iota
	// InitGameServer: this library initialises a Steamworks game server
	// (no authentication, not listed) and shuts it down on Close. GNS has
	// no game servers: there it is InitClient.
	InitGameServer
	// AttachClient: the host process (Steamworks.NET, steamworks-rs, ...)
	// already initialised Steam as a client in this process; only the
	// interfaces are fetched. Steam is never initialised nor shut down.
	AttachClient
	// AttachGameServer: as AttachClient, for a game server the host
	// initialised (GNS: same as AttachClient).
	AttachGameServer
)

func (m InitMode) String() string {
	switch m {
	case InitClient:
		return "init client"
	case InitGameServer:
		return "init game server"
	case AttachClient:
		return "attach client"
	case AttachGameServer:
		return "attach game server"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

func (m InitMode) attaches() bool   { return m == AttachClient || m == AttachGameServer }
func (m InitMode) gameServer() bool { return m == InitGameServer || m == AttachGameServer }

// LibraryOptions chooses and sets up the Steam library.
type LibraryOptions struct {
	Flavour Flavour
	// Path is tried first; then $LIGHTYEAR_STEAM_LIB, then the flavour's
	// library name through the default dlopen search and next to the
	// executable.
	Path string
	Init InitMode
	// AppID, when set, is exported as SteamAppId and SteamGameId before a
	// Steamworks client init, so that no steam_appid.txt is needed.
	// SteamAPI_RestartAppIfNecessary is never called.
	AppID uint32
	// GameServer configures InitGameServer.
	GameServer GameServerOptions
	// AllowIPWithoutAuth lets IP connections through without a Steam
	// certificate (IP_AllowWithoutAuth = 2; Steamworks defaults to 0).
	AllowIPWithoutAuth bool
	// TimeoutInitial and TimeoutConnected, when set, replace Steam's
	// global connection timeouts (whole milliseconds).
	TimeoutInitial, TimeoutConnected time.Duration
	// DebugOutputLevel, when above 0, prints Steam's networking messages
	// up to that level to stderr (Valve's ESteamNetworkingSocketsDebug
	// OutputType: 1 bug ... 4 warning, 5 msg ... 8 everything).
	DebugOutputLevel int
	// SendRateMin and SendRateMax, when set, bound Steam's send rate on
	// every connection (bytes per second; Steam's defaults are 256 KiB/s
	// for both in GNS 1.6). SendBufferSize, when set, is how many bytes a
	// connection may queue before sends fail with core.ErrSendBufferFull
	// (Steam's default: 512 KiB).
	SendRateMin, SendRateMax, SendBufferSize int
}

// GameServerOptions are SteamInternal_GameServer_Init_V2's arguments.
type GameServerOptions struct {
	// IP is the IPv4 address to bind; zero or unspecified binds all.
	IP        netip.Addr
	GamePort  uint16
	QueryPort uint16
	// Version is the server's version string; default "1.0.0.0".
	Version string
}

// Steam's global configuration keys (ESteamNetworkingConfigValue).
const (
	configSendBufferSize     = 9
	configSendRateMin        = 10
	configSendRateMax        = 11
	configIPAllowWithoutAuth = 23
	configTimeoutInitial     = 24
	configTimeoutConnected   = 25
)

// Library is a loaded and initialised (or attached) Steam networking
// library. Servers and clients are made on it; one Library may be open
// in a process at a time.
//
// Its methods and those of its servers and clients may be called from
// several goroutines: the state they share (which connection belongs to
// whom, the status changes waiting for their owner) is guarded by mu.
type Library struct {
	c       *C.lys_lib // C memory: set by Open, freed by Close
	flavour Flavour
	mode    InitMode
	path    string
	inited  bool // this Library initialised Steam and shuts it down

	mu             sync.Mutex
	closed         bool
	relayRequested bool                  // InitRelayNetworkAccess was called (initRelay)
	conns          map[uint32]statusSink // connection handle → its owner
	listeners      map[uint32]statusSink // listen socket → its server
	owners         map[owner]struct{}    // servers and clients, closed by Close
	buf            [32]C.lys_status      // drain buffer, used under mu
}

// current is the one open Library (see ErrAlreadyOpen).
var current struct {
	sync.Mutex
	lib *Library
}

// Open loads the Steam library, resolves every symbol the backend uses
// and initialises Steam or attaches to it.
func Open(opts LibraryOptions) (*Library, error) {
	if opts.Flavour > FlavourGNS {
		return nil, fmt.Errorf("%w: flavour %v", ErrInvalidConfig, opts.Flavour)
	}
	if opts.Init > AttachGameServer {
		return nil, fmt.Errorf("%w: init mode %v", ErrInvalidConfig, opts.Init)
	}
	if opts.TimeoutInitial < 0 || opts.TimeoutConnected < 0 {
		return nil, fmt.Errorf("%w: negative timeout", ErrInvalidConfig)
	}
	if ip := opts.GameServer.IP; ip.IsValid() && !ip.Unmap().Is4() {
		return nil, fmt.Errorf("%w: game server IP %v is not IPv4", ErrInvalidConfig, ip)
	}
	current.Lock()
	defer current.Unlock()
	if current.lib != nil {
		return nil, ErrAlreadyOpen
	}
	c, flavour, path, err := load(&opts)
	if err != nil {
		return nil, err
	}
	l := &Library{
		c: c, flavour: flavour, mode: opts.Init, path: path,
		conns:     make(map[uint32]statusSink),
		listeners: make(map[uint32]statusSink),
		owners:    make(map[owner]struct{}),
	}
	if err := l.start(&opts); err != nil {
		C.free(unsafe.Pointer(c))
		return nil, err
	}
	current.lib = l
	return l, nil
}

// Flavour is the loaded library's flavour.
func (l *Library) Flavour() Flavour { return l.flavour }

// Path is the path (or name) the library was loaded from.
func (l *Library) Path() string { return l.path }

// Mode is how Steam was initialised.
func (l *Library) Mode() InitMode { return l.mode }

// Close stops the servers and closes the clients still open on the
// library, removes the status callback and shuts down Steam if this
// Library initialised it (never when attached). It must not run while
// another goroutine uses those servers or clients. The shared library
// stays loaded: Steam's libraries keep threads, unloading is not safe.
func (l *Library) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	owners := make([]owner, 0, len(l.owners))
	for o := range l.owners {
		owners = append(owners, o)
	}
	l.mu.Unlock()
	for _, o := range owners {
		o.closeFromLibrary()
	}

	l.mu.Lock()
	C.lys_install_status_callback(l.c, false)
	l.shutdown()
	l.closed = true
	// Every owner is closed and the callback is gone, so nothing reaches
	// the function table again (each path checks closed first).
	C.free(unsafe.Pointer(l.c))
	l.c = nil
	l.mu.Unlock()

	current.Lock()
	if current.lib == l {
		current.lib = nil
	}
	current.Unlock()
	return nil
}

// owner is a server or client made on the library.
type owner interface{ closeFromLibrary() }

func (l *Library) adopt(o owner) {
	l.mu.Lock()
	l.owners[o] = struct{}{}
	l.mu.Unlock()
}

func (l *Library) disown(o owner) {
	l.mu.Lock()
	delete(l.owners, o)
	l.mu.Unlock()
}
