// Package steamworks is the Steam backend: core.Client and core.Server
// (a multi.Backend of kind core.KindSteam) over Valve's
// ISteamNetworkingSockets flat API.
//
// # Loading
//
// The library is opened at run time with dlopen (LoadLibraryW on Windows)
// and every function the backend calls is resolved with dlsym
// (GetProcAddress) by name, up front, from one table (symbols.go); nothing
// links against Valve's libraries and no Valve header is vendored
// (steam_types.h holds our own declarations, checked against the measured
// layouts by the tests). Two libraries expose the API (see Flavour):
// Valve's Steamworks libsteam_api.so (steam_api64.dll on Windows), and the
// open-source GameNetworkingSockets (GameNetworkingSockets.dll), which
// carries IP connections only. Open searches LibraryOptions.Path, then
// $LIGHTYEAR_STEAM_LIB, then the flavour's file name through the default
// dlopen or LoadLibrary search and next to the executable; ErrUnavailable
// names every path tried. Paths are UTF-8; on Windows they are converted
// to UTF-16 for LoadLibraryW, so a path in any script loads whatever the
// system's code page.
//
// # Initialisation
//
// Either the Library initialises Steam (a Steamworks client with
// SteamAPI_InitFlat, a Steamworks game server without authentication, or
// GameNetworkingSockets_Init) and shuts it down on Close, or it attaches
// to a Steam the host process initialised (Steamworks.NET,
// steamworks-rs) and only fetches the interfaces. Failures carry Steam's
// own message (InitError). SteamAPI_RestartAppIfNecessary is never
// called.
//
// # Status changes and threads
//
// Steam reports connection state changes through one process-wide C
// function pointer, called inside RunCallbacks. A C trampoline copies
// what the backend needs into a queue in C memory; every server's and
// client's Update runs the callbacks and drains the queue, handing each
// change to the owner of its connection. No Go code runs on a thread
// Steam chose. Because that pointer is process-wide and has no user
// data, one Library is open at a time; in attach mode it replaces any
// status callback the host had set with SetGlobalCallback.
//
// # Clients and ids
//
// A server's client id is the peer's SteamID64. Peers without one — IP
// peers of GameNetworkingSockets, whose identity is their address — get
// an id derived from their address and port (see peerID), which never
// equals a valid SteamID. A second connection with an id already
// connected is refused (EndReasonDuplicate).
//
// Payloads are unreliable Steam messages (they may be lost, like UDP
// datagrams) sent
// with SendMessageToConnection (unreliable, no Nagle), 1 to MaxPayload
// bytes (core.MaxPayload unless configured). Received messages are
// taken in batches, copied into the event queue and released at once;
// empty or oversized ones are dropped and counted. Steam keeps its own
// clock for handshakes and timeouts: Update's dt only drives the
// statistics.
//
// # Tests
//
// The tests run without Steam: they build a test double
// (testdata/fakesteam) with gcc, which exports the flat API under its
// real names with the real layouts and routes messages in memory, and
// load it through the same dlopen/dlsym path. When Valve's
// libsteam_api.so is present ($LIGHTYEAR_STEAM_API_PATH, or the cache
// testdata/fetch-steam-api.sh fills), its symbols and its init failure
// without a Steam client are checked in subprocesses.
//
// The real GameNetworkingSockets, built by testdata/build-gns.sh
// ($LIGHTYEAR_GNS_LIB, or that script's cache; skipped without it), runs
// the backend over UDP on 127.0.0.1 (gns_test.go): payloads each way
// byte-exact, disconnects from either side with their end reasons, 16
// clients with a broadcast and a server stop, a connect to nobody timing
// out, the payload limit, a client closed mid-stream, Library.Close with
// connections open and a re-open, and a burst that fills GNS's send
// buffer (ErrSendBufferFull). A native GNS program of our own
// (tests/gns/native_peer.cpp, built with g++) is the peer of our client
// and of our server, each end closing, with the end reasons checked on
// both sides.
package steamworks
