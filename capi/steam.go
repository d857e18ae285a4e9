package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"errors"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/steamworks"
)

// steam is the process's one Steam library (Steam's status callback is
// process-wide, so steamworks allows only one).
var steam struct {
	sync.Mutex
	lib *steamworks.Library
}

func goString(s *C.ly__cchar) string {
	panicPoint()
	if s == nil {
		return ""
	}
	return C.GoString((*C.char)(unsafe.Pointer(s)))
}

// steamCode maps the steamworks errors to LY_ERR_* codes.
func steamCode(err error, fallback C.int) C.int {
	switch {
	case errors.Is(err, steamworks.ErrUnavailable), errors.Is(err, steamworks.ErrMissingSymbol):
		return C.LY_ERR_STEAM_UNAVAILABLE
	case errors.Is(err, steamworks.ErrInitFailed), errors.Is(err, steamworks.ErrNotInitialised):
		return C.LY_ERR_STEAM_INIT_FAILED
	case errors.Is(err, steamworks.ErrAlreadyOpen):
		return errAlreadyActive
	case errors.Is(err, steamworks.ErrInvalidConfig), errors.Is(err, steamworks.ErrUnsupported):
		return errInvalidArgument
	case errors.Is(err, steamworks.ErrSocket):
		return errSocket
	}
	return codeOf(err, fallback)
}

// steamConfigSizeV1 is sizeof(ly_steam_config) before the connection
// options: callers built against that header still open Steam.
var steamConfigSizeV1 = C.uint32_t(unsafe.Offsetof(C.ly_steam_config{}.allow_ip_without_auth))

// steamConnectionOptions reads ly_steam_config's connection options.
func steamConnectionOptions(cfg *C.ly__csteam_config, opts *steamworks.LibraryOptions) C.int {
	const most = 1<<31 - 1 // Steam's values are int32
	for _, v := range []struct {
		name  string
		value C.uint32_t
	}{
		{"timeout_initial_ms", cfg.timeout_initial_ms}, {"timeout_connected_ms", cfg.timeout_connected_ms},
		{"send_rate_min", cfg.send_rate_min}, {"send_rate_max", cfg.send_rate_max},
		{"send_buffer_size", cfg.send_buffer_size},
	} {
		if v.value > most {
			return fail(errInvalidArgument, "%s %d is over %d", v.name, v.value, most)
		}
	}
	if cfg.debug_output_level > 8 {
		return fail(errInvalidArgument, "debug_output_level %d is over 8", cfg.debug_output_level)
	}
	if cfg.send_rate_min != 0 && cfg.send_rate_max != 0 && cfg.send_rate_min > cfg.send_rate_max {
		return fail(errInvalidArgument, "send_rate_min %d is over send_rate_max %d", cfg.send_rate_min, cfg.send_rate_max)
	}
	opts.AllowIPWithoutAuth = cfg.allow_ip_without_auth != 0
	opts.TimeoutInitial = time.Duration(cfg.timeout_initial_ms) * time.Millisecond
	opts.TimeoutConnected = time.Duration(cfg.timeout_connected_ms) * time.Millisecond
	opts.DebugOutputLevel = int(cfg.debug_output_level)
	opts.SendRateMin = int(cfg.send_rate_min)
	opts.SendRateMax = int(cfg.send_rate_max)
	opts.SendBufferSize = int(cfg.send_buffer_size)
	return C.LY_OK
}

//export ly__go_steam_open
func ly__go_steam_open(cfg *C.ly__csteam_config) (rc C.int) {
	defer recoverPanic(&rc)
	if cfg == nil {
		return fail(errInvalidArgument, "config is NULL")
	}
	if cfg.struct_size < steamConfigSizeV1 {
		return fail(errInvalidArgument, "ly_steam_config.struct_size is %d, want at least %d (sizeof(ly_steam_config) is %d: call ly_steam_config_defaults)", cfg.struct_size, steamConfigSizeV1, unsafe.Sizeof(*cfg))
	}
	if cfg.flavour > C.LY_STEAM_GNS || cfg.init > C.LY_STEAM_ATTACH_GAME_SERVER {
		return fail(errInvalidArgument, "flavour %d or init %d out of range", cfg.flavour, cfg.init)
	}
	opts := steamworks.LibraryOptions{
		Flavour: steamworks.Flavour(cfg.flavour),
		Path:    goString((*C.ly__cchar)(unsafe.Pointer(cfg.library_path))),
		Init:    steamworks.InitMode(cfg.init),
		AppID:   uint32(cfg.app_id),
		GameServer: steamworks.GameServerOptions{
			GamePort:  uint16(cfg.game_port),
			QueryPort: uint16(cfg.query_port),
			Version:   goString((*C.ly__cchar)(unsafe.Pointer(cfg.game_server_version))),
		},
	}
	if hasField(cfg.struct_size, unsafe.Sizeof(*cfg)) {
		if rc := steamConnectionOptions(cfg, &opts); rc != C.LY_OK {
			return rc
		}
	}
	if ip := goString((*C.ly__cchar)(unsafe.Pointer(cfg.game_server_ip))); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return fail(errInvalidArgument, "game_server_ip: %v", err)
		}
		opts.GameServer.IP = a
	}
	steam.Lock()
	defer steam.Unlock()
	if steam.lib != nil {
		return fail(errAlreadyActive, "a Steam library is already open (%s)", steam.lib.Path())
	}
	lib, err := steamworks.Open(opts)
	if err != nil {
		return fail(steamCode(err, C.LY_ERR_STEAM_UNAVAILABLE), "%v", err)
	}
	steam.lib = lib
	return C.LY_OK
}

// closeSteam closes the library, if open; steam is locked by the caller.
// Servers lose their Steam backend first, so that they go on serving
// their other clients. Steam clients are closed under their handle locks
// too: once the library is closed its function table is freed, and no
// call on another thread may still be inside one of them.
func closeSteam() error {
	if steam.lib == nil {
		return nil
	}
	handles.each(kindServer, func(obj any) {
		obj.(*serverHandle).srv.Remove(core.KindSteam)
	})
	handles.each(kindClient, func(obj any) {
		if c, ok := obj.(*clientHandle).cli.(*steamworks.Client); ok {
			c.Close()
		}
	})
	err := steam.lib.Close()
	steam.lib = nil
	return err
}

//export ly__go_steam_close
func ly__go_steam_close() (rc C.int) {
	defer recoverPanic(&rc)
	steam.Lock()
	defer steam.Unlock()
	if err := closeSteam(); err != nil {
		return failErr(err, errInternal)
	}
	return C.LY_OK
}

func openSteam() (*steamworks.Library, C.int) {
	steam.Lock()
	defer steam.Unlock()
	if steam.lib == nil {
		return nil, fail(C.LY_ERR_STEAM_UNAVAILABLE, "Steam is not open: call ly_steam_open first")
	}
	return steam.lib, C.LY_OK
}

func steamMode(mode C.uint32_t) (steamworks.Mode, bool) {
	switch mode {
	case C.LY_STEAM_MODE_IP:
		return steamworks.ModeIP, true
	case C.LY_STEAM_MODE_P2P:
		return steamworks.ModeP2P, true
	}
	return 0, false
}

// steamEndpoint checks what the Steam server and client configs share and
// returns the open library; lib is nil (and rc an error) on failure.
func steamEndpoint(cmode, maxPayload C.uint32_t, address *C.char) (lib *steamworks.Library, mode steamworks.Mode, addr netip.AddrPort, rc C.int) {
	mode, ok := steamMode(cmode)
	if !ok {
		return nil, 0, addr, fail(errInvalidArgument, "mode %d", cmode)
	}
	if maxPayload > C.LY_MAX_PAYLOAD_SIZE {
		return nil, 0, addr, fail(errInvalidArgument, "max_payload %d over LY_MAX_PAYLOAD_SIZE", maxPayload)
	}
	if addr, rc = steamAddress(mode, address); rc != C.LY_OK {
		return nil, 0, addr, rc
	}
	lib, rc = openSteam()
	return lib, mode, addr, rc
}

// steamAddress parses the address of an IP-mode config.
func steamAddress(mode steamworks.Mode, s *C.char) (netip.AddrPort, C.int) {
	if mode != steamworks.ModeIP {
		return netip.AddrPort{}, C.LY_OK
	}
	a, err := netip.ParseAddrPort(goString((*C.ly__cchar)(unsafe.Pointer(s))))
	if err != nil {
		return a, fail(errInvalidArgument, "address: %v", err)
	}
	return a, C.LY_OK
}

//export ly__go_server_add_steam
func ly__go_server_add_steam(h *C.ly_server, cfg *C.ly__csteam_server_config) (rc C.int) {
	defer recoverPanic(&rc)
	if cfg == nil {
		return fail(errInvalidArgument, "config is NULL")
	}
	if cfg.struct_size < C.uint32_t(unsafe.Sizeof(*cfg)) {
		return fail(errInvalidArgument, "ly_steam_server_config.struct_size is %d, want %d", cfg.struct_size, unsafe.Sizeof(*cfg))
	}
	lib, mode, addr, rc := steamEndpoint(cfg.mode, cfg.max_payload, cfg.address)
	if lib == nil {
		return rc
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if _, dup := s.srv.Backend(core.KindSteam); dup {
		return fail(errInvalidArgument, "the server already has a Steam backend")
	}
	b, err := steamworks.NewServer(lib, steamworks.ServerConfig{
		Mode:        mode,
		Address:     addr,
		VirtualPort: int(cfg.virtual_port),
		MaxClients:  int(cfg.max_clients),
		MaxPayload:  int(cfg.max_payload),
	})
	if err != nil {
		return fail(steamCode(err, errInvalidArgument), "%v", err)
	}
	if err := s.srv.Add(b); err != nil {
		return fail(steamCode(err, errSocket), "%v", err)
	}
	return C.LY_OK
}

//export ly__go_client_create_steam
func ly__go_client_create_steam(cfg *C.ly__csteam_client_config, out **C.ly_client) (rc C.int) {
	defer recoverPanic(&rc)
	if cfg == nil || out == nil {
		return fail(errInvalidArgument, "config and out must not be NULL")
	}
	if cfg.struct_size < C.uint32_t(unsafe.Sizeof(*cfg)) {
		return fail(errInvalidArgument, "ly_steam_client_config.struct_size is %d, want %d", cfg.struct_size, unsafe.Sizeof(*cfg))
	}
	lib, mode, addr, rc := steamEndpoint(cfg.mode, cfg.max_payload, cfg.address)
	if lib == nil {
		return rc
	}
	c, err := steamworks.NewClient(lib, steamworks.ClientConfig{
		Mode:          mode,
		Address:       addr,
		ServerSteamID: uint64(cfg.server_steam_id),
		VirtualPort:   int(cfg.virtual_port),
		MaxPayload:    int(cfg.max_payload),
	})
	if err != nil {
		return fail(steamCode(err, errInvalidArgument), "%v", err)
	}
	return addClient(c, out)
}
