/*
 * test_threads.c - the header's threading promise: any function from any
 * thread, calls on one handle serialised inside the library.
 *
 *  1. Eight threads hammer ONE server handle for about 2 s with every
 *     server call (sends to random ids, unknown ones included) while two
 *     clients are updated, send and receive on two more threads.
 *  2. A handle destroyed while another thread uses it: that thread gets
 *     LY_ERR_INVALID_HANDLE from then on, never a crash. Done for a client
 *     and for a server; two threads destroying one handle at once get
 *     exactly one LY_OK; and ly_shutdown pulls both kinds from under a
 *     busy thread.
 *
 * It passes if nothing crashes or hangs (watchdog) and every result is one
 * the header documents for that call in that situation.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "net.h"
#include "platform.h"

enum { HAMMERS = 8, CLIENTS = 2 };
#define HAMMER_SECONDS 2.0

static ly_server *server;
static ly_client *clients[CLIENTS];
static ly_client_id client_ids[CLIENTS];
static int stop_flag;
static long long ops_total;

static int stopped(void) { return __atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST); }

static uint32_t next_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One of the connected ids, or one nobody has. */
static ly_client_id random_id(uint32_t *rng)
{
    ly_client_id id = {0, LY_KIND_NETCODE, 0};
    uint32_t r = next_rand(rng) % 4;
    if (r < CLIENTS)
        return client_ids[r];
    id.id = r == 2 ? 999999 : client_ids[0].id;
    id.kind = r == 2 ? LY_KIND_NETCODE : LY_KIND_STEAM; /* same number, other backend */
    return id;
}

static int known(ly_client_id id)
{
    int i;
    for (i = 0; i < CLIENTS; i++)
        if (id.id == client_ids[i].id && id.kind == client_ids[i].kind)
            return 1;
    return 0;
}

static void *hammer(void *arg)
{
    uint32_t rng = 0x9E3779B9u * (uint32_t)(uintptr_t)arg + 1;
    static const uint8_t data[LY_MAX_PAYLOAD_SIZE] = {1, 2, 3};
    uint8_t buf[4 * LY_MAX_PAYLOAD_SIZE], ud[LY_USER_DATA_SIZE];
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client_id ids[8];
    ly_event evs[8];
    long long ops = 0;
    int r, i;

    while (!stopped()) {
        ly_client_id id = random_id(&rng);
        uint32_t size = 1 + next_rand(&rng) % LY_MAX_PAYLOAD_SIZE;
        switch (next_rand(&rng) % 11) {
        case 0:
            CHECK_OK(ly_server_update(server, (double)(next_rand(&rng) % 20) / 1000.0));
            break;
        case 1:
            r = ly_server_send(server, id, data, size);
            CHECK_EQ(r, known(id) ? LY_OK : LY_ERR_UNKNOWN_CLIENT);
            break;
        case 2:
            CHECK_OK(ly_server_broadcast(server, data, size));
            break;
        case 3:
            r = ly_server_poll(server, &evs[0], buf, LY_MAX_PAYLOAD_SIZE);
            CHECK(r == 0 || r == 1);
            if (r == 1)
                CHECK(evs[0].type == LY_EVENT_PAYLOAD && known(evs[0].client));
            break;
        case 4:
            r = ly_server_poll_batch(server, evs, 8, buf, sizeof buf);
            CHECK(r >= 0 && r <= 8);
            for (i = 0; i < r; i++)
                CHECK(evs[i].type == LY_EVENT_PAYLOAD &&
                      evs[i].payload_offset + evs[i].payload_size <= sizeof buf);
            break;
        case 5:
            CHECK_EQ(ly_server_connected_ids(server, ids, 8), CLIENTS);
            CHECK(known(ids[0]) && known(ids[1]));
            break;
        case 6:
            CHECK_EQ(ly_server_num_connected(server), CLIENTS);
            break;
        case 7:
            r = ly_server_client_address(server, id, addr, sizeof addr);
            CHECK(known(id) ? r > 0 : r == LY_ERR_UNKNOWN_CLIENT);
            break;
        case 8:
            r = ly_server_client_user_data(server, id, ud);
            CHECK_EQ(r, known(id) ? LY_OK : LY_ERR_UNKNOWN_CLIENT);
            break;
        case 9:
            CHECK_EQ(ly_server_running(server), 1);
            CHECK_EQ(ly_server_max_clients(server), 16);
            break;
        default:
            CHECK(ly_server_address(server, 0, addr, sizeof addr) > 0);
            break;
        }
        ops++;
    }
    __atomic_add_fetch(&ops_total, ops, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Drives one client as a game thread would. */
static void *client_loop(void *arg)
{
    ly_client *c = clients[(uintptr_t)arg];
    uint8_t out[100], in[LY_MAX_PAYLOAD_SIZE];
    long long ops = 0;
    int r;

    memset(out, (int)(uintptr_t)arg, sizeof out);
    while (!stopped()) {
        CHECK_OK(ly_client_update(c, 0.005));
        CHECK_EQ(client_state(c), LY_STATE_CONNECTED);
        CHECK_OK(ly_client_send(c, out, sizeof out));
        while ((r = ly_client_receive(c, in, sizeof in, NULL)) > 0)
            ops++;
        CHECK_EQ(r, 0);
        ops += 3;
        nap_us(100);
    }
    __atomic_add_fetch(&ops_total, ops, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_hammer(void)
{
    static uint8_t tok[LY_CONNECT_TOKEN_SIZE];
    pthread_t th[HAMMERS + CLIENTS];
    ly_token_params p;
    ly_client_config cc;
    char addr[LY_ADDRESS_STRING_SIZE];
    double t0;
    uintptr_t i;

    server = server_start("127.0.0.1:0", 16, addr);
    /* No timeouts: eight threads updating advance the server's clock much
     * faster than the clients', which would otherwise look like silence. */
    ly_token_params_defaults(&p);
    p.protocol_id = TEST_PROTOCOL;
    p.private_key = test_key;
    p.public_addresses = addr;
    p.timeout_seconds = 0;
    p.expire_seconds = -1;
    ly_client_config_defaults(&cc);
    for (i = 0; i < CLIENTS; i++) {
        p.client_id = cc.client_id = 500 + i;
        CHECK_OK(ly_token_generate(&p, tok, sizeof tok));
        CHECK_OK(ly_client_create(tok, sizeof tok, &cc, &clients[i]));
        CHECK_OK(ly_client_connect(clients[i]));
        CHECK_OK(ly_client_id_of(clients[i], &client_ids[i]));
    }
    pump_connected(server, clients, CLIENTS);
    {
        ly_event ev;
        while (ly_server_poll(server, &ev, NULL, 0) == 1) /* the two CONNECTED events */
            CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
    }

    t0 = now_seconds();
    for (i = 0; i < HAMMERS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, hammer, (void *)i), 0);
    for (i = 0; i < CLIENTS; i++)
        CHECK_EQ(pthread_create(&th[HAMMERS + i], NULL, client_loop, (void *)i), 0);
    while (now_seconds() - t0 < HAMMER_SECONDS)
        nap_us(10000);
    __atomic_store_n(&stop_flag, 1, __ATOMIC_SEQ_CST);
    for (i = 0; i < HAMMERS + CLIENTS; i++)
        CHECK_EQ(pthread_join(th[i], NULL), 0);
    printf("hammer: %lld calls in %.1f s from %d threads\n", ops_total, now_seconds() - t0, HAMMERS + CLIENTS);
    CHECK(ops_total > 1000);

    CHECK_EQ(ly_server_num_connected(server), CLIENTS);
    for (i = 0; i < CLIENTS; i++)
        CHECK_OK(ly_client_destroy(clients[i]));
    CHECK_OK(ly_server_destroy(server));
}

/* ------------------------------------------------------------------ */

struct victim {
    ly_client *client;
    ly_server *server;
    int destroyed; /* set once the destroying call has returned */
    long long before, after;
};

/* Before the destroy returned, the call's normal answer or
 * LY_ERR_INVALID_HANDLE is right (it may already have been destroyed);
 * once it has returned (done), only LY_ERR_INVALID_HANDLE. */
#define VICTIM_CHECK(call, ok)                                                                     \
    do {                                                                                           \
        r = (call);                                                                                \
        if (done)                                                                                  \
            CHECK_EQ(r, LY_ERR_INVALID_HANDLE);                                                    \
        else                                                                                       \
            CHECK((ok) || r == LY_ERR_INVALID_HANDLE);                                             \
    } while (0)

static void *use_client(void *arg)
{
    struct victim *v = arg;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE] = {7};
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client_id id;
    int r, st, done;

    do {
        done = __atomic_load_n(&v->destroyed, __ATOMIC_SEQ_CST);
        VICTIM_CHECK(ly_client_update(v->client, 0.001), r == LY_OK);
        VICTIM_CHECK(ly_client_send(v->client, buf, 10), r == LY_OK || r == LY_ERR_NOT_CONNECTED);
        VICTIM_CHECK(ly_client_receive(v->client, buf, sizeof buf, NULL), r >= 0);
        VICTIM_CHECK(ly_client_get_state(v->client, &st), r == LY_OK);
        VICTIM_CHECK(ly_client_local_address(v->client, addr, sizeof addr), r >= 0);
        VICTIM_CHECK(ly_client_id_of(v->client, &id), r == LY_OK);
        VICTIM_CHECK(ly_client_disconnect_reason(v->client), r >= LY_REASON_NONE);
        if (done)
            v->after++;
        else
            __atomic_add_fetch(&v->before, 1, __ATOMIC_SEQ_CST);
    } while (!done);
    return NULL;
}

static void *use_server(void *arg)
{
    struct victim *v = arg;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE] = {7};
    ly_client_id nobody = {1, LY_KIND_NETCODE, 0};
    ly_event ev;
    int r, done;

    do {
        done = __atomic_load_n(&v->destroyed, __ATOMIC_SEQ_CST);
        VICTIM_CHECK(ly_server_update(v->server, 0.001), r == LY_OK);
        VICTIM_CHECK(ly_server_broadcast(v->server, buf, 10), r == LY_OK);
        VICTIM_CHECK(ly_server_send(v->server, nobody, buf, 10), r == LY_ERR_UNKNOWN_CLIENT);
        VICTIM_CHECK(ly_server_poll(v->server, &ev, buf, sizeof buf), r == 0 || r == 1);
        VICTIM_CHECK(ly_server_num_connected(v->server), r >= 0);
        VICTIM_CHECK(ly_server_running(v->server), r == 1);
        if (done)
            v->after++;
        else
            __atomic_add_fetch(&v->before, 1, __ATOMIC_SEQ_CST);
    } while (!done);
    return NULL;
}

/* Uses a server and a client at once, for ly_shutdown to pull away. */
static void *use_both(void *arg)
{
    struct victim *v = arg;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE] = {7};
    ly_event ev;
    int r, done;

    do {
        done = __atomic_load_n(&v->destroyed, __ATOMIC_SEQ_CST);
        VICTIM_CHECK(ly_server_update(v->server, 0.001), r == LY_OK);
        VICTIM_CHECK(ly_server_poll(v->server, &ev, buf, sizeof buf), r == 0 || r == 1);
        VICTIM_CHECK(ly_client_update(v->client, 0.001), r == LY_OK);
        VICTIM_CHECK(ly_client_send(v->client, buf, 10), r == LY_OK || r == LY_ERR_NOT_CONNECTED);
        if (done)
            v->after++;
        else
            __atomic_add_fetch(&v->before, 1, __ATOMIC_SEQ_CST);
    } while (!done);
    return NULL;
}

struct racer {
    pthread_barrier_t *barrier;
    ly_client *client;
    int result;
};

static void *destroy_at_once(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->barrier);
    r->result = ly_client_destroy(r->client);
    return NULL;
}

/* Lets the victim thread run: until it has finished a first round of
 * calls (a loaded machine may start it late), then us more microseconds. */
static void wait_busy(struct victim *v, int us)
{
    int i;
    for (i = 0; i < 10000 && __atomic_load_n(&v->before, __ATOMIC_SEQ_CST) == 0; i++)
        nap_us(1000);
    nap_us(us);
}

static void test_destroy_in_use(void)
{
    ly_server *s;
    ly_client *c;
    struct victim v;
    pthread_t t, t2;
    pthread_barrier_t barrier;
    struct racer r1, r2;
    char addr[LY_ADDRESS_STRING_SIZE];
    int round;

    s = server_start("127.0.0.1:0", 4, addr);
    for (round = 0; round < 3; round++) {
        /* A connected client, destroyed under a busy thread. */
        c = client_manual(addr, 700 + (uint64_t)round);
        CHECK_OK(ly_client_connect(c));
        pump_connected(s, &c, 1);
        memset(&v, 0, sizeof v);
        v.client = c;
        CHECK_EQ(pthread_create(&t, NULL, use_client, &v), 0);
        wait_busy(&v, 20000 + round * 5000);
        CHECK_OK(ly_client_destroy(c));
        __atomic_store_n(&v.destroyed, 1, __ATOMIC_SEQ_CST);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK(v.before > 0 && v.after == 1);
        CHECK_EQ(ly_client_destroy(c), LY_ERR_INVALID_HANDLE);
        {
            ly_event ev;
            while (ly_server_poll(s, &ev, NULL, 0) == 1)
                ;
        }
    }

    /* A running server, destroyed under a busy thread. */
    memset(&v, 0, sizeof v);
    v.server = s;
    CHECK_EQ(pthread_create(&t, NULL, use_server, &v), 0);
    wait_busy(&v, 20000);
    CHECK_OK(ly_server_destroy(s));
    __atomic_store_n(&v.destroyed, 1, __ATOMIC_SEQ_CST);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(v.before > 0 && v.after == 1);

    /* Two threads destroy one handle at the same moment: one wins. */
    CHECK_EQ(pthread_barrier_init(&barrier, NULL, 2), 0);
    for (round = 0; round < 20; round++) {
        c = client_manual("127.0.0.1:9", 800);
        r1.barrier = r2.barrier = &barrier;
        r1.client = r2.client = c;
        CHECK_EQ(pthread_create(&t, NULL, destroy_at_once, &r1), 0);
        CHECK_EQ(pthread_create(&t2, NULL, destroy_at_once, &r2), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK_EQ(pthread_join(t2, NULL), 0);
        CHECK((r1.result == LY_OK && r2.result == LY_ERR_INVALID_HANDLE) ||
              (r2.result == LY_OK && r1.result == LY_ERR_INVALID_HANDLE));
    }
    pthread_barrier_destroy(&barrier);

    /* ly_shutdown under a busy thread: afterwards every handle is dead. */
    memset(&v, 0, sizeof v);
    v.server = server_start("127.0.0.1:0", 4, addr);
    v.client = client_manual(addr, 900);
    CHECK_OK(ly_client_connect(v.client));
    pump_connected(v.server, &v.client, 1);
    CHECK_EQ(pthread_create(&t, NULL, use_both, &v), 0);
    wait_busy(&v, 20000);
    CHECK_OK(ly_shutdown());
    __atomic_store_n(&v.destroyed, 1, __ATOMIC_SEQ_CST);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(v.before > 0 && v.after == 1);
}

int main(void)
{
    test_watchdog(25); /* a deadlock is a failure, never a stuck test run */
    test_hammer();
    test_destroy_in_use();
    return check_summary("test_threads");
}
