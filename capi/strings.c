/* The parts of the ABI that need no Go: version, error and enum strings,
 * the per-thread last error, config defaults. Plain C, so calling them
 * costs no cgo crossing. */
#include <stddef.h>
#include <string.h>

#include "lightyear_conn.h"
#include "capi_internal.h"

LY_API uint32_t ly_version(void) { return LY_VERSION; }

LY_API const char *ly_error_string(int code) {
    switch (code) {
    case LY_OK: return "ok";
    case LY_ERR_INVALID_HANDLE: return "invalid handle";
    case LY_ERR_INVALID_ARGUMENT: return "invalid argument";
    case LY_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case LY_ERR_PAYLOAD_SIZE: return "payload must be 1 to 1200 bytes";
    case LY_ERR_NOT_CONNECTED: return "not connected";
    case LY_ERR_UNKNOWN_CLIENT: return "no such connected client";
    case LY_ERR_INVALID_TOKEN: return "invalid connect token";
    case LY_ERR_INVALID_KEY: return "invalid key";
    case LY_ERR_NOT_RUNNING: return "server not running";
    case LY_ERR_ALREADY_ACTIVE: return "already running or connecting";
    case LY_ERR_SOCKET: return "socket error";
    case LY_ERR_INTERNAL: return "internal error";
    case LY_ERR_STEAM_UNAVAILABLE: return "steam library not available";
    case LY_ERR_STEAM_INIT_FAILED: return "steam initialisation failed";
    case LY_ERR_SEND_BUFFER_FULL: return "send buffer full, payload not sent";
    case LY_ERR_UNAUTHORIZED: return "token service refused the credential";
    case LY_ERR_RATE_LIMITED: return "token service rate limit: retry later";
    case LY_ERR_NO_SERVER: return "no game server has room";
    case LY_ERR_TLS: return "TLS failure (certificate, pin or handshake)";
    case LY_ERR_TIMEOUT: return "timed out";
    case LY_ERR_HTTP: return "unexpected answer from the token service";
    }
    return "unknown error";
}

/* 512 bytes holds any message the library writes; longer ones are cut. */
static __thread char last_error[512];

void ly__set_last_error(const char *msg, size_t len) {
    if (len >= sizeof last_error) len = sizeof last_error - 1;
    memcpy(last_error, msg, len);
    last_error[len] = '\0';
}

LY_API const char *ly_last_error(void) { return last_error; }

LY_API const char *ly_state_string(int state) {
    switch (state) {
    case LY_STATE_CONNECT_TOKEN_EXPIRED: return "connect token expired";
    case LY_STATE_INVALID_CONNECT_TOKEN: return "invalid connect token";
    case LY_STATE_CONNECTION_TIMED_OUT: return "connection timed out";
    case LY_STATE_CONNECTION_RESPONSE_TIMED_OUT: return "connection response timed out";
    case LY_STATE_CONNECTION_REQUEST_TIMED_OUT: return "connection request timed out";
    case LY_STATE_CONNECTION_DENIED: return "connection denied";
    case LY_STATE_DISCONNECTED: return "disconnected";
    case LY_STATE_SENDING_CONNECTION_REQUEST: return "sending connection request";
    case LY_STATE_SENDING_CONNECTION_RESPONSE: return "sending connection response";
    case LY_STATE_CONNECTED: return "connected";
    }
    return "unknown state";
}

LY_API const char *ly_reason_string(int reason) {
    switch (reason) {
    case LY_REASON_NONE: return "none";
    case LY_REASON_LOCAL: return "disconnected locally";
    case LY_REASON_REMOTE: return "disconnected by peer";
    case LY_REASON_TIMED_OUT: return "timed out";
    case LY_REASON_SERVER_STOPPED: return "server stopped";
    case LY_REASON_DENIED: return "connection denied";
    case LY_REASON_REQUEST_TIMED_OUT: return "connection request timed out";
    case LY_REASON_RESPONSE_TIMED_OUT: return "connection response timed out";
    case LY_REASON_TOKEN_EXPIRED: return "connect token expired";
    case LY_REASON_INVALID_TOKEN: return "invalid connect token";
    case LY_REASON_TRANSPORT_ERROR: return "transport error";
    }
    return "unknown reason";
}

LY_API void ly_token_params_defaults(ly_token_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->expire_seconds = 30;
    p->timeout_seconds = 5;
}

/* token_history_size took the tail padding of the 64-bit layout: callers
 * built before it pass the same struct_size and, having called the filler
 * below, zeros there. Growing the struct instead would make this filler,
 * which writes the library's sizeof, overrun an older caller's struct. */
_Static_assert(sizeof(void *) != 8 || sizeof(ly_server_config) == 80,
               "ly_server_config must keep its 64-bit size");

LY_API void ly_server_config_defaults(ly_server_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->max_clients = 256;
}

LY_API void ly_client_config_defaults(ly_client_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->receive_queue_size = 256;
}

/* ly_steam_config grew (the connection options): the filler writes no
 * more than the caller's size, and the old symbol only the old fields. */
#define STEAM_CONFIG_SIZE_V1 offsetof(ly_steam_config, allow_ip_without_auth)

LY_API void ly_steam_config_defaults_sized(ly_steam_config *c, uint32_t size) {
    if (!c || size < STEAM_CONFIG_SIZE_V1) return;
    size_t n = size < sizeof *c ? size : sizeof *c;
    memset(c, 0, n);
    c->struct_size = (uint32_t)n;
    c->flavour = LY_STEAM_AUTO;
    c->init = LY_STEAM_INIT_CLIENT;
}

LY_API void (ly_steam_config_defaults)(ly_steam_config *c) {
    ly_steam_config_defaults_sized(c, (uint32_t)STEAM_CONFIG_SIZE_V1);
}

/* ly_conditioner_config grew too (the burst fields): this symbol is what
 * programs built before them call, so it writes only their fields. The
 * header's macro calls the sized entry (entry.c) with the new sizeof. */
LY_API int (ly_conditioner_preset_config)(int preset, ly_conditioner_config *c) {
    return ly_conditioner_preset_config_sized(preset, c, (uint32_t)offsetof(ly_conditioner_config, burst_model));
}

LY_API void ly_steam_server_config_defaults(ly_steam_server_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->mode = LY_STEAM_MODE_IP;
    c->max_clients = 256;
    c->max_payload = LY_MAX_PAYLOAD_SIZE;
}

LY_API void ly_token_fetch_options_defaults(ly_token_fetch_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->timeout_ms = 10000;
}

LY_API void ly_fleet_config_defaults(ly_fleet_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->ttl_ms = 10000;
}

LY_API void ly_steam_client_config_defaults(ly_steam_client_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->mode = LY_STEAM_MODE_IP;
    c->max_payload = LY_MAX_PAYLOAD_SIZE;
}

/* A new struct: no older symbol to keep, but the sized filler lets a
 * later, larger ly_web_options reach callers built against this one. */
LY_API void ly_web_options_defaults_sized(ly_web_options *o, uint32_t size) {
    if (!o || size < sizeof *o) return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}
