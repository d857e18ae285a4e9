package steamworks

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

// serverModeNoAuthentication is EServerMode 1: users are not
// authenticated and the server is not listed.
const serverModeNoAuthentication = 1

const defaultGameServerVersion = "1.0.0.0"

// start initialises Steam (or attaches), fetches the interfaces, installs
// the status callback and applies the global settings.
func (l *Library) start(opts *LibraryOptions) error {
	if err := l.initialise(opts); err != nil {
		return err
	}
	socketsSlot := C.int(C.LYS_SOCKETS)
	if l.flavour == FlavourSteamworks && l.mode.gameServer() {
		socketsSlot = C.LYS_GS_SOCKETS
	}
	l.c.sockets = C.lys_call_getter(l.c, socketsSlot)
	l.c.utils = C.lys_call_getter(l.c, C.LYS_UTILS)
	if l.c.sockets == nil || l.c.utils == nil {
		l.shutdown()
		if l.mode.attaches() {
			return fmt.Errorf("%w: nothing to attach to (the interface getters of %s returned NULL)", ErrNotInitialised, l.path)
		}
		return fmt.Errorf("%w: the interface getters returned NULL after init", ErrNotInitialised)
	}

	// Changes queued for an earlier Library are stale.
	C.lys_queue_reset()
	if !C.lys_install_status_callback(l.c, true) {
		l.shutdown()
		return fmt.Errorf("%w: SetGlobalCallback_SteamNetConnectionStatusChanged refused", ErrInitFailed)
	}
	if opts.AllowIPWithoutAuth {
		C.lys_set_config_int32(l.c, configIPAllowWithoutAuth, 2)
	}
	if opts.TimeoutInitial > 0 {
		C.lys_set_config_int32(l.c, configTimeoutInitial, C.int32_t(opts.TimeoutInitial.Milliseconds()))
	}
	if opts.TimeoutConnected > 0 {
		C.lys_set_config_int32(l.c, configTimeoutConnected, C.int32_t(opts.TimeoutConnected.Milliseconds()))
	}
	for _, v := range []struct{ key, value int }{
		{configSendRateMin, opts.SendRateMin},
		{configSendRateMax, opts.SendRateMax},
		{configSendBufferSize, opts.SendBufferSize},
	} {
		if v.value > 0 {
			C.lys_set_config_int32(l.c, C.int(v.key), C.int32_t(v.value))
		}
	}
	if opts.DebugOutputLevel > 0 {
		C.lys_install_debug_output(l.c, C.int(opts.DebugOutputLevel))
	}
	if l.flavour == FlavourSteamworks {
		// Asks Steam for the certificate IP connections need; it runs in
		// the background and may be asked again safely.
		C.lys_init_authentication(l.c)
	}
	return nil
}

// initialise runs the init call of the mode, if any.
func (l *Library) initialise(opts *LibraryOptions) error {
	if l.mode.attaches() {
		return nil
	}
	if err := l.refuseSecondInit(); err != nil {
		return err
	}
	errbuf := (*C.char)(C.calloc(1, C.LYS_ERRMSG_SIZE))
	defer C.free(unsafe.Pointer(errbuf))

	if l.flavour == FlavourGNS {
		if !C.lys_gns_init(l.c, errbuf) {
			return &InitError{Call: "GameNetworkingSockets_Init", Message: C.GoString(errbuf)}
		}
		l.inited = true
		return nil
	}
	if l.mode == InitGameServer {
		gs := opts.GameServer
		var ip uint32
		if gs.IP.IsValid() && !gs.IP.IsUnspecified() {
			b := gs.IP.Unmap().As4()
			ip = binary.BigEndian.Uint32(b[:]) // host order, as Steam wants
		}
		version := gs.Version
		if version == "" {
			version = defaultGameServerVersion
		}
		cversion := C.CString(version)
		defer C.free(unsafe.Pointer(cversion))
		r := C.lys_gs_init(l.c, C.uint32_t(ip), C.uint16_t(gs.GamePort), C.uint16_t(gs.QueryPort),
			serverModeNoAuthentication, cversion, errbuf)
		if r != 0 {
			return &InitError{Call: "SteamInternal_GameServer_Init_V2", Result: int(r), Message: C.GoString(errbuf)}
		}
		l.inited = true
		l.c.pump = C.LYS_PUMP_GAME_SERVER
		return nil
	}
	if opts.AppID != 0 {
		// Read by Steam through getenv; with cgo, os.Setenv updates the C
		// environment too.
		id := strconv.FormatUint(uint64(opts.AppID), 10)
		os.Setenv("SteamAppId", id)
		os.Setenv("SteamGameId", id)
	}
	r := C.lys_init_flat(l.c, errbuf)
	if r != 0 {
		return &InitError{Call: "SteamAPI_InitFlat", Result: int(r), Message: C.GoString(errbuf)}
	}
	l.inited = true
	l.c.pump = C.LYS_PUMP_API
	return nil
}

// refuseSecondInit refuses to initialise a Steam the process already
// initialised (the host's own Steamworks.NET or GNS, say). Steam's second
// init succeeds without doing anything, and Close would then shut the
// host's instance down under it.
func (l *Library) refuseSecondInit() error {
	var already bool
	var call string
	switch {
	case l.flavour == FlavourGNS:
		already, call = C.lys_call_getter(l.c, C.LYS_SOCKETS) != nil, "GameNetworkingSockets_Init"
	case l.mode == InitGameServer:
		already, call = bool(C.lys_pipe_open(l.c, C.LYS_GS_GET_PIPE)), "SteamInternal_GameServer_Init_V2"
	default:
		already, call = bool(C.lys_pipe_open(l.c, C.LYS_API_GET_PIPE)), "SteamAPI_InitFlat"
	}
	if !already {
		return nil
	}
	return &InitError{Call: call, Message: "Steam is already initialised in this process: " +
		"use AttachClient or AttachGameServer (C: LY_STEAM_ATTACH_CLIENT or LY_STEAM_ATTACH_GAME_SERVER) " +
		"to use it without initialising or shutting it down"}
}

// shutdown undoes initialise: only what this Library initialised.
func (l *Library) shutdown() {
	if !l.inited {
		return
	}
	l.inited = false
	l.c.pump = C.LYS_PUMP_NONE
	switch {
	case l.flavour == FlavourGNS:
		C.lys_call_void(l.c, C.LYS_GNS_KILL)
	case l.mode == InitGameServer:
		C.lys_call_void(l.c, C.LYS_GS_SHUTDOWN)
	default:
		C.lys_call_void(l.c, C.LYS_SHUTDOWN)
	}
}

// initRelay asks Steam, once per Library, to start getting access to
// Valve's relay network, which P2P connections go through; without it the
// first P2P connection waits for that access. l.mu is held.
func (l *Library) initRelay() {
	if !l.relayRequested {
		l.relayRequested = true
		C.lys_init_relay(l.c)
	}
}
