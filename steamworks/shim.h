// The C side of the backend: the table of functions resolved from the
// Steam library at run time, typed wrappers that call through it (cgo cannot
// call a C function pointer), the status-change trampoline and its queue,
// and the layout report for the tests.
#ifndef LYS_SHIM_H
#define LYS_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "steam_types.h"

// One slot per function the backend calls. symbols.go names each slot for
// each flavour of library; keep the two lists in the same order.
enum lys_slot {
	// Steamworks only.
	LYS_INIT_FLAT,
	LYS_SHUTDOWN,
	LYS_GS_INIT,
	LYS_GS_SHUTDOWN,
	LYS_API_RUN_CALLBACKS,
	LYS_GS_RUN_CALLBACKS,
	LYS_GS_SOCKETS,
	LYS_INIT_AUTHENTICATION,
	LYS_GET_IDENTITY,
	LYS_LISTEN_P2P,
	LYS_CONNECT_P2P,
	LYS_IDENTITY_SET_STEAMID64,
	LYS_API_GET_PIPE,
	LYS_GS_GET_PIPE,
	LYS_INIT_RELAY,
	// GameNetworkingSockets only.
	LYS_GNS_INIT,
	LYS_GNS_KILL,
	// Both, under flavour-specific names.
	LYS_SOCKETS,
	LYS_UTILS,
	// Both, under the same name.
	LYS_LISTEN_IP,
	LYS_CONNECT_IP,
	LYS_ACCEPT,
	LYS_CLOSE_CONNECTION,
	LYS_CLOSE_LISTEN,
	LYS_SEND,
	LYS_RECEIVE_ON_CONNECTION,
	LYS_CREATE_POLL_GROUP,
	LYS_DESTROY_POLL_GROUP,
	LYS_SET_POLL_GROUP,
	LYS_RECEIVE_ON_POLL_GROUP,
	LYS_REAL_TIME_STATUS,
	LYS_RUN_CALLBACKS,
	LYS_SET_GLOBAL_CALLBACK,
	LYS_SET_CONFIG_INT32,
	LYS_SET_DEBUG_OUTPUT,
	LYS_MESSAGE_RELEASE,
	LYS_SLOT_COUNT
};

// What pump runs besides the sockets interface's RunCallbacks.
enum { LYS_PUMP_NONE = 0, LYS_PUMP_API = 1, LYS_PUMP_GAME_SERVER = 2 };

typedef struct lys_lib {
	void *dl;
	void *slot[LYS_SLOT_COUNT];
	void *sockets; // ISteamNetworkingSockets*
	void *utils;   // ISteamNetworkingUtils*
	int pump;      // LYS_PUMP_*
} lys_lib;

// One status change, copied out of Steam's callback struct by the
// trampoline (Go never sees the misaligned original).
typedef struct lys_status {
	uint32_t conn;
	uint32_t listen_socket;
	int32_t state;
	int32_t old_state;
	int32_t end_reason;
	int32_t identity_type;
	uint64_t steam_id; // when identity_type is LYS_IDENTITY_STEAMID
	uint8_t addr[16];  // addrRemote, all zero when unknown (relayed)
	uint16_t port;
	uint16_t pad;
	char end_debug[128];
} lys_status;

enum { LYS_ERRMSG_SIZE = 1024 };

// loader.c
void *lys_dlopen(const char *path, char *err, int cap);
void *lys_dlsym(void *handle, const char *name);
void lys_dlclose(void *handle);

// calls.c: initialisation
int lys_init_flat(lys_lib *l, char *err);
int lys_gs_init(lys_lib *l, uint32_t ip, uint16_t game_port, uint16_t query_port, int mode, const char *version, char *err);
bool lys_gns_init(lys_lib *l, char *err);
void lys_call_void(lys_lib *l, int slot);
void *lys_call_getter(lys_lib *l, int slot);
int lys_init_authentication(lys_lib *l);
bool lys_pipe_open(lys_lib *l, int slot);
void lys_init_relay(lys_lib *l);
bool lys_get_identity_steamid(lys_lib *l, uint64_t *out);

// calls.c: sockets
uint32_t lys_listen_ip(lys_lib *l, const uint8_t *ip16, uint16_t port);
uint32_t lys_connect_ip(lys_lib *l, const uint8_t *ip16, uint16_t port);
uint32_t lys_listen_p2p(lys_lib *l, int virtual_port);
uint32_t lys_connect_p2p(lys_lib *l, uint64_t steam_id, int virtual_port);
int lys_accept(lys_lib *l, uint32_t conn);
bool lys_close_connection(lys_lib *l, uint32_t conn, int reason, const char *debug);
bool lys_close_listen(lys_lib *l, uint32_t sock);
int lys_send(lys_lib *l, uint32_t conn, const void *data, uint32_t size);
int lys_receive_on_connection(lys_lib *l, uint32_t conn, lys_Message **out, int max);
uint32_t lys_create_poll_group(lys_lib *l);
bool lys_destroy_poll_group(lys_lib *l, uint32_t pg);
bool lys_set_poll_group(lys_lib *l, uint32_t conn, uint32_t pg);
int lys_receive_on_poll_group(lys_lib *l, uint32_t pg, lys_Message **out, int max);
void lys_release_messages(lys_lib *l, lys_Message **msgs, int n);
int lys_real_time_status(lys_lib *l, uint32_t conn, lys_RealTimeStatus *out);
bool lys_set_config_int32(lys_lib *l, int key, int32_t value);

// callbacks.c
bool lys_install_status_callback(lys_lib *l, bool on);
void lys_install_debug_output(lys_lib *l, int level);
void lys_queue_reset(void);
int lys_pump(lys_lib *l, lys_status *out, int max);
int lys_drain(lys_status *out, int max);
uint64_t lys_queue_dropped(void);

// layout.c
int lys_layout(int i, const char **name, long *value);

#endif
