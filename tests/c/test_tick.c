/*
 * test_tick.c - a netcode server ticked the way a game ticks it, while
 * clients exchange payloads with it: the tick in C (capi/tick.c).
 *
 * On Linux a running netcode server over UDP whose clients are all
 * connected and confirmed, with no handshake, event or send pending, is
 * steady, and ly_server_update, poll, poll_batch, send, broadcast, flush,
 * num_connected and running then run in C (recvmmsg, decryption, replay
 * window, payload queue, keep-alives, sendmmsg) without entering Go;
 * anything else takes the state back to Go first. This test drives such a
 * server through every way in and out of that state while payloads flow,
 * and checks what a caller sees: every payload (1, 100, 1200 bytes and
 * sizes between, random contents carrying a per-client sequence number)
 * arrives exactly once and in order in both directions (the server echoes
 * each one), broadcasts reach every client, 30 s of simulated silence keep
 * everyone connected on keep-alives, ly_server_stats and
 * ly_server_client_stats (Go calls) mid-stream count everything and the
 * exchange goes on after them, clients destroyed, disconnected on either
 * side or gone silent end with the right LY_EVENT_DISCONNECTED, clients
 * connect while others exchange, a poll buffer too small is refused and
 * the payload comes whole on the retry, and ly_server_stop or
 * ly_server_destroy mid-stream end everything cleanly. It runs twice:
 * batch_sends off and on. Then a game thread ticks a server with clients
 * while the main thread stops or destroys it (races).
 *
 * Its main use is under valgrind (tests/c/valgrind.sh), whose memcheck
 * sees the C tick's memory errors (tick.c, aead.c). The header shows no
 * count of the calls answered in C; counted by hand once (gdb breakpoints
 * on ly_server_update, ly_server_send, ... and their Go exports
 * ly__go_server_*), over 90 % of each were answered in C; the rest are
 * the calls that must enter Go (stats, too-small polls, connects,
 * disconnects, stop and destroy) and those right after. Elsewhere than
 * Linux the same checks hold through the Go path.
 *
 *   test_tick [--quick] [--seed N]
 *     --quick: fewer ticks, longer dt in the long stretches, 3 races of
 *     each kind instead of 10 (valgrind.sh)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"

#define NPEERS 6
#define ID_BASE 5000
#define BC_SLOT 0xFF

enum { P_NONE, P_CONNECTING, P_LIVE, P_GONE };

typedef struct {
    ly_client *c;
    uint64_t id;
    int state;         /* P_*, as the server's events tell */
    int frozen;        /* not updated any more (it will time out) */
    int sending;       /* sends payloads while live */
    uint32_t expect;   /* the ly_disconnect_reason its DISCONNECTED must carry; 0: none expected */
    uint32_t sent;     /* payloads it sent: the next sequence */
    uint32_t got;      /* at the server: the next sequence expected from it */
    uint32_t echoed;   /* at the client: the next echo expected */
    uint32_t bc_next;  /* at the client: the next broadcast expected */
    uint64_t last_rx;  /* ly_server_client_stats' packets_received last time */
} peer;

typedef struct {
    ly_server *s;
    int batch;
    peer p[NPEERS];
    int live;             /* peers the server has connected */
    int stopped;          /* ly_server_stop was called: polled payloads are not echoed */
    uint32_t bseq;        /* broadcasts made */
    unsigned long ticks;
    unsigned long echoes, payloads, too_small_poll, too_small_batch, stats_calls;
    uint64_t last_srv_rx, last_srv_tx;
    uint32_t next_id;
} run;

/* Options. */
static int n_exchange = 300;           /* ticks of each exchange phase */
static double dt_long = TEST_DT;       /* dt of the 30 s silence and the 5 s timeout */
static int race_rounds = 10;           /* races of each kind (stop, destroy) */
static uint64_t rng = 0x7469636BULL;   /* "tick" */

static uint64_t mix64(uint64_t z)
{
    /* splitmix64's finaliser */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n) { return (uint32_t)(mix64(rng += 0x9E3779B97F4A7C15ULL) % n); }

/* ------------------------------------------------------------------ */
/* Payloads: a function of kind ('C' client to server and its echo, 'B'
 * broadcast), sender slot and sequence, so the receiver rebuilds what it
 * must have got. Sizes: 1, 100, 1200, or anything from 6 to 1199. A
 * payload of more than one byte starts with kind, slot and sequence. */

static uint32_t payload_size(int kind, int slot, uint32_t seq)
{
    uint64_t h = mix64((uint64_t)kind << 48 ^ (uint64_t)slot << 40 ^ seq);
    switch (h % 4) {
    case 0: return kind == 'C' ? 1 : 100;
    case 1: return 100;
    case 2: return LY_MAX_PAYLOAD_SIZE;
    default: return 6 + (uint32_t)(h >> 8) % (LY_MAX_PAYLOAD_SIZE - 6);
    }
}

static uint32_t payload_make(uint8_t *p, int kind, int slot, uint32_t seq)
{
    uint32_t n = payload_size(kind, slot, seq), i;
    uint64_t x = mix64(0xC0FFEE ^ (uint64_t)kind << 48 ^ (uint64_t)slot << 40 ^ seq);
    if (n == 1) {
        p[0] = (uint8_t)(x >> 16);
        return 1;
    }
    p[0] = (uint8_t)kind;
    p[1] = (uint8_t)slot;
    for (i = 0; i < 4; i++)
        p[2 + i] = (uint8_t)(seq >> (8 * i));
    for (i = 6; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (uint8_t)(x >> 56);
    }
    return n;
}

/* Fails unless p (n bytes) is payload seq of kind from slot. */
static void payload_check(const char *where, const uint8_t *p, uint32_t n, int kind, int slot, uint32_t seq)
{
    static uint8_t want[LY_MAX_PAYLOAD_SIZE];
    uint32_t m = payload_make(want, kind, slot, seq);
    if (n != m || memcmp(p, want, n) != 0) {
        uint32_t got_seq = 0;
        if (n >= 6)
            got_seq = (uint32_t)p[2] | (uint32_t)p[3] << 8 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 24;
        fprintf(stderr, "%s: want payload %c%u from slot %d (%u bytes); got %u bytes: %c%u from slot %d\n", where,
                kind, seq, slot, m, n, n >= 6 ? p[0] : '?', got_seq, n >= 6 ? p[1] : -1);
        CHECK(!"payload lost, duplicated, reordered or corrupt");
    }
}

/* ------------------------------------------------------------------ */
/* The world */

static peer *peer_by_id(run *r, ly_client_id id)
{
    int i;
    CHECK_EQ(id.kind, LY_KIND_NETCODE);
    CHECK_EQ(id.reserved, 0);
    for (i = 0; i < NPEERS; i++)
        if (r->p[i].state != P_NONE && r->p[i].id == id.id)
            return &r->p[i];
    fprintf(stderr, "unknown client id %llu\n", (unsigned long long)id.id);
    CHECK(!"event for a client the test never made");
    return NULL;
}

static ly_client_id netcode_id(uint64_t id)
{
    ly_client_id c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.kind = LY_KIND_NETCODE;
    return c;
}

/* A new client in slot i, connecting: even slots make their own token
 * (ly_client_create_manual), odd ones get one from ly_token_generate. The
 * token is made now: under valgrind the 30 s of a token are not long. */
static void peer_connect(run *r, int i, const char *addr)
{
    peer *p = &r->p[i];
    CHECK(p->c == NULL);
    memset(p, 0, sizeof *p);
    p->id = r->next_id++;
    if (i % 2 == 0) {
        p->c = client_manual(addr, p->id);
    } else {
        ly_token_params tp;
        uint8_t token[LY_CONNECT_TOKEN_SIZE];
        ly_token_params_defaults(&tp);
        tp.protocol_id = TEST_PROTOCOL;
        tp.client_id = p->id;
        tp.private_key = test_key;
        tp.public_addresses = addr;
        CHECK_OK(ly_token_generate(&tp, token, sizeof token));
        CHECK_OK(ly_client_create(token, sizeof token, NULL, &p->c));
    }
    CHECK_OK(ly_client_connect(p->c));
    p->state = P_CONNECTING;
    p->sending = 1;
}

static void handle_event(run *r, const ly_event *ev, const uint8_t *payload)
{
    peer *p = peer_by_id(r, ev->client);
    switch (ev->type) {
    case LY_EVENT_CONNECTED:
        CHECK_EQ(p->state, P_CONNECTING);
        CHECK_EQ(ev->payload_size, 0);
        p->state = P_LIVE;
        p->bc_next = r->bseq; /* every broadcast from now on reaches it */
        r->live++;
        break;
    case LY_EVENT_PAYLOAD:
        CHECK_EQ(p->state, P_LIVE);
        payload_check("server", payload, ev->payload_size, 'C', (int)(p - r->p), p->got);
        p->got++;
        r->payloads++;
        /* The echo, as a game answers: from the poll loop. */
        if (r->stopped) {
            CHECK_EQ(ly_server_send(r->s, ev->client, payload, ev->payload_size), LY_ERR_NOT_RUNNING);
            break;
        }
        CHECK_OK(ly_server_send(r->s, ev->client, payload, ev->payload_size));
        r->echoes++;
        break;
    case LY_EVENT_DISCONNECTED:
        CHECK_EQ(p->state, P_LIVE);
        if (p->expect == 0)
            fprintf(stderr, "client %llu disconnected: %s\n", (unsigned long long)p->id,
                    ly_reason_string((int)ev->reason));
        CHECK_EQ(ev->reason, p->expect);
        p->state = P_GONE;
        r->live--;
        break;
    default:
        fprintf(stderr, "event type %u reason %u\n", ev->type, ev->reason);
        CHECK(!"unexpected event");
    }
}

/* Every event, in batches whose buffer holds two full payloads: a batch
 * often stops early on the next payload, which waits for the next call. */
static void server_poll_all(run *r)
{
    ly_event ev[16];
    static uint8_t buf[2 * LY_MAX_PAYLOAD_SIZE + 100];
    int n, i;
    while ((n = ly_server_poll_batch(r->s, ev, 16, buf, sizeof buf)) > 0) {
        uint32_t end = 0;
        for (i = 0; i < n; i++) {
            if (ev[i].type == LY_EVENT_PAYLOAD) {
                CHECK_EQ(ev[i].payload_offset, end);
                end += ev[i].payload_size;
                CHECK(end <= sizeof buf);
            }
            handle_event(r, &ev[i], buf + ev[i].payload_offset);
        }
    }
    CHECK_EQ(n, 0);
}

/* Polls with a 1-byte buffer (ly_server_poll, or poll_batch) until a
 * bigger payload is refused with LY_ERR_BUFFER_TOO_SMALL, then takes it
 * whole. What fits on the way (1-byte payloads, other events) is handled
 * in order. 1 if a payload was refused. */
static int server_poll_too_small(run *r, int batch)
{
    ly_event ev[4], held;
    uint8_t one[1];
    static uint8_t big[LY_MAX_PAYLOAD_SIZE];
    int rc, i;
    for (;;) {
        memset(ev, 0, sizeof ev);
        rc = batch ? ly_server_poll_batch(r->s, ev, 4, one, 1) : ly_server_poll(r->s, &ev[0], one, 1);
        if (rc == 0)
            return 0;
        if (rc != LY_ERR_BUFFER_TOO_SMALL) {
            CHECK(rc >= 1 && rc <= 4);
            for (i = 0; i < rc; i++)
                handle_event(r, &ev[i], one + ev[i].payload_offset);
            continue;
        }
        held = ev[0];
        CHECK_EQ(held.type, LY_EVENT_PAYLOAD);
        CHECK(held.payload_size > 1 && held.payload_size <= LY_MAX_PAYLOAD_SIZE);
        CHECK_EQ(peer_by_id(r, held.client)->state, P_LIVE);
        /* Still held, and still too big for one byte less than it needs. */
        CHECK_EQ(ly_server_poll(r->s, &ev[1], big, held.payload_size - 1), LY_ERR_BUFFER_TOO_SMALL);
        CHECK_EQ(ev[1].payload_size, held.payload_size);
        CHECK_EQ(ev[1].client.id, held.client.id);
        /* Whole with room for it. */
        CHECK_EQ(ly_server_poll(r->s, &ev[2], big, held.payload_size), 1);
        CHECK_EQ(ev[2].type, LY_EVENT_PAYLOAD);
        CHECK_EQ(ev[2].payload_size, held.payload_size);
        CHECK_EQ(ev[2].client.id, held.client.id);
        handle_event(r, &ev[2], big);
        if (batch)
            r->too_small_batch++;
        else
            r->too_small_poll++;
        return 1;
    }
}

/* Everything a client received, checked against what it must be next. */
static void client_receive_all(run *r, peer *p)
{
    static uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int n, slot = (int)(p - r->p);
    while ((n = ly_client_receive(p->c, buf, sizeof buf, NULL)) > 0) {
        if (n == 1 || buf[0] == 'C') {
            payload_check("client (echo)", buf, (uint32_t)n, 'C', slot, p->echoed);
            p->echoed++;
        } else {
            CHECK_EQ(buf[0], 'B');
            payload_check("client (broadcast)", buf, (uint32_t)n, 'B', BC_SLOT, p->bc_next);
            p->bc_next++;
        }
    }
    CHECK_EQ(n, 0);
}

static void client_send_some(run *r, peer *p, int k)
{
    static uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    while (k-- > 0) {
        uint32_t n = payload_make(buf, 'C', (int)(p - r->p), p->sent);
        CHECK_OK(ly_client_send(p->c, buf, n));
        p->sent++;
    }
}

enum { POLL_ALL, POLL_SMALL, POLL_SMALL_BATCH };

/* One tick of the game: each client updates, reads and (sending) sends
 * up to 2 payloads; the server updates, polls everything, echoing each
 * payload, broadcasts every 5th tick (sending), flushes. */
static void tick(run *r, double dt, int sending, int poll_mode)
{
    int i;
    for (i = 0; i < NPEERS; i++) {
        peer *p = &r->p[i];
        if (p->c == NULL || p->frozen)
            continue;
        CHECK_OK(ly_client_update(p->c, dt));
        client_receive_all(r, p);
        if (sending && p->sending && p->state == P_LIVE && client_state(p->c) == LY_STATE_CONNECTED)
            client_send_some(r, p, (int)rnd(3));
    }
    CHECK_OK(ly_server_update(r->s, dt));
    if (poll_mode != POLL_ALL)
        server_poll_too_small(r, poll_mode == POLL_SMALL_BATCH);
    server_poll_all(r);
    if (sending && r->ticks % 5 == 0 && r->live > 0) {
        static uint8_t buf[LY_MAX_PAYLOAD_SIZE];
        uint32_t n = payload_make(buf, 'B', BC_SLOT, r->bseq);
        CHECK_OK(ly_server_broadcast(r->s, buf, n));
        r->bseq++;
    }
    CHECK_OK(ly_server_flush(r->s));
    /* In C when steady: the events polled are what it counts. */
    CHECK_EQ(ly_server_num_connected(r->s), r->live);
    CHECK_EQ(ly_server_running(r->s), 1);
    r->ticks++;
    nap_us(50);
}

/* Ticks without new payloads until every live, awake client's payloads
 * reached the server and their echoes and every broadcast came back:
 * nothing lost or duplicated (each arrival was checked in order). */
static void drain(run *r)
{
    int step, i, done = 0;
    for (step = 0; step < TEST_MAX_STEPS && !done; step++) {
        tick(r, TEST_DT, 0, POLL_ALL);
        done = 1;
        for (i = 0; i < NPEERS; i++) {
            peer *p = &r->p[i];
            if (p->c != NULL && !p->frozen && p->state == P_LIVE)
                done &= p->got == p->sent && p->echoed == p->sent && p->bc_next == r->bseq;
        }
    }
    for (i = 0; i < NPEERS && !done; i++) {
        peer *p = &r->p[i];
        fprintf(stderr, "slot %d: state %d, sent %u, server got %u, echoes %u, broadcasts %u of %u\n", i, p->state,
                p->sent, p->got, p->echoed, p->bc_next, r->bseq);
    }
    CHECK(done);
}

/* Ticks until the server has connected every connecting client and each
 * knows it is connected (it learns from the server's first keep-alive). */
static void wait_live(run *r, int sending)
{
    int step, i, done = 0;
    for (step = 0; step < TEST_MAX_STEPS && !done; step++) {
        tick(r, TEST_DT, sending, POLL_ALL);
        done = 1;
        for (i = 0; i < NPEERS; i++)
            if (r->p[i].state == P_CONNECTING ||
                (r->p[i].state == P_LIVE && r->p[i].c != NULL && client_state(r->p[i].c) != LY_STATE_CONNECTED))
                done = 0;
    }
    CHECK(done);
}

/* Ticks (sending) until no live peer waits for a DISCONNECTED it expects. */
static void wait_disconnects(run *r, double dt, int max_steps)
{
    int step, i, waiting = 1;
    for (step = 0; step < max_steps && waiting; step++) {
        tick(r, dt, 1, POLL_ALL);
        waiting = 0;
        for (i = 0; i < NPEERS; i++)
            if (r->p[i].state == P_LIVE && r->p[i].expect != 0)
                waiting = 1;
    }
    CHECK(!waiting);
}

/* The server's and each live client's counters, mid-stream (Go calls,
 * which take the state back from C): they count everything so far and
 * never go back. */
static void check_stats(run *r)
{
    ly_stats st;
    int i;
    uint64_t payloads = 0;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_server_stats(r->s, &st));
    CHECK_EQ(st.struct_size, sizeof st);
    CHECK(st.packets_received >= r->last_srv_rx);
    CHECK(st.packets_sent >= r->last_srv_tx);
    CHECK(st.packets_received >= r->payloads);
    CHECK(st.packets_sent >= r->echoes);
    CHECK(st.bytes_received > st.packets_received && st.bytes_sent > st.packets_sent);
    CHECK_EQ(st.dropped_malformed, 0);
    CHECK_EQ(st.dropped_replayed, 0);
    CHECK_EQ(st.dropped_decrypt_failed, 0);
    CHECK_EQ(st.dropped_queue_full, 0);
    CHECK_EQ(st.dropped_oversized, 0);
    r->last_srv_rx = st.packets_received;
    r->last_srv_tx = st.packets_sent;
    for (i = 0; i < NPEERS; i++) {
        peer *p = &r->p[i];
        ly_stats cs;
        if (p->state != P_LIVE)
            continue;
        memset(&cs, 0, sizeof cs);
        cs.struct_size = sizeof cs;
        CHECK_OK(ly_server_client_stats(r->s, netcode_id(p->id), &cs));
        /* Each payload it sent that the server polled came in a packet,
         * and went back in one. */
        CHECK(cs.packets_received >= p->got);
        CHECK(cs.packets_sent >= p->got);
        CHECK(cs.packets_received >= p->last_rx);
        CHECK(cs.seconds_since_last_receive >= 0.0 && cs.seconds_since_last_receive < 1.0);
        p->last_rx = cs.packets_received;
        payloads += p->got;
    }
    CHECK(st.packets_received >= payloads);
    r->stats_calls++;
}

/* n ticks of exchange; unless plain, stats mid-way and too-small polls
 * at two points (calls that enter Go); at join_at (if >= 0) a new client
 * in slot join_slot. */
static void exchange(run *r, int n, const char *addr, int join_at, int join_slot, int plain)
{
    int k;
    for (k = 0; k < n; k++) {
        int mode = POLL_ALL;
        if (k == join_at)
            peer_connect(r, join_slot, addr);
        if (!plain && k == n / 2)
            check_stats(r);
        if (plain)
            mode = POLL_ALL;
        else if (k >= n / 4 && k < n / 4 + 40 && r->too_small_poll <= r->too_small_batch)
            mode = POLL_SMALL;
        else if (k >= 3 * n / 4 && k < 3 * n / 4 + 40 && r->too_small_batch < r->too_small_poll)
            mode = POLL_SMALL_BATCH;
        tick(r, TEST_DT, 1, mode);
    }
}

/* ------------------------------------------------------------------ */
/* A run: batch_sends off or on; it ends with ly_server_stop and then
 * destroy (stop_first) or with ly_server_destroy straight away. */

static void check_gone(ly_server *s, int stopped)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_client_id id = netcode_id(ID_BASE);
    int want = stopped ? LY_ERR_NOT_RUNNING : LY_ERR_INVALID_HANDLE;
    memset(buf, 0x42, sizeof buf);
    CHECK_EQ(ly_server_update(s, TEST_DT), want);
    CHECK_EQ(ly_server_flush(s), want);
    CHECK_EQ(ly_server_send(s, id, buf, 1), stopped ? LY_ERR_NOT_RUNNING : LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_broadcast(s, buf, 1), want);
    CHECK_EQ(ly_server_running(s), stopped ? 0 : LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_num_connected(s), stopped ? 0 : LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), stopped ? 0 : LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_poll_batch(s, &ev, 1, buf, sizeof buf), stopped ? 0 : LY_ERR_INVALID_HANDLE);
}

static void run_one(int batch, int stop_first)
{
    static run r;
    ly_server_config cfg;
    char addr[LY_ADDRESS_STRING_SIZE];
    int i, k, step;
    double t;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];

    memset(&r, 0, sizeof r);
    memset(buf, 0x42, sizeof buf);
    r.batch = batch;
    r.next_id = ID_BASE + (batch ? 100 : 0);
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = "127.0.0.1:0";
    cfg.max_clients = 8;
    cfg.batch_sends = (uint32_t)batch;
    CHECK_OK(ly_server_create(&cfg, &r.s));
    CHECK_OK(ly_server_start(r.s));
    CHECK(ly_server_address(r.s, 0, addr, sizeof addr) > 0);

    /* Idle (steady with no client), then four clients. */
    for (k = 0; k < 20; k++)
        tick(&r, TEST_DT, 0, POLL_ALL);
    for (i = 0; i < 4; i++)
        peer_connect(&r, i, addr);
    wait_live(&r, 0);
    CHECK_EQ(r.live, 4);

    /* Exchange, with stats and too-small polls mid-stream. */
    exchange(&r, n_exchange, addr, -1, 0, 0);
    drain(&r);
    CHECK(r.payloads > 0 && r.bseq > 0);

    /* 30 s of silence: keep-alives only, every client stays. */
    for (t = 0; t < 30.0; t += dt_long)
        tick(&r, dt_long, 0, POLL_ALL);
    CHECK_EQ(r.live, 4);
    for (i = 0; i < 4; i++)
        CHECK_EQ(client_state(r.p[i].c), LY_STATE_CONNECTED);
    check_stats(&r);

    /* Exchange again; two clients join while the others send. */
    exchange(&r, n_exchange, addr, n_exchange / 8, 4, 0);
    wait_live(&r, 1);
    exchange(&r, n_exchange / 2, addr, 0, 5, 0);
    wait_live(&r, 1);
    drain(&r);
    CHECK_EQ(r.live, 6);
    CHECK(r.p[4].got > 0 && r.p[5].got > 0);

    /* Connections end, while the rest goes on: slot 1 is destroyed, slot
     * 2 disconnects, the server disconnects slot 3. */
    r.p[1].expect = LY_REASON_REMOTE;
    CHECK_OK(ly_client_destroy(r.p[1].c));
    r.p[1].c = NULL;
    r.p[2].expect = LY_REASON_REMOTE;
    r.p[2].sending = 0;
    CHECK_OK(ly_client_disconnect(r.p[2].c));
    r.p[3].expect = LY_REASON_LOCAL;
    r.p[3].sending = 0;
    CHECK_OK(ly_server_disconnect(r.s, netcode_id(r.p[3].id)));
    wait_disconnects(&r, TEST_DT, TEST_MAX_STEPS);
    CHECK_EQ(r.live, 3);
    for (step = 0; step < TEST_MAX_STEPS && client_state(r.p[3].c) == LY_STATE_CONNECTED; step++)
        tick(&r, TEST_DT, 1, POLL_ALL);
    CHECK_EQ(client_state(r.p[3].c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(r.p[3].c), LY_REASON_REMOTE);
    CHECK_EQ(client_state(r.p[2].c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_server_send(r.s, netcode_id(r.p[3].id), buf, 1), LY_ERR_UNKNOWN_CLIENT);
    drain(&r);

    /* Slot 5 falls silent: timed out after its token's 5 s, in a tick the
     * others go on exchanging. */
    r.p[5].frozen = 1;
    r.p[5].expect = LY_REASON_TIMED_OUT;
    wait_disconnects(&r, dt_long, (int)(6.0 / dt_long) + 10);
    CHECK_EQ(r.live, 2);
    CHECK_EQ(ly_server_send(r.s, netcode_id(r.p[5].id), buf, 1), LY_ERR_UNKNOWN_CLIENT);
    CHECK_OK(ly_client_destroy(r.p[5].c)); /* its disconnect reaches a server that forgot it */
    r.p[5].c = NULL;
    exchange(&r, 30, addr, -1, 0, 0);
    drain(&r);

    /* The end, mid-stream, after a stretch in C (dozens of packets sent
     * since Go last had the state): the clients' payloads of this tick
     * are read (and queued) by the update, and not polled. */
    exchange(&r, 40, addr, -1, 0, 1);
    for (i = 0; i < NPEERS; i++)
        if (r.p[i].c != NULL && !r.p[i].frozen && r.p[i].state == P_LIVE) {
            CHECK_OK(ly_client_update(r.p[i].c, TEST_DT));
            client_send_some(&r, &r.p[i], 2);
        }
    nap_us(1000);
    CHECK_OK(ly_server_update(r.s, TEST_DT));
    if (stop_first) {
        for (i = 0; i < NPEERS; i++)
            if (r.p[i].state == P_LIVE)
                r.p[i].expect = LY_REASON_SERVER_STOPPED;
        CHECK_OK(ly_server_stop(r.s));
        r.stopped = 1;
        /* What was queued is still polled, in order, then every client's
         * end. */
        server_poll_all(&r);
        CHECK_EQ(r.live, 0);
        check_gone(r.s, 1);
        CHECK_OK(ly_server_destroy(r.s));
    } else {
        CHECK_OK(ly_server_destroy(r.s));
    }
    check_gone(r.s, 0);
    CHECK_EQ(ly_server_destroy(r.s), LY_ERR_INVALID_HANDLE);

    /* The clients were told. */
    for (step = 0; step < 200; step++) {
        int connected = 0;
        for (i = 0; i < NPEERS; i++)
            if (r.p[i].c != NULL && !r.p[i].frozen) {
                CHECK_OK(ly_client_update(r.p[i].c, TEST_DT));
                connected += client_state(r.p[i].c) == LY_STATE_CONNECTED;
            }
        if (connected == 0)
            break;
        nap_us(200);
    }
    for (i = 0; i < NPEERS; i++)
        if (r.p[i].c != NULL) {
            CHECK_EQ(client_state(r.p[i].c), LY_STATE_DISCONNECTED);
            CHECK_OK(ly_client_destroy(r.p[i].c));
            r.p[i].c = NULL;
        }
    CHECK(r.too_small_poll >= 1 && r.too_small_batch >= 1);
    printf("test_tick: batch_sends %d: %lu ticks, %lu payloads to the server and %lu echoes, %u broadcasts, "
           "%lu too-small polls, %lu stats rounds; %s\n",
           batch, r.ticks, r.payloads, r.echoes, r.bseq, r.too_small_poll + r.too_small_batch, r.stats_calls,
           stop_first ? "stopped, then destroyed" : "destroyed");
    fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* A game thread ticks a server (update, poll with echoes, flush) whose
 * clients the main thread keeps sending, until the main thread stops or
 * destroys it: once that has returned, no update may succeed, and nothing
 * else may fail. Under memcheck: the mirror freed by a destroy while a C
 * entry may be about to enter it. */

struct race {
    ly_server *s;
    int ended;   /* set after ly_server_stop/destroy returned */
    int late_ok; /* updates begun after that which returned LY_OK */
    int bad;     /* results no call may give */
    unsigned long calls, payloads;
};

static int race_rc_ok(int rc) { return rc >= 0 || rc == LY_ERR_NOT_RUNNING || rc == LY_ERR_INVALID_HANDLE; }

static void *race_ticks(void *arg)
{
    struct race *r = arg;
    ly_event ev[16];
    uint8_t *buf = malloc(4 * LY_MAX_PAYLOAD_SIZE);
    if (buf == NULL)
        abort();
    for (;;) {
        int ended = __atomic_load_n(&r->ended, __ATOMIC_ACQUIRE);
        int rc = ly_server_update(r->s, TEST_DT), n, i;
        r->calls++;
        if (ended && rc == LY_OK)
            r->late_ok++;
        if (!race_rc_ok(rc))
            r->bad++;
        if (rc != LY_OK) {
            if (ended || !race_rc_ok(rc))
                break;
            continue;
        }
        while ((n = ly_server_poll_batch(r->s, ev, 16, buf, 4 * LY_MAX_PAYLOAD_SIZE)) > 0)
            for (i = 0; i < n; i++)
                if (ev[i].type == LY_EVENT_PAYLOAD) {
                    rc = ly_server_send(r->s, ev[i].client, buf + ev[i].payload_offset, ev[i].payload_size);
                    r->payloads++;
                    if (!race_rc_ok(rc) && rc != LY_ERR_UNKNOWN_CLIENT)
                        r->bad++;
                }
        if (!race_rc_ok(n))
            r->bad++;
        if (!race_rc_ok(ly_server_flush(r->s)) || !race_rc_ok(ly_server_num_connected(r->s)) ||
            !race_rc_ok(ly_server_running(r->s)))
            r->bad++;
    }
    free(buf);
    return NULL;
}

static void test_race(int rounds)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    uint8_t payload[100];
    int round, i, k;
    unsigned long payloads = 0;

    memset(payload, 0x5A, sizeof payload);
    for (round = 0; round < 2 * rounds; round++) {
        struct race r;
        pthread_t t;
        ly_client *cs[2];
        ly_event ev;
        uint8_t buf[LY_MAX_PAYLOAD_SIZE];
        int stop = round % 2;
        memset(&r, 0, sizeof r);
        r.s = server_start("127.0.0.1:0", 4, addr);
        for (i = 0; i < 2; i++) {
            cs[i] = client_manual(addr, 900 + (uint64_t)i);
            CHECK_OK(ly_client_connect(cs[i]));
        }
        pump_connected(r.s, cs, 2);
        for (k = 0; k < 5; k++)
            pump_once(r.s, cs, 2, TEST_DT);
        while (ly_server_poll(r.s, &ev, buf, sizeof buf) == 1)
            ;
        CHECK_EQ(pthread_create(&t, NULL, race_ticks, &r), 0);
        for (k = 0; k < 20 + (round % 7) * 5; k++) {
            for (i = 0; i < 2; i++) {
                CHECK_OK(ly_client_update(cs[i], TEST_DT));
                if (client_state(cs[i]) == LY_STATE_CONNECTED)
                    CHECK_OK(ly_client_send(cs[i], payload, sizeof payload));
                while (ly_client_receive(cs[i], buf, sizeof buf, NULL) > 0)
                    ;
            }
            nap_us(300);
        }
        CHECK_OK(stop ? ly_server_stop(r.s) : ly_server_destroy(r.s));
        __atomic_store_n(&r.ended, 1, __ATOMIC_RELEASE);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK_EQ(r.late_ok, 0);
        CHECK_EQ(r.bad, 0);
        CHECK(r.calls > 0);
        CHECK_EQ(ly_server_update(r.s, TEST_DT), stop ? LY_ERR_NOT_RUNNING : LY_ERR_INVALID_HANDLE);
        if (stop)
            CHECK_OK(ly_server_destroy(r.s));
        for (i = 0; i < 2; i++)
            CHECK_OK(ly_client_destroy(cs[i]));
        payloads += r.payloads;
    }
    CHECK(payloads > 0);
    printf("test_tick: %d stop and %d destroy races, %lu payloads echoed by the game thread\n", rounds, rounds,
           payloads);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            n_exchange = 120;
            dt_long = 0.1;
            race_rounds = 3;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            rng = strtoull(argv[++i], NULL, 0);
        } else {
            fprintf(stderr, "usage: %s [--quick] [--seed N]\n", argv[0]);
            return 2;
        }
    }
    run_one(0, 1);
    run_one(1, 0);
    test_race(race_rounds);
    return check_summary("test_tick");
}
