// Typed calls through the resolved function table. Every call into Steam
// goes through here: cgo cannot call a C function pointer itself, and one
// place with the signatures written out is easier to check against
// STEAM.md than casts spread over Go files.
//
// Config options are never passed when creating sockets (nOpt 0, NULL):
// steamworks-rs crashed passing them, and everything the backend sets is
// global configuration.
#include <string.h>
#include "shim.h"

#define FN(index, type) ((type)l->slot[index])

typedef int (*init_flat_fn)(char *);
typedef int (*gs_init_fn)(uint32_t, uint16_t, uint16_t, int, const char *, const char *, char *);
typedef bool (*gns_init_fn)(const lys_Identity *, char *);
typedef void (*void_fn)(void);
typedef void *(*getter_fn)(void);
typedef int (*int_self_fn)(void *);
typedef void (*void_self_fn)(void *);
typedef int32_t (*pipe_fn)(void);
typedef bool (*get_identity_fn)(void *, lys_Identity *);
typedef uint32_t (*ip_fn)(void *, const lys_IPAddr *, int, const lys_ConfigValue *);
typedef uint32_t (*listen_p2p_fn)(void *, int, int, const lys_ConfigValue *);
typedef uint32_t (*connect_p2p_fn)(void *, const lys_Identity *, int, int, const lys_ConfigValue *);
typedef void (*set_steamid_fn)(lys_Identity *, uint64_t);
typedef int (*conn_int_fn)(void *, uint32_t);
typedef bool (*conn_bool_fn)(void *, uint32_t);
typedef bool (*close_fn)(void *, uint32_t, int, const char *, bool);
typedef int (*send_fn)(void *, uint32_t, const void *, uint32_t, int, int64_t *);
typedef int (*receive_fn)(void *, uint32_t, lys_Message **, int);
typedef uint32_t (*create_pg_fn)(void *);
typedef bool (*set_pg_fn)(void *, uint32_t, uint32_t);
typedef void (*release_fn)(lys_Message *);
typedef int (*rts_fn)(void *, uint32_t, lys_RealTimeStatus *, int, void *);
typedef bool (*config_int_fn)(void *, int, int32_t);

// The interface versions the game server init checks: the two the backend
// uses, NUL-separated, ending with an empty string.
static const char gs_interface_versions[] = "SteamNetworkingUtils004\0SteamNetworkingSockets012\0";

int lys_init_flat(lys_lib *l, char *err) {
	return FN(LYS_INIT_FLAT, init_flat_fn)(err);
}

int lys_gs_init(lys_lib *l, uint32_t ip, uint16_t game_port, uint16_t query_port, int mode, const char *version, char *err) {
	return FN(LYS_GS_INIT, gs_init_fn)(ip, game_port, query_port, mode, version, gs_interface_versions, err);
}

bool lys_gns_init(lys_lib *l, char *err) {
	return FN(LYS_GNS_INIT, gns_init_fn)(NULL, err);
}

void lys_call_void(lys_lib *l, int slot) {
	((void_fn)l->slot[slot])();
}

void *lys_call_getter(lys_lib *l, int slot) {
	return ((getter_fn)l->slot[slot])();
}

// The pipe getters return 0 until Steam (or the game server) is
// initialised in this process.
bool lys_pipe_open(lys_lib *l, int slot) {
	return FN(slot, pipe_fn)() != 0;
}

void lys_init_relay(lys_lib *l) {
	FN(LYS_INIT_RELAY, void_self_fn)(l->utils);
}

int lys_init_authentication(lys_lib *l) {
	return FN(LYS_INIT_AUTHENTICATION, int_self_fn)(l->sockets);
}

bool lys_get_identity_steamid(lys_lib *l, uint64_t *out) {
	lys_Identity id;
	memset(&id, 0, sizeof id);
	if (!FN(LYS_GET_IDENTITY, get_identity_fn)(l->sockets, &id) || id.eType != LYS_IDENTITY_STEAMID) {
		return false;
	}
	*out = id.u.steamID64;
	return true;
}

static void make_addr(lys_IPAddr *a, const uint8_t *ip16, uint16_t port) {
	memcpy(a->ipv6, ip16, 16);
	a->port = port;
}

uint32_t lys_listen_ip(lys_lib *l, const uint8_t *ip16, uint16_t port) {
	lys_IPAddr a;
	make_addr(&a, ip16, port);
	return FN(LYS_LISTEN_IP, ip_fn)(l->sockets, &a, 0, NULL);
}

uint32_t lys_connect_ip(lys_lib *l, const uint8_t *ip16, uint16_t port) {
	lys_IPAddr a;
	make_addr(&a, ip16, port);
	return FN(LYS_CONNECT_IP, ip_fn)(l->sockets, &a, 0, NULL);
}

uint32_t lys_listen_p2p(lys_lib *l, int virtual_port) {
	return FN(LYS_LISTEN_P2P, listen_p2p_fn)(l->sockets, virtual_port, 0, NULL);
}

uint32_t lys_connect_p2p(lys_lib *l, uint64_t steam_id, int virtual_port) {
	lys_Identity id;
	memset(&id, 0, sizeof id);
	FN(LYS_IDENTITY_SET_STEAMID64, set_steamid_fn)(&id, steam_id);
	return FN(LYS_CONNECT_P2P, connect_p2p_fn)(l->sockets, &id, virtual_port, 0, NULL);
}

int lys_accept(lys_lib *l, uint32_t conn) {
	return FN(LYS_ACCEPT, conn_int_fn)(l->sockets, conn);
}

bool lys_close_connection(lys_lib *l, uint32_t conn, int reason, const char *debug) {
	// No linger: payloads are unreliable, there is nothing to flush.
	return FN(LYS_CLOSE_CONNECTION, close_fn)(l->sockets, conn, reason, debug, false);
}

bool lys_close_listen(lys_lib *l, uint32_t sock) {
	return FN(LYS_CLOSE_LISTEN, conn_bool_fn)(l->sockets, sock);
}

int lys_send(lys_lib *l, uint32_t conn, const void *data, uint32_t size) {
	return FN(LYS_SEND, send_fn)(l->sockets, conn, data, size, LYS_SEND_UNRELIABLE_NO_NAGLE, NULL);
}

int lys_receive_on_connection(lys_lib *l, uint32_t conn, lys_Message **out, int max) {
	return FN(LYS_RECEIVE_ON_CONNECTION, receive_fn)(l->sockets, conn, out, max);
}

uint32_t lys_create_poll_group(lys_lib *l) {
	return FN(LYS_CREATE_POLL_GROUP, create_pg_fn)(l->sockets);
}

bool lys_destroy_poll_group(lys_lib *l, uint32_t pg) {
	return FN(LYS_DESTROY_POLL_GROUP, conn_bool_fn)(l->sockets, pg);
}

bool lys_set_poll_group(lys_lib *l, uint32_t conn, uint32_t pg) {
	return FN(LYS_SET_POLL_GROUP, set_pg_fn)(l->sockets, conn, pg);
}

int lys_receive_on_poll_group(lys_lib *l, uint32_t pg, lys_Message **out, int max) {
	return FN(LYS_RECEIVE_ON_POLL_GROUP, receive_fn)(l->sockets, pg, out, max);
}

// Releases a batch in one cgo call. Valve's Release helper calls the
// message's own pfnRelease, so it works for messages from either library.
void lys_release_messages(lys_lib *l, lys_Message **msgs, int n) {
	release_fn release = FN(LYS_MESSAGE_RELEASE, release_fn);
	for (int i = 0; i < n; i++) {
		if (msgs[i] != NULL) {
			release(msgs[i]);
			msgs[i] = NULL;
		}
	}
}

int lys_real_time_status(lys_lib *l, uint32_t conn, lys_RealTimeStatus *out) {
	return FN(LYS_REAL_TIME_STATUS, rts_fn)(l->sockets, conn, out, 0, NULL);
}

bool lys_set_config_int32(lys_lib *l, int key, int32_t value) {
	return FN(LYS_SET_CONFIG_INT32, config_int_fn)(l->utils, key, value);
}
