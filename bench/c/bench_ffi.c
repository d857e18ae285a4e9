/*
 * bench_ffi.c - what one call into liblightyear_conn costs from C.
 *
 * Each row times many calls with CLOCK_MONOTONIC after an untimed
 * warm-up (a thread's first call into Go costs tens of microseconds) and
 * prints nanoseconds per call. ly_version is plain C inside the library:
 * the floor every other row is compared with.
 *
 * Payload rows are honest about what they time: K payloads are sent and
 * the server update that reads and decrypts them runs untimed; only the
 * draining of the K queued events is timed, by K ly_server_poll calls or
 * by ly_server_poll_batch calls of up to K events, and divided by the
 * events actually taken.
 *
 *   bench_ffi [--quick] [--iters N]
 * --quick runs few iterations: ctest uses it to keep the program working.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lightyear_conn.h"

#define PROTOCOL 0x4C59424E43480001ULL
#define BATCH 64
#define PAYLOAD 100

static uint8_t key[LY_KEY_SIZE];
static volatile uint64_t sink; /* keeps results alive */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void nap_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

static void die(const char *what, int code)
{
    fprintf(stderr, "bench_ffi: %s failed: %d %s (%s)\n", what, code, ly_error_string(code), ly_last_error());
    exit(1);
}

#define MUST(call)                                                                                 \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ < 0)                                                                               \
            die(#call, rc_);                                                                       \
    } while (0)

static void row(const char *name, long long calls, double ns, const char *note)
{
    printf("%-44s %10lld %10.1f  %s\n", name, calls, calls ? ns / (double)calls : 0.0, note);
}

/* The fixed-count rows share one shape: warm up, then time n calls. */
#define TIME_LOOP(n, body, out_ns)                                                                 \
    do {                                                                                           \
        long long i_, warm_ = (n) / 100 + 100;                                                     \
        double t0_;                                                                                \
        for (i_ = 0; i_ < warm_; i_++) {                                                           \
            body;                                                                                  \
        }                                                                                          \
        t0_ = now_ns();                                                                            \
        for (i_ = 0; i_ < (n); i_++) {                                                             \
            body;                                                                                  \
        }                                                                                          \
        (out_ns) = now_ns() - t0_;                                                                 \
    } while (0)

/* Takes every queued event with the server's clock held still. */
static void drain(ly_server *s)
{
    static uint8_t buf[BATCH * LY_MAX_PAYLOAD_SIZE];
    ly_event evs[BATCH];
    int r;
    MUST(ly_server_update(s, 0.0));
    while ((r = ly_server_poll_batch(s, evs, BATCH, buf, sizeof buf)) > 0)
        ;
    MUST(r);
}

/* Sends K payloads and lets the server read them, untimed. */
static void fill_queue(ly_server *s, ly_client *c, const uint8_t *payload)
{
    int k;
    for (k = 0; k < BATCH; k++)
        MUST(ly_client_send(c, payload, PAYLOAD));
    MUST(ly_server_update(s, 0.0));
}

int main(int argc, char **argv)
{
    static uint8_t buf[BATCH * PAYLOAD];
    long long iters = 1000000, events_wanted, events, calls, rounds, r;
    uint8_t payload[PAYLOAD];
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_server_config cfg;
    ly_server *s;
    ly_client *c;
    ly_event ev, evs[BATCH];
    double ns, t0;
    int a, st, k, got;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--quick") == 0)
            iters = 2000;
        else if (strcmp(argv[a], "--iters") == 0 && a + 1 < argc)
            iters = atoll(argv[++a]);
        else {
            fprintf(stderr, "usage: %s [--quick] [--iters N]\n", argv[0]);
            return 2;
        }
    }
    if (iters < 1)
        iters = 1;
    /* A send is a real sendto, and each payload event needs one plus a
     * decrypt outside the timed part, so these rows use fewer. */
    events_wanted = iters / 4 < BATCH ? BATCH : iters / 4;
    memset(payload, 0xAB, sizeof payload);
    MUST(ly_key_generate(key));

    /* A server on loopback; a manual client, connected, then left alone
     * so that it sends nothing of its own while rows are timed. */
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = PROTOCOL;
    memcpy(cfg.private_key, key, LY_KEY_SIZE);
    cfg.bind_addresses = "127.0.0.1:0";
    MUST(ly_server_create(&cfg, &s));
    MUST(ly_server_start(s));
    MUST(ly_server_address(s, 0, addr, sizeof addr));

    printf("lightyear_conn %u.%u.%u C FFI benchmark: CLOCK_MONOTONIC, untimed warm-up before each row\n",
           ly_version() >> 16, (ly_version() >> 8) & 0xFF, ly_version() & 0xFF);
    printf("iterations %lld (send and payload rows: %lld), %d-byte payloads, %d events per round, "
           "sizeof(ly_event) %zu\n\n",
           iters, events_wanted, PAYLOAD, BATCH, sizeof(ly_event));
    printf("%-44s %10s %10s  %s\n", "call", "calls", "ns/call", "note");

    TIME_LOOP(iters, sink += ly_version(), ns);
    row("ly_version", iters, ns, "plain C in the library: the floor");

    TIME_LOOP(iters, MUST(ly_server_running(s)), ns);
    row("ly_server_running", iters, ns, "C->Go call + handle lookup + lock: the Go floor");

    TIME_LOOP(iters, MUST(ly_server_update(s, 0.0)), ns);
    row("ly_server_update, 0 clients", iters, ns, "dt 0, no datagram waiting");

    MUST(ly_client_create_manual(addr, 1, PROTOCOL, key, LY_KEY_SIZE, NULL, &c));
    MUST(ly_client_connect(c));
    for (k = 0; k < 10000; k++) {
        MUST(ly_client_update(c, 1.0 / 60));
        MUST(ly_server_update(s, 1.0 / 60));
        MUST(ly_client_get_state(c, &st));
        if (st == LY_STATE_CONNECTED && ly_server_num_connected(s) == 1)
            break;
        nap_us(200);
    }
    if (st != LY_STATE_CONNECTED)
        die("connecting", st);
    nap_us(1000);
    drain(s);

    TIME_LOOP(iters, MUST(ly_server_update(s, 0.0)), ns);
    row("ly_server_update, 1 client", iters, ns, "dt 0, no datagram waiting");

    TIME_LOOP(iters, MUST(ly_server_poll(s, &ev, buf, LY_MAX_PAYLOAD_SIZE)), ns);
    row("ly_server_poll, nothing pending", iters, ns, "returns 0");

    TIME_LOOP(events_wanted, MUST(ly_client_send(c, payload, PAYLOAD)), ns);
    row("ly_client_send, 100 bytes", events_wanted, ns, "encrypt + sendto on loopback");
    nap_us(1000);
    drain(s);

    /* One payload per ly_server_poll. */
    for (k = 0; k < 4; k++) { /* warm-up */
        fill_queue(s, c, payload);
        drain(s);
    }
    ns = 0;
    events = rounds = calls = 0;
    while (events < events_wanted) {
        fill_queue(s, c, payload);
        t0 = now_ns();
        for (got = 0; got < BATCH; got++) {
            r = ly_server_poll(s, &ev, buf, LY_MAX_PAYLOAD_SIZE);
            calls++;
            if (r != 1)
                break;
        }
        ns += now_ns() - t0;
        if (r < 0)
            die("ly_server_poll", (int)r);
        events += got;
        rounds++;
        drain(s); /* anything that arrived late */
    }
    row("ly_server_poll, one 100-byte payload", events, ns, "per event");

    /* The same events, many per ly_server_poll_batch. */
    for (k = 0; k < 4; k++) {
        fill_queue(s, c, payload);
        drain(s);
    }
    ns = 0;
    events = rounds = calls = 0;
    while (events < events_wanted) {
        fill_queue(s, c, payload);
        t0 = now_ns();
        for (got = 0; got < BATCH;) {
            r = ly_server_poll_batch(s, evs, BATCH, buf, sizeof buf);
            calls++;
            if (r <= 0)
                break;
            got += (int)r;
        }
        ns += now_ns() - t0;
        if (r < 0)
            die("ly_server_poll_batch", (int)r);
        events += got;
        rounds++;
        drain(s);
    }
    {
        char note[96];
        snprintf(note, sizeof note, "per event; %.1f events per call, %.0f ns per call",
                 calls ? (double)events / (double)calls : 0.0, calls ? ns / (double)calls : 0.0);
        row("ly_server_poll_batch, 64 x 100-byte", events, ns, note);
    }

    MUST(ly_client_destroy(c));
    MUST(ly_server_destroy(s));
    MUST(ly_shutdown());
    return 0;
}
