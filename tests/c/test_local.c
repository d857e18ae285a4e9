/*
 * test_local.c - local (host-server) clients, one server serving several
 * backends at once, exact traffic counters and the link conditioner, all
 * through the C ABI.
 *
 *  1. A server with no bind address (no socket) and local clients: the
 *     connect, payloads both ways, both disconnects, reconnecting, the
 *     calls a local client refuses, misuse and the limit of 16.
 *  2. One server, three clients at once: netcode over IPv4, netcode over
 *     IPv6 and a local one whose number equals a netcode client's.
 *  3. Counters checked exactly in a scripted exchange with the clock
 *     stopped, for a netcode and a local client.
 *  4. Conditioner presets and validation (and the struct that grew with
 *     burst loss), then measured, seeded runs over UDP loopback (loss,
 *     delay, duplicates, reproducibility; Gilbert burst loss), and a
 *     client-side conditioner switched on and off.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"

#define CHECK_NEAR(got, want, tol) CHECK(fabs((double)(got) - (double)(want)) <= (tol))

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static ly_client_id make_id(uint64_t id, uint32_t kind)
{
    ly_client_id c;
    c.id = id;
    c.kind = kind;
    c.reserved = 0;
    return c;
}

/* A started server with no bind address: local clients only. */
static ly_server *local_server(void)
{
    ly_server_config cfg;
    ly_server *s = NULL;
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    CHECK_OK(ly_server_create(&cfg, &s));
    CHECK_OK(ly_server_start(s));
    return s;
}

/* A payload of n bytes whose content depends on n and tag. */
static void pattern(uint8_t *p, uint32_t n, uint8_t tag)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + n + tag * 31);
}

static int is_pattern(const uint8_t *p, uint32_t n, uint8_t tag)
{
    uint8_t want[LY_MAX_PAYLOAD_SIZE];
    pattern(want, n, tag);
    return memcmp(p, want, n) == 0;
}

/* Takes the next server event, which must be there after an update that
 * lets no time pass (local clients need no more). */
static void expect_event(ly_server *s, uint32_t type, uint32_t reason, uint64_t id, uint32_t kind)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    if (ly_server_running(s) == 1)
        CHECK_OK(ly_server_update(s, 0.0));
    memset(&ev, 0xAB, sizeof ev);
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 1);
    CHECK_EQ(ev.type, type);
    CHECK_EQ(ev.reason, reason);
    CHECK_EQ(ev.client.id, id);
    CHECK_EQ(ev.client.kind, kind);
    CHECK_EQ(ev.client.reserved, 0);
    CHECK_EQ(ev.payload_size, 0);
}

static void expect_no_event(ly_server *s)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 0);
}

static void drain_events(ly_server *s)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int r;
    while ((r = ly_server_poll(s, &ev, buf, sizeof buf)) == 1)
        ;
    CHECK_EQ(r, 0);
}

static ly_stats stats_zeroed(void)
{
    ly_stats st;
    memset(&st, 0xAB, sizeof st);
    st.struct_size = sizeof st;
    return st;
}

static ly_stats client_stats(ly_client *c)
{
    ly_stats st = stats_zeroed();
    CHECK_OK(ly_client_stats(c, &st));
    CHECK_EQ(st.struct_size, sizeof st);
    return st;
}

static ly_stats server_stats(ly_server *s)
{
    ly_stats st = stats_zeroed();
    CHECK_OK(ly_server_stats(s, &st));
    CHECK_EQ(st.struct_size, sizeof st);
    return st;
}

static ly_stats server_client_stats(ly_server *s, ly_client_id id)
{
    ly_stats st = stats_zeroed();
    CHECK_OK(ly_server_client_stats(s, id, &st));
    CHECK_EQ(st.struct_size, sizeof st);
    return st;
}

/* The counters that changed between two snapshots, checked exactly; no
 * drop counter may change. */
static void check_delta(const ly_stats *a, const ly_stats *b, uint64_t psent, uint64_t bsent, uint64_t precv,
                        uint64_t brecv)
{
    CHECK_EQ(b->packets_sent - a->packets_sent, psent);
    CHECK_EQ(b->bytes_sent - a->bytes_sent, bsent);
    CHECK_EQ(b->packets_received - a->packets_received, precv);
    CHECK_EQ(b->bytes_received - a->bytes_received, brecv);
    CHECK_EQ(b->dropped_malformed, a->dropped_malformed);
    CHECK_EQ(b->dropped_replayed, a->dropped_replayed);
    CHECK_EQ(b->dropped_decrypt_failed, a->dropped_decrypt_failed);
    CHECK_EQ(b->dropped_unknown_address, a->dropped_unknown_address);
    CHECK_EQ(b->dropped_queue_full, a->dropped_queue_full);
    CHECK_EQ(b->dropped_rejected, a->dropped_rejected);
}

/* ------------------------------------------------------------------ */
/* 1. Local clients                                                    */

static void test_local_exchange(void)
{
    static const uint32_t sizes[3] = {1, 100, LY_MAX_PAYLOAD_SIZE};
    ly_server *s = local_server();
    ly_client *c = NULL;
    ly_client_id id, ids[4], me = make_id(1, LY_KIND_LOCAL);
    ly_event ev, evs[8];
    uint8_t out[LY_MAX_PAYLOAD_SIZE], in[3 * LY_MAX_PAYLOAD_SIZE], ud[LY_USER_DATA_SIZE];
    char buf[LY_ADDRESS_STRING_SIZE];
    uint32_t needed = 0;
    int i, r;

    /* No netcode backend: no address to report. */
    CHECK_EQ(ly_server_address(s, 0, buf, sizeof buf), LY_ERR_INVALID_ARGUMENT);

    c = NULL;
    CHECK_OK(ly_server_connect_local(s, 1, &c));
    CHECK(c != NULL);
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_NONE);
    memset(&id, 0xAB, sizeof id);
    CHECK_OK(ly_client_id_of(c, &id));
    CHECK_EQ(id.id, 1);
    CHECK_EQ(id.kind, LY_KIND_LOCAL);
    CHECK_EQ(id.reserved, 0);
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 1, LY_KIND_LOCAL);
    expect_no_event(s);
    CHECK_EQ(ly_server_num_connected(s), 1);
    memset(ids, 0xAB, sizeof ids);
    CHECK_EQ(ly_server_connected_ids(s, ids, 4), 1);
    CHECK(ids[0].id == 1 && ids[0].kind == LY_KIND_LOCAL && ids[0].reserved == 0);

    /* The client's update works (there is nothing to do). */
    CHECK_OK(ly_client_update(c, TEST_DT));
    CHECK_OK(ly_client_update(c, 0.0));
    CHECK_EQ(ly_client_update(c, -1.0), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_update(c, NAN), LY_ERR_INVALID_ARGUMENT);
    CHECK_OK(ly_server_update(s, TEST_DT));

    /* No socket, so no address on either side. A local client has no
     * "ip:port": the header lists LY_ERR_UNKNOWN_CLIENT and
     * LY_ERR_INVALID_ARGUMENT; an empty string would do as well. */
    CHECK_EQ(ly_client_local_address(c, buf, sizeof buf), 0);
    r = ly_server_client_address(s, me, buf, sizeof buf);
    CHECK(r == LY_ERR_UNKNOWN_CLIENT || r == LY_ERR_INVALID_ARGUMENT || (r == 0 && buf[0] == '\0'));
    printf("ly_server_client_address(local client) = %d (%s)\n", r, r < 0 ? ly_error_string(r) : "\"\"");
    /* No token, so no user data: zeros if anything. */
    memset(ud, 0xEE, sizeof ud);
    r = ly_server_client_user_data(s, me, ud);
    CHECK(r == LY_OK || r == LY_ERR_UNKNOWN_CLIENT);
    if (r == LY_OK)
        for (i = 0; i < LY_USER_DATA_SIZE; i++)
            CHECK_EQ(ud[i], 0);

    /* Up, taken with one batch poll: 1, 100 and 1200 bytes. */
    for (i = 0; i < 3; i++) {
        pattern(out, sizes[i], 1);
        CHECK_OK(ly_client_send(c, out, sizes[i]));
    }
    pump_once(s, &c, 1, TEST_DT);
    memset(evs, 0xAB, sizeof evs);
    CHECK_EQ(ly_server_poll_batch(s, evs, 8, in, sizeof in), 3);
    {
        uint32_t off = 0;
        for (i = 0; i < 3; i++) {
            CHECK_EQ(evs[i].type, LY_EVENT_PAYLOAD);
            CHECK_EQ(evs[i].client.id, 1);
            CHECK_EQ(evs[i].client.kind, LY_KIND_LOCAL);
            CHECK_EQ(evs[i].payload_size, sizes[i]);
            CHECK_EQ(evs[i].payload_offset, off);
            CHECK(is_pattern(in + off, sizes[i], 1));
            off += sizes[i];
        }
    }
    expect_no_event(s);

    /* Up again, one poll each, with a short buffer first. */
    for (i = 0; i < 3; i++) {
        pattern(out, sizes[i], 2);
        CHECK_OK(ly_client_send(c, out, sizes[i]));
    }
    pump_once(s, &c, 1, TEST_DT);
    for (i = 0; i < 3; i++) {
        memset(&ev, 0, sizeof ev);
        memset(in, 0, sizeof in);
        if (sizes[i] > 1) {
            CHECK_EQ(ly_server_poll(s, &ev, in, sizes[i] - 1), LY_ERR_BUFFER_TOO_SMALL);
            CHECK_EQ(ev.payload_size, sizes[i]);
        }
        CHECK_EQ(ly_server_poll(s, &ev, in, sizes[i]), 1);
        CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
        CHECK_EQ(ev.client.id, 1);
        CHECK_EQ(ev.client.kind, LY_KIND_LOCAL);
        CHECK_EQ(ev.payload_size, sizes[i]);
        CHECK(is_pattern(in, sizes[i], 2));
    }
    expect_no_event(s);

    /* Down. */
    for (i = 0; i < 3; i++) {
        pattern(out, sizes[i], 3);
        CHECK_OK(ly_server_send(s, me, out, sizes[i]));
    }
    pump_once(s, &c, 1, TEST_DT);
    for (i = 0; i < 3; i++) {
        memset(in, 0, sizeof in);
        if (sizes[i] > 1) {
            needed = 0;
            CHECK_EQ(ly_client_receive(c, in, sizes[i] - 1, &needed), LY_ERR_BUFFER_TOO_SMALL);
            CHECK_EQ(needed, sizes[i]);
        }
        CHECK_EQ(ly_client_receive(c, in, sizeof in, NULL), (int)sizes[i]);
        CHECK(is_pattern(in, sizes[i], 3));
    }
    CHECK_EQ(ly_client_receive(c, in, sizeof in, NULL), 0);
    /* Broadcast reaches it too. */
    pattern(out, 33, 4);
    CHECK_OK(ly_server_broadcast(s, out, 33));
    pump_once(s, &c, 1, 0.0);
    CHECK_EQ(ly_client_receive(c, in, sizeof in, NULL), 33);
    CHECK(is_pattern(in, 33, 4));

    /* Sizes are checked as for netcode. */
    CHECK_EQ(ly_client_send(c, out, 0), LY_ERR_PAYLOAD_SIZE);
    CHECK_EQ(ly_client_send(c, out, LY_MAX_PAYLOAD_SIZE + 1), LY_ERR_PAYLOAD_SIZE);
    CHECK_EQ(ly_client_send(c, NULL, 10), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_send(s, me, out, 0), LY_ERR_PAYLOAD_SIZE);
    CHECK_EQ(ly_server_send(s, me, out, LY_MAX_PAYLOAD_SIZE + 1), LY_ERR_PAYLOAD_SIZE);
    /* Netcode 1 is another client, and this server has no netcode. */
    CHECK_EQ(ly_server_send(s, make_id(1, LY_KIND_NETCODE), out, 10), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_send(s, make_id(2, LY_KIND_LOCAL), out, 10), LY_ERR_UNKNOWN_CLIENT);
    expect_no_event(s);

    /* What a local client has no use for. */
    {
        static uint8_t tok[LY_CONNECT_TOKEN_SIZE];
        ly_conditioner_config cc;
        CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_GOOD, &cc));
        CHECK_EQ(ly_client_set_token(c, tok, sizeof tok), LY_ERR_INVALID_ARGUMENT);
        CHECK_EQ(ly_client_set_conditioner(c, &cc, NULL), LY_ERR_INVALID_ARGUMENT);
        CHECK_EQ(ly_client_set_conditioner(c, NULL, &cc), LY_ERR_INVALID_ARGUMENT);
        CHECK_EQ(ly_client_set_conditioner(c, &cc, &cc), LY_ERR_INVALID_ARGUMENT);
        CHECK_EQ(ly_client_set_conditioner(c, NULL, NULL), LY_ERR_INVALID_ARGUMENT);
        CHECK(ly_last_error()[0] != '\0');
        /* ...and it still works afterwards. */
        CHECK_EQ(client_state(c), LY_STATE_CONNECTED);
    }
    /* Already connected. */
    CHECK_EQ(ly_client_connect(c), LY_ERR_ALREADY_ACTIVE);

    /* Disconnect from the client's side. */
    CHECK_OK(ly_client_disconnect(c));
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_LOCAL);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_EQ(ly_server_connected_ids(s, ids, 4), 0);
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, 1, LY_KIND_LOCAL);
    expect_no_event(s);
    CHECK_EQ(ly_client_send(c, out, 10), LY_ERR_NOT_CONNECTED);
    CHECK_EQ(ly_server_send(s, me, out, 10), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_disconnect(s, me), LY_ERR_UNKNOWN_CLIENT);
    CHECK_OK(ly_client_disconnect(c)); /* a no-op now */
    expect_no_event(s);

    /* Reconnect: a fresh connection, nothing left over. */
    CHECK_OK(ly_client_connect(c));
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_NONE);
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 1, LY_KIND_LOCAL);
    CHECK_EQ(ly_server_num_connected(s), 1);
    pattern(out, 5, 5);
    CHECK_OK(ly_client_send(c, out, 5));
    pump_once(s, &c, 1, 0.0);
    CHECK_EQ(ly_server_poll(s, &ev, in, sizeof in), 1);
    CHECK(ev.type == LY_EVENT_PAYLOAD && ev.payload_size == 5 && is_pattern(in, 5, 5));

    /* Disconnect from the server's side. */
    CHECK_OK(ly_server_disconnect(s, me));
    pump_once(s, &c, 1, 0.0);
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_REMOTE);
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_LOCAL, 1, LY_KIND_LOCAL);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_EQ(ly_client_send(c, out, 10), LY_ERR_NOT_CONNECTED);

    /* Reconnect again, then destroying the client tells the server. */
    CHECK_OK(ly_client_connect(c));
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 1, LY_KIND_LOCAL);
    CHECK_OK(ly_client_destroy(c));
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, 1, LY_KIND_LOCAL);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_EQ(ly_client_get_state(c, &r), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_destroy(c), LY_ERR_INVALID_HANDLE);

    /* The id is free again. */
    CHECK_OK(ly_server_connect_local(s, 1, &c));
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 1, LY_KIND_LOCAL);

    /* Stopping the server ends it with LY_REASON_SERVER_STOPPED. */
    CHECK_OK(ly_server_stop(s));
    CHECK_OK(ly_client_update(c, 0.0));
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_SERVER_STOPPED, 1, LY_KIND_LOCAL);
    /* Reconnecting while it is stopped waits for the start. */
    CHECK_OK(ly_client_connect(c));
    CHECK_EQ(client_state(c), LY_STATE_SENDING_CONNECTION_REQUEST);
    CHECK_EQ(ly_client_connect(c), LY_ERR_ALREADY_ACTIVE);
    expect_no_event(s);
    CHECK_OK(ly_server_start(s));
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 1, LY_KIND_LOCAL);

    /* Destroying the server leaves the client handle usable (and
     * disconnected) until it is destroyed. */
    CHECK_OK(ly_server_destroy(s));
    CHECK_OK(ly_client_update(c, 0.0));
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_send(c, out, 10), LY_ERR_NOT_CONNECTED);
    CHECK_EQ(ly_client_receive(c, in, sizeof in, NULL), 0);
    CHECK(ly_client_connect(c) < 0);
    CHECK_OK(ly_client_destroy(c));
}

/* A local client made before the server starts waits, connecting, and
 * connects when the server starts, netcode backend and all (as lightyear's
 * host client does); one that gives up first does not. */
static void test_connect_before_start(void)
{
    ly_server_config cfg;
    ly_server *s = NULL;
    ly_client *host = NULL, *quitter = NULL;
    ly_client_id id;
    uint8_t in[16];

    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = "127.0.0.1:0";
    CHECK_OK(ly_server_create(&cfg, &s));
    CHECK_OK(ly_server_connect_local(s, 7, &host));
    CHECK_OK(ly_server_connect_local(s, 8, &quitter));
    CHECK_OK(ly_client_update(host, 0.01));
    CHECK_EQ(client_state(host), LY_STATE_SENDING_CONNECTION_REQUEST);
    CHECK_EQ(ly_client_disconnect_reason(host), LY_REASON_NONE);
    CHECK_EQ(ly_client_send(host, (const uint8_t *)"x", 1), LY_ERR_NOT_CONNECTED);
    CHECK_EQ(ly_client_connect(host), LY_ERR_ALREADY_ACTIVE);
    CHECK_OK(ly_client_id_of(host, &id));
    CHECK_EQ(id.id, 7);
    CHECK_EQ(id.kind, LY_KIND_LOCAL);
    CHECK_OK(ly_client_disconnect(quitter));
    CHECK_EQ(client_state(quitter), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(quitter), LY_REASON_LOCAL);
    CHECK_EQ(ly_server_num_connected(s), 0);

    CHECK_OK(ly_server_start(s));
    CHECK_EQ(client_state(host), LY_STATE_CONNECTED);
    CHECK_EQ(client_state(quitter), LY_STATE_DISCONNECTED);
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 7, LY_KIND_LOCAL);
    expect_no_event(s);
    CHECK_EQ(ly_server_num_connected(s), 1);

    /* And it talks. */
    CHECK_OK(ly_server_send(s, make_id(7, LY_KIND_LOCAL), (const uint8_t *)"hello", 5));
    CHECK_EQ(ly_client_receive(host, in, sizeof in, NULL), 5);
    CHECK(memcmp(in, "hello", 5) == 0);

    CHECK_OK(ly_client_destroy(quitter));
    CHECK_OK(ly_client_destroy(host));
    CHECK_OK(ly_server_destroy(s));
    printf("connect before start: waited, then connected at ly_server_start\n");
}

static void test_local_misuse(void)
{
    ly_server_config cfg;
    ly_server *s, *stopped = NULL, *dead;
    ly_client *c = NULL, *c2, *cs[17];
    ly_client_id ids[20];
    int i;

    s = local_server();

    /* NULL out. */
    CHECK_EQ(ly_server_connect_local(s, 1, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK(ly_last_error()[0] != '\0');
    expect_no_event(s);
    CHECK_EQ(ly_server_num_connected(s), 0);

    /* A server that is not started. */
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    CHECK_OK(ly_server_create(&cfg, &stopped));
    /* (Connecting before the start waits for it: test_connect_before_start.)
     * A server destroyed while its client waits ends the wait. */
    c = NULL;
    CHECK_OK(ly_server_connect_local(stopped, 1, &c));
    CHECK_EQ(client_state(c), LY_STATE_SENDING_CONNECTION_REQUEST);
    CHECK_EQ(ly_server_connect_local(stopped, 1, &c2), LY_ERR_INVALID_ARGUMENT); /* id 1 waits */
    expect_no_event(stopped);
    CHECK_OK(ly_server_destroy(stopped));
    CHECK_OK(ly_client_update(c, 0.0));
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_SERVER_STOPPED);
    CHECK_EQ(ly_client_connect(c), LY_ERR_NOT_RUNNING); /* no server to wait for */
    CHECK_OK(ly_client_destroy(c));

    /* Bad handles: NULL, made up, destroyed. */
    CHECK_EQ(ly_server_connect_local(NULL, 1, &c), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_connect_local((ly_server *)0x1234, 1, &c), LY_ERR_INVALID_HANDLE);
    dead = local_server();
    CHECK_OK(ly_server_destroy(dead));
    CHECK_EQ(ly_server_connect_local(dead, 1, &c), LY_ERR_INVALID_HANDLE);

    /* A duplicate id while the first is connected; free again after. */
    CHECK_OK(ly_server_connect_local(s, 7, &c));
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 7, LY_KIND_LOCAL);
    CHECK_EQ(ly_server_connect_local(s, 7, &c2), LY_ERR_INVALID_ARGUMENT);
    CHECK(ly_last_error()[0] != '\0');
    expect_no_event(s);
    CHECK_EQ(ly_server_num_connected(s), 1);
    CHECK_OK(ly_client_disconnect(c));
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, 7, LY_KIND_LOCAL);
    CHECK_OK(ly_server_connect_local(s, 7, &c2));
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 7, LY_KIND_LOCAL);
    /* The first handle cannot take the id back while c2 holds it. */
    CHECK_EQ(ly_client_connect(c), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_OK(ly_client_destroy(c)); /* disconnected: tells nobody */
    expect_no_event(s);
    CHECK_OK(ly_client_destroy(c2));
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, 7, LY_KIND_LOCAL);

    /* 16 local clients at most; the 17th is denied. Id 0 is an id. */
    for (i = 0; i < 16; i++) {
        cs[i] = NULL;
        CHECK_OK(ly_server_connect_local(s, (uint64_t)i, &cs[i]));
        CHECK_EQ(client_state(cs[i]), LY_STATE_CONNECTED);
        expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, (uint64_t)i, LY_KIND_LOCAL);
    }
    cs[16] = NULL;
    CHECK_OK(ly_server_connect_local(s, 16, &cs[16]));
    CHECK(cs[16] != NULL);
    CHECK_EQ(client_state(cs[16]), LY_STATE_CONNECTION_DENIED);
    CHECK_EQ(ly_client_disconnect_reason(cs[16]), LY_REASON_DENIED);
    CHECK_EQ(ly_client_send(cs[16], (const uint8_t *)"x", 1), LY_ERR_NOT_CONNECTED);
    expect_no_event(s);
    CHECK_EQ(ly_server_num_connected(s), 16);
    CHECK_EQ(ly_server_connected_ids(s, ids, 20), 16);
    for (i = 0; i < 16; i++)
        CHECK(ids[i].kind == LY_KIND_LOCAL && ids[i].id < 16);
    /* Once one leaves, the denied one can connect. */
    CHECK_OK(ly_client_disconnect(cs[3]));
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, 3, LY_KIND_LOCAL);
    CHECK_OK(ly_client_connect(cs[16]));
    CHECK_EQ(client_state(cs[16]), LY_STATE_CONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(cs[16]), LY_REASON_NONE);
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 16, LY_KIND_LOCAL);
    CHECK_EQ(ly_client_connect(cs[3]), LY_OK);
    CHECK_EQ(client_state(cs[3]), LY_STATE_CONNECTION_DENIED);
    expect_no_event(s);

    /* disconnect_all ends every one with LY_REASON_LOCAL. */
    CHECK_OK(ly_server_disconnect_all(s));
    CHECK_OK(ly_server_update(s, 0.0));
    CHECK_EQ(ly_server_num_connected(s), 0);
    for (i = 0; i < 16; i++) {
        ly_event ev;
        CHECK_EQ(ly_server_poll(s, &ev, NULL, 0), 1);
        CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
        CHECK_EQ(ev.reason, LY_REASON_LOCAL);
        CHECK_EQ(ev.client.kind, LY_KIND_LOCAL);
    }
    expect_no_event(s);
    for (i = 0; i < 17; i++) {
        CHECK_OK(ly_client_update(cs[i], 0.0));
        if (i != 3) {
            CHECK_EQ(client_state(cs[i]), LY_STATE_DISCONNECTED);
            CHECK_EQ(ly_client_disconnect_reason(cs[i]), LY_REASON_REMOTE);
        }
        CHECK_OK(ly_client_destroy(cs[i]));
    }
    expect_no_event(s);
    CHECK_OK(ly_server_destroy(s));
}

/* ------------------------------------------------------------------ */
/* 2. Three clients of two backends on one server                      */

/* Pumps until c has received a payload, and checks that it is "tag". */
static void receive_tag(ly_server *s, ly_client **cs, int n, ly_client *c, const char *tag)
{
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int len = wait_receive(s, cs, n, c, buf, sizeof buf);
    CHECK_EQ(len, (int)strlen(tag));
    CHECK(memcmp(buf, tag, (size_t)len) == 0);
}

static void expect_nothing_received(ly_client *c)
{
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    CHECK_EQ(ly_client_receive(c, buf, sizeof buf, NULL), 0);
}

static const char *port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    CHECK(colon != NULL);
    return colon;
}

static void test_three_clients(void)
{
    ly_server *s;
    ly_client *n1, *n2, *l1 = NULL, *cs[2];
    ly_client_id ids[8], want[3];
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    char a4[LY_ADDRESS_STRING_SIZE], a6[LY_ADDRESS_STRING_SIZE], ca[LY_ADDRESS_STRING_SIZE],
        la[LY_ADDRESS_STRING_SIZE];
    int i, j, len, seen[3] = {0, 0, 0}, payloads;

    /* max_clients 2 bounds netcode clients only. */
    s = server_start("127.0.0.1:0 [::1]:0", 2, a4);
    CHECK(ly_server_address(s, 1, a6, sizeof a6) > 0);
    CHECK_EQ(ly_server_address(s, 2, ca, sizeof ca), LY_ERR_INVALID_ARGUMENT);
    CHECK(strncmp(a4, "127.0.0.1:", 10) == 0);
    CHECK(strncmp(a6, "[::1]:", 6) == 0);

    n1 = client_manual(a4, 1);
    n2 = client_manual(a6, 2);
    cs[0] = n1;
    cs[1] = n2;
    CHECK_OK(ly_client_connect(n1));
    CHECK_OK(ly_client_connect(n2));
    pump_connected(s, cs, 2);
    CHECK_OK(ly_server_connect_local(s, 1, &l1));
    CHECK_EQ(client_state(l1), LY_STATE_CONNECTED);
    CHECK_EQ(ly_server_num_connected(s), 3);

    /* Three connected events, one per client, in any order. */
    want[0] = make_id(1, LY_KIND_NETCODE);
    want[1] = make_id(2, LY_KIND_NETCODE);
    want[2] = make_id(1, LY_KIND_LOCAL);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 1);
        CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
        for (j = 0; j < 3; j++)
            if (ev.client.id == want[j].id && ev.client.kind == want[j].kind)
                seen[j]++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    expect_no_event(s);

    /* Three distinct ids, though netcode 1 and local 1 share a number. */
    memset(ids, 0xAB, sizeof ids);
    CHECK_EQ(ly_server_connected_ids(s, NULL, 0), 3);
    CHECK_EQ(ly_server_connected_ids(s, ids, 8), 3);
    memset(seen, 0, sizeof seen);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(ids[i].reserved, 0);
        for (j = 0; j < 3; j++)
            if (ids[i].id == want[j].id && ids[i].kind == want[j].kind)
                seen[j]++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    /* A short array still reports how many there are. */
    CHECK_EQ(ly_server_connected_ids(s, ids, 1), 3);

    /* Addresses: netcode 1 came over IPv4, netcode 2 over IPv6, and the
     * ports are the clients' own. */
    len = ly_server_client_address(s, want[0], ca, sizeof ca);
    CHECK(len > 0 && len == (int)strlen(ca));
    CHECK(strncmp(ca, "127.0.0.1:", 10) == 0);
    CHECK(ly_client_local_address(n1, la, sizeof la) > 0);
    CHECK(strcmp(port_of(ca), port_of(la)) == 0);
    len = ly_server_client_address(s, want[1], ca, sizeof ca);
    CHECK(len > 0 && len == (int)strlen(ca));
    CHECK(strncmp(ca, "[::1]:", 6) == 0);
    CHECK(ly_client_local_address(n2, la, sizeof la) > 0);
    CHECK(strcmp(port_of(ca), port_of(la)) == 0);

    /* Each send reaches its client only. */
    CHECK_OK(ly_server_send(s, want[0], (const uint8_t *)"to netcode 1", 12));
    receive_tag(s, cs, 2, n1, "to netcode 1");
    for (i = 0; i < 10; i++)
        pump_once(s, cs, 2, 0.0);
    expect_nothing_received(n1);
    expect_nothing_received(n2);
    expect_nothing_received(l1);

    CHECK_OK(ly_server_send(s, want[2], (const uint8_t *)"to local 1", 10));
    for (i = 0; i < 10; i++)
        pump_once(s, cs, 2, 0.0);
    CHECK_EQ(ly_client_receive(l1, buf, sizeof buf, NULL), 10);
    CHECK(memcmp(buf, "to local 1", 10) == 0);
    expect_nothing_received(n1);
    expect_nothing_received(n2);
    expect_nothing_received(l1);

    CHECK_OK(ly_server_send(s, want[1], (const uint8_t *)"to netcode 2", 12));
    receive_tag(s, cs, 2, n2, "to netcode 2");
    for (i = 0; i < 10; i++)
        pump_once(s, cs, 2, 0.0);
    expect_nothing_received(n1);
    expect_nothing_received(n2);
    expect_nothing_received(l1);

    /* Ids nobody has. */
    CHECK_EQ(ly_server_send(s, make_id(1, LY_KIND_STEAM), (const uint8_t *)"x", 1), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_send(s, make_id(3, LY_KIND_NETCODE), (const uint8_t *)"x", 1), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_send(s, make_id(2, LY_KIND_LOCAL), (const uint8_t *)"x", 1), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_client_address(s, make_id(1, LY_KIND_STEAM), ca, sizeof ca), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_disconnect(s, make_id(1, LY_KIND_STEAM)), LY_ERR_UNKNOWN_CLIENT);
    {
        /* A kind that is no ly_kind at all. */
        int r = ly_server_send(s, make_id(1, 99), (const uint8_t *)"x", 1);
        CHECK(r == LY_ERR_UNKNOWN_CLIENT || r == LY_ERR_INVALID_ARGUMENT);
        r = ly_server_send(s, make_id(1, 0), (const uint8_t *)"x", 1);
        CHECK(r == LY_ERR_UNKNOWN_CLIENT || r == LY_ERR_INVALID_ARGUMENT);
    }

    /* Payload events carry the sender's kind and id. */
    CHECK_OK(ly_client_send(n1, (const uint8_t *)"from n1", 7));
    CHECK_OK(ly_client_send(n2, (const uint8_t *)"from n2", 7));
    CHECK_OK(ly_client_send(l1, (const uint8_t *)"from l1", 7));
    memset(seen, 0, sizeof seen);
    for (payloads = 0; payloads < 3;) {
        wait_event(s, cs, 2, &ev, buf, sizeof buf);
        CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
        CHECK_EQ(ev.payload_size, 7);
        CHECK_EQ(ev.client.reserved, 0);
        if (memcmp(buf, "from n1", 7) == 0) {
            CHECK(ev.client.id == 1 && ev.client.kind == LY_KIND_NETCODE);
            seen[0]++;
        } else if (memcmp(buf, "from n2", 7) == 0) {
            CHECK(ev.client.id == 2 && ev.client.kind == LY_KIND_NETCODE);
            seen[1]++;
        } else {
            CHECK(memcmp(buf, "from l1", 7) == 0);
            CHECK(ev.client.id == 1 && ev.client.kind == LY_KIND_LOCAL);
            seen[2]++;
        }
        payloads++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);

    /* Broadcast reaches all three, once each. */
    CHECK_OK(ly_server_broadcast(s, (const uint8_t *)"everyone", 8));
    receive_tag(s, cs, 2, n1, "everyone");
    receive_tag(s, cs, 2, n2, "everyone");
    CHECK_EQ(ly_client_receive(l1, buf, sizeof buf, NULL), 8);
    CHECK(memcmp(buf, "everyone", 8) == 0);
    for (i = 0; i < 10; i++)
        pump_once(s, cs, 2, 0.0);
    expect_nothing_received(n1);
    expect_nothing_received(n2);
    expect_nothing_received(l1);
    expect_no_event(s);

    /* Disconnecting local 1 leaves netcode 1 alone. */
    CHECK_OK(ly_server_disconnect(s, want[2]));
    pump_once(s, cs, 2, 0.0);
    expect_event(s, LY_EVENT_DISCONNECTED, LY_REASON_LOCAL, 1, LY_KIND_LOCAL);
    CHECK_EQ(ly_server_num_connected(s), 2);
    CHECK_EQ(client_state(n1), LY_STATE_CONNECTED);
    CHECK_OK(ly_server_send(s, want[0], (const uint8_t *)"still here", 10));
    receive_tag(s, cs, 2, n1, "still here");
    CHECK_OK(ly_client_connect(l1));
    expect_event(s, LY_EVENT_CONNECTED, LY_REASON_NONE, 1, LY_KIND_LOCAL);

    /* disconnect_all ends all three. */
    CHECK_OK(ly_server_disconnect_all(s));
    pump_once(s, cs, 2, 0.0);
    CHECK_EQ(ly_server_num_connected(s), 0);
    memset(seen, 0, sizeof seen);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 1);
        CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
        CHECK_EQ(ev.reason, LY_REASON_LOCAL);
        for (j = 0; j < 3; j++)
            if (ev.client.id == want[j].id && ev.client.kind == want[j].kind)
                seen[j]++;
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    expect_no_event(s);
    CHECK_OK(ly_client_update(l1, 0.0));
    CHECK_EQ(client_state(l1), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(l1), LY_REASON_REMOTE);
    for (i = 0; i < TEST_MAX_STEPS; i++) {
        if (client_state(n1) <= LY_STATE_DISCONNECTED && client_state(n2) <= LY_STATE_DISCONNECTED)
            break;
        pump_once(s, cs, 2, TEST_DT);
    }
    CHECK_EQ(client_state(n1), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(n1), LY_REASON_REMOTE);
    CHECK_EQ(client_state(n2), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(n2), LY_REASON_REMOTE);

    CHECK_OK(ly_client_destroy(l1));
    CHECK_OK(ly_client_destroy(n1));
    CHECK_OK(ly_client_destroy(n2));
    CHECK_OK(ly_server_destroy(s));
}

/* ------------------------------------------------------------------ */
/* 3. Exact counters                                                   */

/* Bytes a netcode payload packet takes on the wire while sequences are
 * below 256: 1 prefix byte, 1 sequence byte, the payload, a 16-byte MAC. */
#define WIRE(n) ((uint64_t)(n) + 18)

static void test_stats_exact(void)
{
    ly_server *s;
    ly_client *c, *l = NULL;
    ly_client_id nid = make_id(1, LY_KIND_NETCODE), lid = make_id(1, LY_KIND_LOCAL);
    ly_stats c0, c1, l0, l1, s0, s1, sc0, sc1, sl0, sl1, st;
    uint8_t out[LY_MAX_PAYLOAD_SIZE], in[LY_MAX_PAYLOAD_SIZE];
    char addr[LY_ADDRESS_STRING_SIZE];
    int i, n;

    memset(out, 0x5a, sizeof out); /* the payloads' bytes (valgrind: no uninitialised sends) */
    s = server_start("127.0.0.1:0", 0, addr);
    c = client_manual(addr, 1);

    /* An idle client has counted nothing. */
    st = client_stats(c);
    CHECK(st.packets_sent == 0 && st.packets_received == 0 && st.bytes_sent == 0 && st.bytes_received == 0);

    CHECK_OK(ly_client_connect(c));
    pump_connected(s, &c, 1);
    CHECK_OK(ly_server_connect_local(s, 1, &l));
    /* Let the handshake's last packets and the first keep-alives settle,
     * then stop the clock: with dt 0 nothing more is sent. */
    for (i = 0; i < 30; i++)
        pump_once(s, &c, 1, TEST_DT);
    for (i = 0; i < 10; i++) {
        pump_once(s, &c, 1, 0.0);
        nap_us(1000);
    }
    drain_events(s);
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);

    c0 = client_stats(c);
    l0 = client_stats(l);
    s0 = server_stats(s);
    sc0 = server_client_stats(s, nid);
    sl0 = server_client_stats(s, lid);
    /* The handshake was counted on both sides. */
    CHECK(c0.packets_sent > 0 && c0.packets_received > 0 && s0.packets_sent > 0 && s0.packets_received > 0);
    /* A stopped clock sends nothing. */
    for (i = 0; i < 5; i++) {
        pump_once(s, &c, 1, 0.0);
        nap_us(1000);
    }
    c1 = client_stats(c);
    s1 = server_stats(s);
    check_delta(&c0, &c1, 0, 0, 0, 0);
    check_delta(&s0, &s1, 0, 0, 0, 0);

    /* Up: 10, 20, 30 bytes from netcode 1; 5 and 7 from local 1. */
    for (n = 10; n <= 30; n += 10) {
        pattern(out, (uint32_t)n, 9);
        CHECK_OK(ly_client_send(c, out, (uint32_t)n));
    }
    CHECK_OK(ly_client_send(l, out, 5));
    CHECK_OK(ly_client_send(l, out, 7));
    nap_us(2000);
    CHECK_OK(ly_server_update(s, 0.0));
    /* Down: 100 and 200 bytes to netcode 1; 40 to local 1. */
    CHECK_OK(ly_server_send(s, nid, out, 100));
    CHECK_OK(ly_server_send(s, nid, out, 200));
    CHECK_OK(ly_server_send(s, lid, out, 40));
    nap_us(2000);
    CHECK_OK(ly_client_update(c, 0.0));
    CHECK_OK(ly_client_update(l, 0.0));
    for (i = 0; i < 3; i++) {
        pump_once(s, &c, 1, 0.0);
        nap_us(1000);
    }

    c1 = client_stats(c);
    l1 = client_stats(l);
    s1 = server_stats(s);
    sc1 = server_client_stats(s, nid);
    sl1 = server_client_stats(s, lid);

    /* Netcode: every packet is counted with its wire size. */
    check_delta(&c0, &c1, 3, WIRE(10) + WIRE(20) + WIRE(30), 2, WIRE(100) + WIRE(200));
    check_delta(&sc0, &sc1, 2, WIRE(100) + WIRE(200), 3, WIRE(10) + WIRE(20) + WIRE(30));
    /* Local: payloads, counted with their own size. */
    check_delta(&l0, &l1, 2, 5 + 7, 1, 40);
    check_delta(&sl0, &sl1, 1, 40, 2, 5 + 7);
    /* The server's total adds both backends up. */
    check_delta(&s0, &s1, 2 + 1, WIRE(100) + WIRE(200) + 40, 3 + 2, WIRE(10) + WIRE(20) + WIRE(30) + 5 + 7);

    /* What was counted really arrived. */
    for (i = 0; i < 5; i++) {
        ly_event ev;
        CHECK_EQ(ly_server_poll(s, &ev, in, sizeof in), 1);
        CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    }
    expect_no_event(s);
    CHECK_EQ(ly_client_receive(c, in, sizeof in, NULL), 100);
    CHECK_EQ(ly_client_receive(c, in, sizeof in, NULL), 200);
    CHECK_EQ(ly_client_receive(l, in, sizeof in, NULL), 40);

    /* seconds_since_last_receive: 0 right after a receive, then it grows
     * with the dt given to the server. */
    CHECK_NEAR(sc1.seconds_since_last_receive, 0.0, 1e-9);
    CHECK_NEAR(sl1.seconds_since_last_receive, 0.0, 1e-9);
    CHECK_OK(ly_server_update(s, 0.25));
    CHECK_NEAR(server_client_stats(s, nid).seconds_since_last_receive, 0.25, 1e-6);
    CHECK_NEAR(server_client_stats(s, lid).seconds_since_last_receive, 0.25, 1e-6);
    CHECK_OK(ly_server_update(s, 0.5));
    CHECK_NEAR(server_client_stats(s, nid).seconds_since_last_receive, 0.75, 1e-6);
    CHECK_NEAR(server_client_stats(s, lid).seconds_since_last_receive, 0.75, 1e-6);
    /* A packet from the client resets it. */
    CHECK_OK(ly_client_send(c, out, 1));
    CHECK_OK(ly_client_send(l, out, 1));
    nap_us(2000);
    CHECK_OK(ly_server_update(s, 0.0));
    CHECK_NEAR(server_client_stats(s, nid).seconds_since_last_receive, 0.0, 1e-9);
    CHECK_NEAR(server_client_stats(s, lid).seconds_since_last_receive, 0.0, 1e-9);

    /* Misuse. */
    st = stats_zeroed();
    st.struct_size = 0;
    CHECK_EQ(ly_client_stats(c, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_stats(l, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_stats(s, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_client_stats(s, nid, &st), LY_ERR_INVALID_ARGUMENT);
    st.struct_size = offsetof(ly_stats, dropped_oversized) - 1; /* older callers may stop there, not before */
    CHECK_EQ(ly_client_stats(c, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_stats(s, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_client_stats(s, nid, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_stats(c, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_stats(l, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_stats(s, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_client_stats(s, nid, NULL), LY_ERR_INVALID_ARGUMENT);
    st = stats_zeroed();
    CHECK_EQ(ly_server_client_stats(s, make_id(9, LY_KIND_NETCODE), &st), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_client_stats(s, make_id(9, LY_KIND_LOCAL), &st), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_server_client_stats(s, make_id(1, LY_KIND_STEAM), &st), LY_ERR_UNKNOWN_CLIENT);
    /* A client that left is unknown too. */
    CHECK_OK(ly_client_disconnect(l));
    CHECK_EQ(ly_server_client_stats(s, lid, &st), LY_ERR_UNKNOWN_CLIENT);
    /* ...while its own counters stay readable. */
    st = client_stats(l);
    CHECK_EQ(st.bytes_sent - l0.bytes_sent, 5 + 7 + 1);

    CHECK_OK(ly_client_destroy(l));
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* ------------------------------------------------------------------ */
/* 4. Conditioner                                                      */

static void check_preset(int preset, double latency, double jitter, double loss)
{
    ly_conditioner_config cc;
    memset(&cc, 0xAB, sizeof cc);
    CHECK_OK(ly_conditioner_preset_config(preset, &cc));
    CHECK_EQ(cc.struct_size, sizeof cc);
    CHECK_EQ(cc.reserved, 0);
    CHECK_NEAR(cc.latency_ms, latency, 1e-9);
    CHECK_NEAR(cc.jitter_ms, jitter, 1e-9);
    CHECK_NEAR(cc.loss, loss, 1e-12);
    CHECK(cc.duplicate == 0.0 && cc.reorder == 0.0 && cc.reorder_delay_ms == 0.0);
    CHECK_EQ(cc.seed, 0);
    CHECK_EQ(cc.burst_model, LY_BURST_NONE);
    CHECK_EQ(cc.reserved2, 0);
    CHECK(cc.burst_p == 0.0 && cc.burst_r == 0.0 && cc.burst_loss_good == 0.0 && cc.burst_loss_bad == 0.0);
}

/* The struct grew (burst loss): a program built against the first release
 * calls the exported ly_conditioner_preset_config with its smaller struct,
 * which must not be written past; this header's callers get every field. */
static void test_preset_sizes(void)
{
    const size_t v1 = offsetof(ly_conditioner_config, burst_model);
    union {
        ly_conditioner_config cfg;
        unsigned char bytes[sizeof(ly_conditioner_config) + 16];
    } u;
    size_t i;

    CHECK_EQ(v1, 64);
    memset(&u, 0xAB, sizeof u);
    CHECK_OK((ly_conditioner_preset_config)(LY_CONDITIONER_POOR, &u.cfg)); /* the symbol, not the macro */
    CHECK_EQ(u.cfg.struct_size, (uint32_t)v1);
    CHECK_NEAR(u.cfg.latency_ms, 200, 1e-9);
    CHECK_EQ(u.cfg.seed, 0);
    for (i = v1; i < sizeof u.bytes; i++)
        CHECK_EQ(u.bytes[i], 0xAB);

    memset(&u, 0xAB, sizeof u);
    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_POOR, &u.cfg)); /* the macro: this header's size */
    CHECK_EQ(u.cfg.struct_size, (uint32_t)sizeof(ly_conditioner_config));
    CHECK_EQ(u.cfg.burst_model, LY_BURST_NONE);
    CHECK(u.cfg.burst_loss_bad == 0.0);
    for (i = sizeof(ly_conditioner_config); i < sizeof u.bytes; i++)
        CHECK_EQ(u.bytes[i], 0xAB);

    memset(&u, 0xAB, sizeof u);
    CHECK_EQ(ly_conditioner_preset_config_sized(LY_CONDITIONER_GOOD, &u.cfg, (uint32_t)v1 - 1),
             LY_ERR_INVALID_ARGUMENT); /* below the first release: nothing written */
    CHECK_EQ(u.bytes[0], 0xAB);
    CHECK_EQ(ly_conditioner_preset_config_sized(LY_CONDITIONER_GOOD, NULL, (uint32_t)v1), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_conditioner_preset_config_sized(7, &u.cfg, (uint32_t)sizeof u.cfg), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(u.bytes[0], 0xAB);
    CHECK_OK(ly_conditioner_preset_config_sized(LY_CONDITIONER_GOOD, &u.cfg, (uint32_t)sizeof u.bytes));
    CHECK_EQ(u.cfg.struct_size, (uint32_t)sizeof(ly_conditioner_config)); /* larger than ours: ours */
    CHECK_EQ(u.bytes[sizeof(ly_conditioner_config)], 0xAB);
}

/* Every way to refuse cfg, in either direction, on a server and a client. */
static void check_refused(ly_server *s, ly_client *c, const ly_conditioner_config *bad)
{
    ly_conditioner_config good;
    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_GOOD, &good));
    CHECK_EQ(ly_server_set_conditioner(s, bad, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK(ly_last_error()[0] != '\0');
    CHECK_EQ(ly_server_set_conditioner(s, NULL, bad), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_set_conditioner(s, &good, bad), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_set_conditioner(s, bad, &good), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_set_conditioner(c, bad, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_set_conditioner(c, NULL, bad), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_set_conditioner(c, &good, bad), LY_ERR_INVALID_ARGUMENT);
}

static void test_conditioner_configs(void)
{
    ly_conditioner_config cc, base;
    ly_server *s, *loc;
    ly_client *c;
    char addr[LY_ADDRESS_STRING_SIZE];

    check_preset(LY_CONDITIONER_OFF, 0, 0, 0);
    check_preset(LY_CONDITIONER_GOOD, 40, 6, 0.002);
    check_preset(LY_CONDITIONER_AVERAGE, 100, 15, 0.02);
    check_preset(LY_CONDITIONER_POOR, 200, 30, 0.10);
    test_preset_sizes();
    CHECK_EQ(ly_conditioner_preset_config(4, &cc), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_conditioner_preset_config(-1, &cc), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_conditioner_preset_config(1000, &cc), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_conditioner_preset_config(LY_CONDITIONER_GOOD, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK(ly_last_error()[0] != '\0');

    s = server_start("127.0.0.1:0", 0, addr);
    c = client_manual(addr, 1);
    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_OFF, &base));

    cc = base, cc.loss = 1.5;
    check_refused(s, c, &cc);
    cc = base, cc.loss = -0.1;
    check_refused(s, c, &cc);
    cc = base, cc.loss = NAN;
    check_refused(s, c, &cc);
    cc = base, cc.duplicate = 1.01;
    check_refused(s, c, &cc);
    cc = base, cc.duplicate = NAN;
    check_refused(s, c, &cc);
    cc = base, cc.reorder = -1;
    check_refused(s, c, &cc);
    cc = base, cc.latency_ms = -1;
    check_refused(s, c, &cc);
    cc = base, cc.latency_ms = NAN;
    check_refused(s, c, &cc);
    cc = base, cc.latency_ms = INFINITY;
    check_refused(s, c, &cc);
    cc = base, cc.latency_ms = 1e15; /* "huge": about 30 years */
    check_refused(s, c, &cc);
    cc = base, cc.jitter_ms = -5;
    check_refused(s, c, &cc);
    cc = base, cc.jitter_ms = NAN;
    check_refused(s, c, &cc);
    cc = base, cc.reorder_delay_ms = -1;
    check_refused(s, c, &cc);
    cc = base, cc.struct_size = 0;
    check_refused(s, c, &cc);
    cc = base, cc.struct_size = offsetof(ly_conditioner_config, burst_model) - 1;
    check_refused(s, c, &cc);
    cc = base, cc.burst_model = LY_BURST_GILBERT_ELLIOTT + 1;
    check_refused(s, c, &cc);
    cc = base, cc.burst_model = LY_BURST_GILBERT, cc.burst_p = 1.5;
    check_refused(s, c, &cc);
    cc = base, cc.burst_model = LY_BURST_GILBERT, cc.burst_r = NAN;
    check_refused(s, c, &cc);
    cc = base, cc.burst_model = LY_BURST_GILBERT, cc.burst_loss_bad = 1; /* Gilbert loses all in bad anyway */
    check_refused(s, c, &cc);
    cc = base, cc.burst_model = LY_BURST_GILBERT_ELLIOTT, cc.burst_loss_good = -0.5;
    check_refused(s, c, &cc);
    cc = base, cc.burst_model = LY_BURST_NONE, cc.burst_p = 0.1; /* set without a model */
    check_refused(s, c, &cc);

    /* A first-release caller's struct ends at seed: what lies past it is
     * not read, whatever it holds. */
    cc = base, cc.struct_size = offsetof(ly_conditioner_config, burst_model), cc.burst_model = 99, cc.burst_p = NAN;
    CHECK_OK(ly_server_set_conditioner(s, &cc, &cc));
    CHECK_OK(ly_client_set_conditioner(c, &cc, &cc));
    cc = base, cc.burst_model = LY_BURST_GILBERT_ELLIOTT, cc.burst_p = 1, cc.burst_r = 0, cc.burst_loss_good = 1,
    cc.burst_loss_bad = 0.5;
    CHECK_OK(ly_server_set_conditioner(s, &cc, &cc));
    CHECK_OK(ly_client_set_conditioner(c, &cc, &cc));

    /* The edges are fine: probabilities 0 and 1, zero delays; NULL is off.
     * Before start, while running, on an idle client. */
    cc = base, cc.loss = 1.0, cc.duplicate = 1.0, cc.reorder = 1.0;
    CHECK_OK(ly_server_set_conditioner(s, &cc, &cc));
    CHECK_OK(ly_server_set_conditioner(s, &base, &base));
    CHECK_OK(ly_server_set_conditioner(s, NULL, NULL));
    CHECK_OK(ly_client_set_conditioner(c, &cc, &cc));
    CHECK_OK(ly_client_set_conditioner(c, NULL, NULL));
    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_POOR, &cc));
    CHECK_OK(ly_client_set_conditioner(c, &cc, NULL));
    CHECK_OK(ly_client_set_conditioner(c, NULL, NULL));
    CHECK_OK(ly_server_stop(s));
    CHECK_OK(ly_server_set_conditioner(s, &cc, &cc)); /* stopped */
    CHECK_OK(ly_server_set_conditioner(s, NULL, NULL));

    /* A server with no sockets: nothing to condition, and no error. */
    loc = local_server();
    CHECK_OK(ly_server_set_conditioner(loc, &cc, &cc));
    CHECK_OK(ly_server_set_conditioner(loc, NULL, NULL));
    cc.loss = 2;
    CHECK_EQ(ly_server_set_conditioner(loc, &cc, NULL), LY_ERR_INVALID_ARGUMENT);

    CHECK_OK(ly_server_destroy(loc));
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

#define COND_SENDS 10000
#define COND_TAIL 200
#define COND_MAX_ARRIVALS (2 * COND_SENDS)

typedef struct arrival {
    int index; /* the payload's number */
    int step;  /* the step after whose updates the server had it */
} arrival;

/* One client sends COND_SENDS numbered payloads, one per 1 ms step, to a
 * server whose receive side is conditioned; returns how many arrived and
 * fills arr in arrival order. */
static int conditioned_run(const ly_conditioner_config *recv, arrival *arr, ly_stats *server_total)
{
    ly_server *s;
    ly_client *c;
    ly_event evs[64];
    static uint8_t buf[64 * 16];
    uint8_t p[8];
    char addr[LY_ADDRESS_STRING_SIZE];
    int step, n = 0, r, i;

    s = server_start("127.0.0.1:0", 0, addr);
    c = client_manual(addr, 1);
    CHECK_OK(ly_client_connect(c));
    pump_connected(s, &c, 1);
    for (i = 0; i < 5; i++)
        pump_once(s, &c, 1, 0.0);
    drain_events(s);
    /* From now on, with a fresh seeded line. */
    CHECK_OK(ly_server_set_conditioner(s, NULL, recv));

    for (step = 0; step < COND_SENDS + COND_TAIL; step++) {
        if (step < COND_SENDS) {
            memset(p, 0, sizeof p);
            p[0] = (uint8_t)step;
            p[1] = (uint8_t)(step >> 8);
            p[2] = (uint8_t)(step >> 16);
            p[3] = 0xC5;
            CHECK_OK(ly_client_send(c, p, sizeof p));
        }
        CHECK_OK(ly_client_update(c, 0.001));
        CHECK_OK(ly_server_update(s, 0.001));
        while ((r = ly_server_poll_batch(s, evs, 64, buf, sizeof buf)) > 0) {
            for (i = 0; i < r; i++) {
                const uint8_t *q = buf + evs[i].payload_offset;
                CHECK_EQ(evs[i].type, LY_EVENT_PAYLOAD);
                CHECK_EQ(evs[i].payload_size, 8);
                CHECK_EQ(q[3], 0xC5);
                CHECK(n < COND_MAX_ARRIVALS);
                arr[n].index = q[0] | (q[1] << 8) | (q[2] << 16);
                arr[n].step = step;
                n++;
            }
        }
        CHECK_EQ(r, 0);
    }
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);
    CHECK_EQ(ly_server_num_connected(s), 1);
    *server_total = server_stats(s);
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
    return n;
}

static void test_conditioner_measured(void)
{
    static arrival a[COND_MAX_ARRIVALS], b[COND_MAX_ARRIVALS];
    static int times[COND_SENDS];
    ly_conditioner_config cc;
    ly_stats sa, sb;
    int na, nb, i, lost = 0, dmin = 1 << 30, dmax = -1;
    double sum = 0, loss, mean;

    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_OFF, &cc));
    cc.latency_ms = 50;
    cc.jitter_ms = 10;
    cc.loss = 0.1;
    cc.duplicate = 0.05;
    cc.seed = 7;

    na = conditioned_run(&cc, a, &sa);
    for (i = 0; i < COND_SENDS; i++)
        times[i] = 0;
    for (i = 0; i < na; i++) {
        int d;
        CHECK(a[i].index >= 0 && a[i].index < COND_SENDS);
        times[a[i].index]++;
        d = a[i].step - a[i].index;
        if (d < dmin)
            dmin = d;
        if (d > dmax)
            dmax = d;
        sum += d;
    }
    /* Nothing twice: netcode's replay protection drops the copies. */
    for (i = 0; i < COND_SENDS; i++) {
        CHECK(times[i] <= 1);
        lost += times[i] == 0;
    }
    loss = (double)lost / COND_SENDS;
    mean = sum / na;
    printf("conditioner: %d of %d arrived, loss %.4f, delay %d..%d ms, mean %.2f ms, replays dropped %llu\n", na,
           COND_SENDS, loss, dmin, dmax, mean, (unsigned long long)sa.dropped_replayed);
    CHECK_NEAR(loss, 0.1, 0.015);
    CHECK(dmin >= 40);
    CHECK(dmax <= 61);
    CHECK_NEAR(mean, 50.0, 3.0);
    /* The copies did arrive, and were counted as replays. */
    CHECK(sa.dropped_replayed > 0);

    /* Same seed, same traffic, same steps: the same arrivals. */
    nb = conditioned_run(&cc, b, &sb);
    CHECK_EQ(nb, na);
    for (i = 0; i < na; i++) {
        if (a[i].index != b[i].index || a[i].step != b[i].step) {
            fprintf(stderr, "arrival %d: payload %d at step %d, then payload %d at step %d\n", i, a[i].index,
                    a[i].step, b[i].index, b[i].step);
            CHECK(!"the second run differs");
        }
    }
    CHECK_EQ(sb.dropped_replayed, sa.dropped_replayed);
}

/* Gilbert burst loss on the server's receive side: the losses come in
 * runs of 1/r payloads on average, at the stationary rate p/(p+r). The
 * chain also steps for netcode's own packets (a keep-alive every 100 ms
 * against a payload every 1 ms), which the tolerances cover: with about
 * 400 bursts in 10,000 payloads, 3.5 standard deviations are about 0.6
 * for the mean burst and 0.04 for the rate. */
static void test_conditioner_burst(void)
{
    static arrival a[COND_MAX_ARRIVALS];
    static unsigned char got[COND_SENDS];
    ly_conditioner_config cc;
    ly_stats st;
    int n, i, lost = 0, runs = 0;
    double rate, burst, p = 0.05, r = 0.25;

    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_OFF, &cc));
    cc.burst_model = LY_BURST_GILBERT;
    cc.burst_p = p;
    cc.burst_r = r;
    cc.seed = 9;
    n = conditioned_run(&cc, a, &st);
    memset(got, 0, sizeof got);
    for (i = 0; i < n; i++) {
        CHECK(a[i].index >= 0 && a[i].index < COND_SENDS);
        CHECK(i == 0 || a[i].index > a[i - 1].index); /* no delay: in order */
        got[a[i].index] = 1;
    }
    for (i = 0; i < COND_SENDS; i++) {
        if (got[i])
            continue;
        lost++;
        runs += i == 0 || got[i - 1];
    }
    CHECK(runs > 0);
    rate = (double)lost / COND_SENDS;
    burst = (double)lost / runs;
    printf("burst loss: rate %.4f (Gilbert p/(p+r) %.4f), mean burst %.2f (1/r %.2f), %d bursts\n", rate,
           p / (p + r), burst, 1 / r, runs);
    CHECK_NEAR(rate, p / (p + r), 0.04);
    CHECK_NEAR(burst, 1 / r, 0.6);
}

/* A client's own send side, all lost, then switched off. */
static void test_client_conditioner(void)
{
    ly_server *s;
    ly_client *c;
    ly_client_id id = make_id(1, LY_KIND_NETCODE);
    ly_conditioner_config lossy;
    ly_stats s0, s1;
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    char addr[LY_ADDRESS_STRING_SIZE];
    int i;

    s = server_start("127.0.0.1:0", 0, addr);
    c = client_manual(addr, 1);
    CHECK_OK(ly_client_connect(c));
    pump_connected(s, &c, 1);
    for (i = 0; i < 5; i++)
        pump_once(s, &c, 1, 0.0);
    drain_events(s);

    CHECK_OK(ly_conditioner_preset_config(LY_CONDITIONER_OFF, &lossy));
    lossy.loss = 1.0;
    CHECK_OK(ly_client_set_conditioner(c, &lossy, NULL));
    s0 = server_client_stats(s, id);
    for (i = 0; i < 50; i++) {
        CHECK_OK(ly_client_send(c, (const uint8_t *)"lost", 4));
        pump_once(s, &c, 1, 0.01);
    }
    expect_no_event(s);
    s1 = server_client_stats(s, id);
    CHECK_EQ(s1.packets_received, s0.packets_received);
    CHECK_EQ(s1.bytes_received, s0.bytes_received);
    CHECK(s1.seconds_since_last_receive >= 0.5 - 1e-6);
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);

    /* Off again: the next payload arrives. */
    CHECK_OK(ly_client_set_conditioner(c, NULL, NULL));
    CHECK_OK(ly_client_send(c, (const uint8_t *)"found", 5));
    wait_event(s, &c, 1, &ev, buf, sizeof buf);
    CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    CHECK_EQ(ev.payload_size, 5);
    CHECK(memcmp(buf, "found", 5) == 0);
    CHECK(server_client_stats(s, id).packets_received > s1.packets_received);

    /* The receive side: what the server sends is lost, then not. */
    CHECK_OK(ly_client_set_conditioner(c, NULL, &lossy));
    for (i = 0; i < 20; i++) {
        CHECK_OK(ly_server_send(s, id, (const uint8_t *)"lost", 4));
        pump_once(s, &c, 1, 0.01);
    }
    CHECK_EQ(ly_client_receive(c, buf, sizeof buf, NULL), 0);
    CHECK_OK(ly_client_set_conditioner(c, NULL, NULL));
    CHECK_OK(ly_server_send(s, id, (const uint8_t *)"found", 5));
    CHECK_EQ(wait_receive(s, &c, 1, c, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "found", 5) == 0);
    CHECK_EQ(client_state(c), LY_STATE_CONNECTED);

    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* ------------------------------------------------------------------ */

/* ly_shutdown ends local clients' handles with the rest. */
static void test_shutdown_local(void)
{
    ly_server *s = local_server();
    ly_client *c = NULL;
    int st;
    CHECK_OK(ly_server_connect_local(s, 3, &c));
    CHECK_OK(ly_shutdown());
    CHECK_EQ(ly_client_get_state(c, &st), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_destroy(c), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_connect_local(s, 4, &c), LY_ERR_INVALID_HANDLE);
}

int main(void)
{
    test_local_exchange();
    test_connect_before_start();
    test_local_misuse();
    test_three_clients();
    test_stats_exact();
    test_conditioner_configs();
    test_conditioner_measured();
    test_conditioner_burst();
    test_client_conditioner();
    test_shutdown_local();
    return check_summary("test_local");
}
