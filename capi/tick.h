/* The tick in C (tick.c): what the Go half (tick.go) fills and reads back.
 * Not part of the ABI. */
#ifndef LY_CAPI_TICK_H
#define LY_CAPI_TICK_H

#include <stddef.h>
#include <stdint.h>
#include "lightyear_conn.h"
#include "capi_internal.h"

#define LY__TICK_MAX_SOCKS 8
#define LY__TICK_REPLAY 256     /* netcode.ReplayWindowSize */
#define LY__TICK_BATCH 64       /* datagrams per recvmmsg / sendmmsg */
#define LY__TICK_DATAGRAM 1500  /* transport.MaxDatagram: the receive buffer */

/* Who owns a published server's state. */
enum {
    LY__TICK_GO = 0,    /* Go: the entries take the Go path */
    LY__TICK_C = 1,     /* the entries run the tick here */
    LY__TICK_DIRTY = 2, /* handed back mid-update: Go imports, then reads the handoff */
};

/* One connected client's packet state (netcode.SteadyClient). */
typedef struct ly__tick_client {
    uint64_t id;
    uint32_t index; /* client index, for the keep-alive body */
    uint32_t sock;  /* index into fds */
    uint32_t is4;   /* ip holds an IPv4 address in its first 4 bytes */
    uint16_t port;
    uint8_t ip[16];
    uint8_t c2s[32], s2c[32];
    uint64_t sequence; /* the next one to send */
    uint64_t replay_recent;
    uint64_t replay[LY__TICK_REPLAY];
    int64_t last_send, last_recv, timeout; /* ns on the server clock; timeout 0: none */
    /* Counted here since the export. */
    uint64_t packets_sent, bytes_sent, packets_received, bytes_received;
} ly__tick_client;

/* A payload taken in C, waiting for the game's poll. */
typedef struct ly__tick_event {
    uint64_t client;
    uint32_t size, offset; /* in the payload arena */
} ly__tick_event;

/* A datagram read in C that only Go can handle. */
typedef struct ly__tick_handoff {
    const uint8_t *data;
    uint32_t size;
    uint32_t truncated;
    const uint8_t *name; /* the sender's sockaddr as recvmmsg wrote it */
    uint32_t namelen;
} ly__tick_handoff;

/* A server's mirror. Go writes the configuration and clients while the
 * state is LY__TICK_GO, and reads everything back before setting it to
 * LY__TICK_GO again, all under the mirror's lock (ly__tick_claim/lock and
 * ly__tick_unlock). */
typedef struct ly__tick_server {
    int state;
    /* Configuration, from Go. */
    uint64_t protocol_id;
    uint32_t netcode_kind;
    uint32_t max_clients; /* the keep-alive body's */
    uint32_t batch_sends;
    uint32_t max_reads; /* per socket per update */
    int64_t keep_alive; /* ns */
    int nfds;
    int fds[LY__TICK_MAX_SOCKS];
    /* The server clock, ns: Go's at the export, advanced here. */
    int64_t now;
    uint32_t nclients;
    ly__tick_client *clients;
    /* Counted on the sockets since the export. */
    uint64_t packets_sent, bytes_sent, packets_received, bytes_received;
    /* Payloads waiting for the game, oldest first at events[event_head]. */
    ly__tick_event *events;
    uint32_t event_cap, event_head, event_count;
    /* Their bytes, in a ring: [arena_head, arena_tail) in use, or, once
     * wrapped, [arena_head, end) and [0, arena_tail). */
    uint8_t *arena;
    uint32_t arena_size, arena_head, arena_tail;
    /* With LY__TICK_DIRTY: the datagrams of socket handoff_sock that Go
     * must handle, in order. */
    uint32_t handoff_sock, handoff_count;
    ly__tick_handoff handoff[LY__TICK_BATCH];
} ly__tick_server;

/* Go side. claim takes the handle's slot if it is free (NULL if another
 * handle holds it), makes room for nclients clients and event_cap
 * events, and locks; lock locks the handle's mirror if it has one. */
LY__HIDDEN ly__tick_server *ly__tick_claim(uint64_t h, uint32_t nclients, uint32_t event_cap);
LY__HIDDEN ly__tick_server *ly__tick_lock(uint64_t h);
LY__HIDDEN void ly__tick_unlock(ly__tick_server *m);
/* Locked, state GO, configuration and clients written: indexes the
 * clients, prepares the sockets and sets the state to C. 0 if it cannot
 * (a client this socket family cannot reach, a descriptor that is not a
 * socket): the state stays GO. */
LY__HIDDEN int ly__tick_publish(ly__tick_server *m);
/* Locked: writes what the entries queued and did not flush yet, before
 * Go takes the state back (their counters are part of it). */
LY__HIDDEN void ly__tick_flush_locked(ly__tick_server *m);
/* Frees the handle's mirror and slot: it is being destroyed. */
LY__HIDDEN void ly__tick_release(uint64_t h);
/* Testing: updates answered in C; whether another handle holds h's slot
 * (h then keeps the Go path). */
LY__HIDDEN uint64_t ly__tick_hits(void);
LY__HIDDEN int ly__tick_slot_taken(uint64_t h);

/* The entries (entry.c). Each returns 0 when the call must take the Go
 * path instead, having changed nothing. */
#define LY__TICK_CONTINUE 2
/* 1: done; LY__TICK_CONTINUE: done in part, Go must finish the update
 * with dt 0 (the clock has moved already). */
LY__HIDDEN int ly__tick_update(uint64_t h, double dt);
LY__HIDDEN int ly__tick_flush(uint64_t h);
LY__HIDDEN int ly__tick_send(uint64_t h, ly_client_id client, const uint8_t *data, uint32_t size);
LY__HIDDEN int ly__tick_broadcast(uint64_t h, const uint8_t *data, uint32_t size);
LY__HIDDEN int ly__tick_num_connected(uint64_t h, int *n);
LY__HIDDEN int ly__tick_running(uint64_t h);
LY__HIDDEN int ly__tick_poll(uint64_t h, ly_event *event, uint8_t *buf, uint32_t buf_size, int *rc);
LY__HIDDEN int ly__tick_poll_batch(uint64_t h, ly_event *events, uint32_t max_events, uint8_t *buf, uint32_t buf_size, int *rc);

#endif
