/* The public entry points that run Go code. Each is a small C function
 * that blocks the asynchronous signals the host handles, calls the Go
 * export of the same name with the prefix ly__go_, and restores the
 * thread's mask, so a host signal is never handled on a goroutine stack
 * and a collector that stops threads with signals never stops one inside
 * the Go runtime (hostsignals.c says why). A signal that arrived meanwhile
 * is delivered when the mask is restored, before the call returns. A host
 * that handled no asynchronous signal at its first call pays nothing: the
 * entries then call straight through. Linux and Android only (see
 * hostsignals.c).
 *
 * The C compiler checks each line against lightyear_conn.h (the
 * definition) and against cgo's _cgo_export.h (the call);
 * TestEveryExportRecovers checks that every Go export has its line. */
#include "lightyear_conn.h"
#include "capi_internal.h"
#include "_cgo_export.h"
#include "tick.h"

#include <string.h>

#if defined(__linux__) && !defined(LY_BENCH_UNMASKED_ENTRIES)
#include <signal.h>

/* hostsignals.c: ly__mask_state is 0 until the first call has looked at
 * the host's handlers, then 1 (none: nothing to block) or 2 (block
 * ly__async_signals). */
extern sigset_t ly__async_signals;
extern int ly__mask_state;
void ly__entry_mask_init(void);
/* 1 once Go's initialisation is done; ly__wait_go_ready waits for it with
 * the thread's signals open (hostsignals.c, "Waiting for the Go runtime"). */
extern int ly__go_ready;
void ly__wait_go_ready(void);

static inline int mask_needed(void) {
    int state = __atomic_load_n(&ly__mask_state, __ATOMIC_ACQUIRE);
    if (state == 0) {
        ly__entry_mask_init();
        state = __atomic_load_n(&ly__mask_state, __ATOMIC_ACQUIRE);
    }
    if (state != 2)
        return 0;
    if (!__atomic_load_n(&ly__go_ready, __ATOMIC_ACQUIRE))
        ly__wait_go_ready();
    return 1;
}

#define LY_ENTRY(name, params, args)                                  \
    LY_API int ly_##name params {                                     \
        LY_FAST                                                       \
        if (!mask_needed())                                           \
            return ly__go_##name args;                                \
        sigset_t saved;                                               \
        pthread_sigmask(SIG_BLOCK, &ly__async_signals, &saved);       \
        int rc = ly__go_##name args;                                  \
        pthread_sigmask(SIG_SETMASK, &saved, NULL);                   \
        return rc;                                                    \
    }
#else
/* Windows (no signals) and macOS (the Go runtime's own handling for now,
 * PLATFORMS.md). -DLY_BENCH_UNMASKED_ENTRIES builds a Linux library
 * without the mask, only to show what it prevents (DESIGN.md): unsafe in
 * a host with signal handlers. */
#define LY_ENTRY(name, params, args) \
    LY_API int ly_##name params { return ly__go_##name args; }
#endif

/* LY_FAST is what an entry does before entering Go: nothing, except in
 * the server entries below that a steady server answers in C (tick.c:
 * the game's tick of a netcode server over UDP, Linux only). Each returns
 * 0 when the call must take the Go path, so errors and their messages
 * stay Go's. */
#define LY_FAST
#if defined(__linux__)
#define LY_BITS(server) ((uint64_t)(uintptr_t)(server))
#endif

LY_ENTRY(server_connect_local, (ly_server *server, uint64_t id, ly_client **out), (server, id, out))
LY_ENTRY(server_set_conditioner,
         (ly_server *server, const ly_conditioner_config *send, const ly_conditioner_config *recv),
         (server, send, recv))
LY_ENTRY(server_create, (const ly_server_config *config, ly_server **out), (config, out))
LY_ENTRY(server_destroy, (ly_server *server), (server))
LY_ENTRY(server_start, (ly_server *server), (server))
LY_ENTRY(server_stop, (ly_server *server), (server))
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST if (ly__tick_running(LY_BITS(server))) return 1;
#endif
LY_ENTRY(server_running, (ly_server *server), (server))
#undef LY_FAST
#define LY_FAST
#if defined(__linux__)
/* Done in C, or done in part: Go finishes the update with dt 0, the
 * clock having moved already. */
#undef LY_FAST
#define LY_FAST                                               \
    switch (ly__tick_update(LY_BITS(server), dt_seconds)) {   \
    case 1:                                                   \
        return LY_OK;                                         \
    case LY__TICK_CONTINUE:                                   \
        dt_seconds = 0.0;                                     \
    }
#endif
LY_ENTRY(server_update, (ly_server *server, double dt_seconds), (server, dt_seconds))
#undef LY_FAST
#define LY_FAST
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST if (ly__tick_flush(LY_BITS(server))) return LY_OK;
#endif
LY_ENTRY(server_flush, (ly_server *server), (server))
#undef LY_FAST
#define LY_FAST
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST if (ly__tick_send(LY_BITS(server), client, data, size)) return LY_OK;
#endif
LY_ENTRY(server_send,
         (ly_server *server, ly_client_id client, const uint8_t *data, uint32_t size),
         (server, client, data, size))
#undef LY_FAST
#define LY_FAST
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST if (ly__tick_broadcast(LY_BITS(server), data, size)) return LY_OK;
#endif
LY_ENTRY(server_broadcast,
         (ly_server *server, const uint8_t *data, uint32_t size),
         (server, data, size))
#undef LY_FAST
#define LY_FAST
LY_ENTRY(server_disconnect, (ly_server *server, ly_client_id client), (server, client))
LY_ENTRY(server_disconnect_all, (ly_server *server), (server))
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST                                               \
    {                                                         \
        int n;                                                \
        if (ly__tick_num_connected(LY_BITS(server), &n))      \
            return n;                                         \
    }
#endif
LY_ENTRY(server_num_connected, (ly_server *server), (server))
#undef LY_FAST
#define LY_FAST
LY_ENTRY(server_max_clients, (ly_server *server), (server))
LY_ENTRY(server_connected_ids,
         (ly_server *server, ly_client_id *ids, uint32_t max_ids),
         (server, ids, max_ids))
LY_ENTRY(server_client_address,
         (ly_server *server, ly_client_id client, char *buf, uint32_t buf_size),
         (server, client, buf, buf_size))
LY_ENTRY(server_client_user_data,
         (ly_server *server, ly_client_id client, uint8_t *user_data),
         (server, client, user_data))
LY_ENTRY(server_address,
         (ly_server *server, uint32_t index, char *buf, uint32_t buf_size),
         (server, index, buf, buf_size))
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST                                                          \
    {                                                                    \
        int rc;                                                          \
        if (ly__tick_poll(LY_BITS(server), event, buf, buf_size, &rc))   \
            return rc;                                                   \
    }
#endif
LY_ENTRY(server_poll,
         (ly_server *server, ly_event *event, uint8_t *buf, uint32_t buf_size),
         (server, event, buf, buf_size))
#undef LY_FAST
#define LY_FAST
#if defined(__linux__)
#undef LY_FAST
#define LY_FAST                                                                              \
    {                                                                                        \
        int rc;                                                                              \
        if (ly__tick_poll_batch(LY_BITS(server), events, max_events, buf, buf_size, &rc))    \
            return rc;                                                                       \
    }
#endif
LY_ENTRY(server_poll_batch,
         (ly_server *server, ly_event *events, uint32_t max_events, uint8_t *buf, uint32_t buf_size),
         (server, events, max_events, buf, buf_size))
#undef LY_FAST
#define LY_FAST
LY_ENTRY(server_stats, (ly_server *server, ly_stats *stats), (server, stats))
LY_ENTRY(server_client_stats,
         (ly_server *server, ly_client_id client, ly_stats *stats),
         (server, client, stats))
LY_ENTRY(server_add_steam,
         (ly_server *server, const ly_steam_server_config *config),
         (server, config))
LY_ENTRY(client_create,
         (const uint8_t *token, uint32_t token_size, const ly_client_config *config, ly_client **out),
         (token, token_size, config, out))
LY_ENTRY(client_create_manual,
         (const char *server_address, uint64_t client_id, uint64_t protocol_id, const uint8_t *private_key, uint32_t private_key_size, const ly_client_config *config, ly_client **out),
         (server_address, client_id, protocol_id, private_key, private_key_size, config, out))
LY_ENTRY(client_destroy, (ly_client *client), (client))
LY_ENTRY(client_connect, (ly_client *client), (client))
LY_ENTRY(client_set_token,
         (ly_client *client, const uint8_t *token, uint32_t token_size),
         (client, token, token_size))
LY_ENTRY(client_update, (ly_client *client, double dt_seconds), (client, dt_seconds))
LY_ENTRY(client_send, (ly_client *client, const uint8_t *data, uint32_t size), (client, data, size))
LY_ENTRY(client_receive,
         (ly_client *client, uint8_t *buf, uint32_t buf_size, uint32_t *needed),
         (client, buf, buf_size, needed))
LY_ENTRY(client_get_state, (ly_client *client, int *state), (client, state))
LY_ENTRY(client_disconnect_reason, (ly_client *client), (client))
LY_ENTRY(client_disconnect, (ly_client *client), (client))
LY_ENTRY(client_local_address,
         (ly_client *client, char *buf, uint32_t buf_size),
         (client, buf, buf_size))
LY_ENTRY(client_id_of, (ly_client *client, ly_client_id *id), (client, id))
LY_ENTRY(client_set_conditioner,
         (ly_client *client, const ly_conditioner_config *send, const ly_conditioner_config *recv),
         (client, send, recv))
LY_ENTRY(client_stats, (ly_client *client, ly_stats *stats), (client, stats))
LY_ENTRY(client_create_steam,
         (const ly_steam_client_config *config, ly_client **out),
         (config, out))
LY_ENTRY(server_connection_status,
         (ly_server *server, ly_client_id client, ly_connection_status *status),
         (server, client, status))
LY_ENTRY(client_connection_status, (ly_client *client, ly_connection_status *status), (client, status))
LY_ENTRY(token_generate,
         (const ly_token_params *params, uint8_t *out, uint32_t out_size),
         (params, out, out_size))
LY_ENTRY(token_read,
         (const uint8_t *token, uint32_t token_size, ly_token_info *info),
         (token, token_size, info))
LY_ENTRY(token_address,
         (const uint8_t *token, uint32_t token_size, uint32_t index, char *buf, uint32_t buf_size),
         (token, token_size, index, buf, buf_size))
LY_ENTRY(key_generate, (uint8_t *key), (key))
LY_ENTRY(token_fetch,
         (const ly_token_fetch_options *options, uint8_t *out, uint32_t out_size),
         (options, out, out_size))
LY_ENTRY(token_request_start,
         (const ly_token_fetch_options *options, ly_token_request **out),
         (options, out))
LY_ENTRY(token_request_poll,
         (ly_token_request *request, uint8_t *out, uint32_t out_size),
         (request, out, out_size))
LY_ENTRY(token_request_free, (ly_token_request *request), (request))
LY_ENTRY(server_set_web_options,
         (ly_server *server, const ly_web_options *options),
         (server, options))
LY_ENTRY(server_web_cert_hashes,
         (ly_server *server, uint8_t *hashes, uint32_t max_hashes, uint32_t *count),
         (server, hashes, max_hashes, count))
LY_ENTRY(server_web_rotate_cert, (ly_server *server), (server))
LY_ENTRY(server_web_stats, (ly_server *server, ly_web_stats *stats), (server, stats))
LY_ENTRY(server_fleet_register,
         (ly_server *server, const ly_fleet_config *config),
         (server, config))
LY_ENTRY(server_fleet_deregister, (ly_server *server), (server))
LY_ENTRY(server_fleet_status, (ly_server *server), (server))
LY_ENTRY(conditioner_preset_config_sized,
         (int preset, ly_conditioner_config *config, uint32_t size),
         (preset, config, size))
LY_ENTRY(steam_open, (const ly_steam_config *config), (config))
LY_ENTRY(steam_close, (void), ())
LY_ENTRY(shutdown, (void), ())
