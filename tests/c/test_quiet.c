/*
 * test_quiet.c - an idle server's ticks: the tick in C (capi/tick.c) with
 * no client.
 *
 * On Linux a running netcode server over UDP with no client, handshake or
 * event is steady, and ly_server_update, poll, poll_batch, flush,
 * num_connected and running then run in C: the update reads the sockets
 * itself and advances the mirror's clock, and the first datagram that is
 * not a known client's (any, with no client) goes back to Go with the
 * state. What a caller sees must not change: the clock is the sum of every
 * dt (a warning's once-a-second limit spans an idle stretch and counts it
 * exactly), a datagram is handled at once, bad dt is refused, a stopped
 * server is not running and a destroyed handle is invalid, also when the
 * destroy races an update on another thread. That the idle updates really
 * stay out of Go is checked by go test ./capi (TestQuietTicksStayInC),
 * which can count the Go entries; test_tick.c drives the same tick with
 * clients exchanging payloads. Elsewhere the same checks hold through the
 * Go path.
 *
 *   test_quiet [--rounds N]   (N races of each kind; 100, valgrind.sh 10)
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "net.h"

/* Takes every event; returns how many of type (and, for warnings, kind). */
static int drain_events(ly_server *s, uint32_t type, uint32_t reason)
{
    ly_event ev[16];
    static uint8_t buf[16 * LY_MAX_PAYLOAD_SIZE];
    int n, i, count = 0;
    while ((n = ly_server_poll_batch(s, ev, 16, buf, sizeof buf)) > 0)
        for (i = 0; i < n; i++)
            if (ev[i].type == type && ev[i].reason == reason)
                count++;
    CHECK_EQ(n, 0);
    return count;
}

/* Arguments, stop, start and destroy around quiet ticks. */
static void test_quiet_calls(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_event ev[4];
    uint8_t buf[64];
    int i;
    ly_server *s = server_start("127.0.0.1:0", 4, addr);

    for (i = 0; i < 100; i++) {
        CHECK_OK(ly_server_update(s, TEST_DT));
        CHECK_EQ(ly_server_poll_batch(s, ev, 4, buf, sizeof buf), 0);
        CHECK_OK(ly_server_flush(s));
    }
    /* Refused as before, and without ending anything. */
    CHECK_EQ(ly_server_update(s, -1.0), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_update(s, NAN), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_update(s, INFINITY), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_update(s, -INFINITY), LY_ERR_INVALID_ARGUMENT);
    CHECK_OK(ly_server_update(s, 0.0));
    CHECK_OK(ly_server_update(s, TEST_DT));
    CHECK_EQ(ly_server_update(s, -0.5), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_poll_batch(s, NULL, 4, buf, sizeof buf), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_poll_batch(s, ev, 4, NULL, sizeof buf), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_poll(s, NULL, buf, sizeof buf), LY_ERR_INVALID_ARGUMENT);
    CHECK_OK(ly_server_update(s, TEST_DT));
    memset(ev, 0x5A, sizeof ev);
    CHECK_EQ(ly_server_poll(s, &ev[0], buf, sizeof buf), 0);
    CHECK_EQ(ev[0].type, LY_EVENT_NONE);
    CHECK_EQ(ev[0].payload_size, 0);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_EQ(ly_server_running(s), 1);

    /* Stopped: not running, whatever came before. */
    for (i = 0; i < 10; i++)
        CHECK_OK(ly_server_update(s, TEST_DT));
    CHECK_OK(ly_server_stop(s));
    CHECK_EQ(ly_server_running(s), 0);
    for (i = 0; i < 10; i++) {
        CHECK_EQ(ly_server_update(s, TEST_DT), LY_ERR_NOT_RUNNING);
        CHECK_EQ(ly_server_flush(s), LY_ERR_NOT_RUNNING);
    }
    CHECK_EQ(ly_server_update(s, NAN), LY_ERR_INVALID_ARGUMENT);
    CHECK_OK(ly_server_start(s));
    for (i = 0; i < 10; i++)
        CHECK_OK(ly_server_update(s, TEST_DT));
    CHECK_EQ(ly_server_running(s), 1);

    /* Destroyed: invalid, though it was quiet a moment ago. */
    CHECK_OK(ly_server_destroy(s));
    for (i = 0; i < 10; i++) {
        CHECK_EQ(ly_server_update(s, TEST_DT), LY_ERR_INVALID_HANDLE);
        CHECK_EQ(ly_server_flush(s), LY_ERR_INVALID_HANDLE);
        CHECK_EQ(ly_server_poll_batch(s, ev, 4, buf, sizeof buf), LY_ERR_INVALID_HANDLE);
        CHECK_EQ(ly_server_poll(s, &ev[0], buf, sizeof buf), LY_ERR_INVALID_HANDLE);
        CHECK_EQ(ly_server_num_connected(s), LY_ERR_INVALID_HANDLE);
        CHECK_EQ(ly_server_running(s), LY_ERR_INVALID_HANDLE);
    }
    CHECK_EQ(ly_server_update(s, NAN), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_destroy(s), LY_ERR_INVALID_HANDLE);
}

/* A client arrives after 1000 quiet ticks, connects, falls silent and is
 * timed out after exactly its token's 5 s of dt. */
static void test_connect_after_quiet(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_event ev;
    uint8_t buf[64];
    int i, steps, done = 0;
    ly_server *s = server_start("127.0.0.1:0", 4, addr);

    for (i = 0; i < 1000; i++) {
        CHECK_OK(ly_server_update(s, TEST_DT));
        CHECK_OK(ly_server_flush(s));
    }
    c = client_manual(addr, 77);
    CHECK_OK(ly_client_connect(c));
    pump_connected(s, &c, 1);
    CHECK_EQ(drain_events(s, LY_EVENT_CONNECTED, 0), 1);
    /* Whatever the client sent is in: the clock stands still (dt 0). */
    for (i = 0; i < 20; i++) {
        CHECK_OK(ly_server_update(s, 0.0));
        nap_us(1000);
    }
    /* The client stays silent; 0.25 s steps are exact in nanoseconds. */
    for (steps = 1; steps <= 40 && !done; steps++) {
        CHECK_OK(ly_server_update(s, 0.25));
        while (ly_server_poll(s, &ev, buf, sizeof buf) == 1)
            if (ev.type == LY_EVENT_DISCONNECTED) {
                CHECK_EQ(ev.reason, LY_REASON_TIMED_OUT);
                done = steps;
            }
    }
    CHECK_EQ(done, 20);
    /* Quiet again, then destroyed with the client still around. */
    for (i = 0; i < 100; i++)
        CHECK_OK(ly_server_update(s, TEST_DT));
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* The clock across quiet ticks is the sum of their dt: the token history
 * full warning, raised at most once a second of the server's clock, comes
 * again after 1.05 s of quiet ticks (not if they were lost) and not after
 * 0.7 s (not if they counted twice). */
static void test_quiet_clock(void)
{
    ly_server_config cfg;
    ly_server *s = NULL;
    ly_client *a, *b;
    char addr[LY_ADDRESS_STRING_SIZE];
    int i;

    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = "127.0.0.1:0";
    cfg.max_clients = 4;
    cfg.token_history_size = 1;
    cfg.max_token_lifetime_seconds = -1;
    CHECK_OK(ly_server_create(&cfg, &s));
    CHECK_OK(ly_server_start(s));
    CHECK(ly_server_address(s, 0, addr, sizeof addr) > 0);

    /* A's token fills the history; A leaves. */
    a = client_manual(addr, 1);
    CHECK_OK(ly_client_connect(a));
    pump_connected(s, &a, 1);
    CHECK_OK(ly_client_destroy(a));
    for (i = 0; i < 200 && ly_server_num_connected(s) > 0; i++) {
        CHECK_OK(ly_server_update(s, 0.0));
        nap_us(1000);
    }
    CHECK_EQ(ly_server_num_connected(s), 0);
    drain_events(s, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE);

    /* B's request is refused: the first warning. */
    b = client_manual(addr, 2);
    CHECK_OK(ly_client_connect(b));
    CHECK_OK(ly_client_update(b, 0.0)); /* the request */
    nap_us(20000);
    CHECK_OK(ly_server_update(s, 0.0));
    CHECK_EQ(drain_events(s, LY_EVENT_WARNING, LY_WARNING_TOKEN_HISTORY_FULL), 1);

    /* 0.7 s of quiet ticks, then B's next request: within the second. */
    for (i = 0; i < 70; i++)
        CHECK_OK(ly_server_update(s, 0.01));
    CHECK_OK(ly_client_update(b, 0.2)); /* due again after 0.1 s */
    nap_us(20000);
    CHECK_OK(ly_server_update(s, 0.0));
    CHECK_EQ(drain_events(s, LY_EVENT_WARNING, LY_WARNING_TOKEN_HISTORY_FULL), 0);

    /* 0.35 s more: 1.05 s since the first warning. */
    for (i = 0; i < 35; i++)
        CHECK_OK(ly_server_update(s, 0.01));
    CHECK_OK(ly_client_update(b, 0.2));
    nap_us(20000);
    CHECK_OK(ly_server_update(s, 0.0));
    CHECK_EQ(drain_events(s, LY_EVENT_WARNING, LY_WARNING_TOKEN_HISTORY_FULL), 1);

    CHECK_OK(ly_client_destroy(b));
    CHECK_OK(ly_server_destroy(s));
}

/* One thread ticks a quiet server while another stops or destroys it:
 * once the stop or destroy has returned, no update may succeed. */
struct race {
    ly_server *s;
    int ended;       /* set after ly_server_stop/destroy returned */
    int late_ok;     /* updates that began after that and returned LY_OK */
    int calls;
};

static void *race_updates(void *arg)
{
    struct race *r = arg;
    for (;;) {
        int ended = __atomic_load_n(&r->ended, __ATOMIC_ACQUIRE);
        int rc = ly_server_update(r->s, TEST_DT);
        r->calls++;
        if (ended && rc == LY_OK)
            r->late_ok++;
        if (ended && rc != LY_OK)
            return NULL;
        if (rc != LY_OK && rc != LY_ERR_NOT_RUNNING && rc != LY_ERR_INVALID_HANDLE) {
            fprintf(stderr, "update: %d\n", rc);
            r->late_ok += 1000;
            return NULL;
        }
    }
}

static void test_quiet_race(int rounds)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    int round;

    for (round = 0; round < 2 * rounds; round++) {
        struct race r;
        pthread_t t;
        int stop = round % 2;
        memset(&r, 0, sizeof r);
        r.s = server_start("127.0.0.1:0", 1, addr);
        CHECK_OK(ly_server_update(r.s, TEST_DT));
        CHECK_EQ(pthread_create(&t, NULL, race_updates, &r), 0);
        nap_us(200 + (round % 7) * 100);
        CHECK_OK(stop ? ly_server_stop(r.s) : ly_server_destroy(r.s));
        __atomic_store_n(&r.ended, 1, __ATOMIC_RELEASE);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK_EQ(r.late_ok, 0);
        CHECK(r.calls > 0);
        CHECK_EQ(ly_server_update(r.s, TEST_DT), stop ? LY_ERR_NOT_RUNNING : LY_ERR_INVALID_HANDLE);
        if (stop)
            CHECK_OK(ly_server_destroy(r.s));
    }
}

int main(int argc, char **argv)
{
    int rounds = 100;
    if (argc == 3 && strcmp(argv[1], "--rounds") == 0)
        rounds = atoi(argv[2]);
    CHECK(rounds > 0);
    test_quiet_calls();
    test_connect_after_quiet();
    test_quiet_clock();
    test_quiet_race(rounds);
    return check_summary("test_quiet");
}
