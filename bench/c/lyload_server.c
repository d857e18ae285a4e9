/*
 * lyload_server.c - the "ours-c" server of cmd/lyload: our netcode server
 * driven from C through the public API, in its own process, with the loop
 * of lyload's in-process "ours" mode (cmd/lyload/server_linux.go): a fixed
 * tick, ly_server_update(dt), every event taken with ly_server_poll_batch,
 * each payload sent back with ly_server_send (batch_sends on), then
 * ly_server_flush. With --broadcast-hz, one payload stamped with the wall
 * clock goes to every client instead, at most once a tick, as in lyload.
 *
 * It speaks the protocol of the peer (netcode-peer-server.rs), so lyload
 * drives both the same way:
 *
 *   lyload_server --protocol-id <u64> --key <64 hex> --clients <n>
 *                 [--tick-us <us>] [--payload <bytes>] [--broadcast-hz <hz>]
 *                 [--unbatched]
 *   stdout {"type":"ready","addrs":["127.0.0.1:p"],"per_server":n}
 *   stdout {"type":"progress","rx":..,"tx":..}   5 times a second: payloads so far
 *   stdin  mark     opens the window (every client connected)
 *   stdin  report   prints {"type":"report",...} for the window and exits
 *
 * The report carries this process's own getrusage(RUSAGE_SELF) over the
 * window (CPU and context switches: the Go runtime's threads are in it
 * too, which is the point), the ticks run, the payloads and the server's
 * packet counters. --clients 0 runs an idle server (max_clients 1).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lightyear_conn.h"

#define BATCH 64

static void die(const char *what, int code)
{
    fprintf(stderr, "lyload_server: %s: %d %s (%s)\n", what, code, ly_error_string(code), ly_last_error());
    exit(1);
}

static void usage(const char *msg)
{
    fprintf(stderr,
            "lyload_server: %s\nusage: lyload_server --protocol-id <u64> --key <64 hex> --clients <n> "
            "[--tick-us <us>] [--payload <bytes>] [--broadcast-hz <hz>] [--unbatched]\n",
            msg);
    exit(2);
}

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static uint64_t wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

struct usage_snap {
    uint64_t cpu_ns, nvcsw, nivcsw;
};

static struct usage_snap usage_now(void)
{
    struct rusage ru;
    struct usage_snap u;
    getrusage(RUSAGE_SELF, &ru);
    u.cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
               ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
    u.nvcsw = (uint64_t)ru.ru_nvcsw;
    u.nivcsw = (uint64_t)ru.ru_nivcsw;
    return u;
}

/* Resident set size in bytes, from /proc (0 if unreadable), as the peer. */
static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtoull(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb * 1024;
}

/* Commands arrive on their own thread, which only ever sleeps in read, so
 * the game loop makes no system call to look for them (it would show in
 * the per-tick counts) and never blocks on stdin. */
static int want_mark, want_report, want_quit;

static void *read_commands(void *arg)
{
    char line[64];
    (void)arg;
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\r\n")] = 0;
        if (strcmp(line, "mark") == 0)
            __atomic_store_n(&want_mark, 1, __ATOMIC_RELEASE);
        else if (strcmp(line, "report") == 0)
            __atomic_store_n(&want_report, 1, __ATOMIC_RELEASE);
        else
            fprintf(stderr, "lyload_server: unknown command %s\n", line);
    }
    __atomic_store_n(&want_quit, 1, __ATOMIC_RELEASE); /* lyload is gone */
    return NULL;
}

static uint64_t parse_u64(const char *flag, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno != 0 || *v == 0 || *end != 0 || *v == '-') {
        fprintf(stderr, "lyload_server: %s %s: not a number\n", flag, v);
        exit(2);
    }
    return (uint64_t)x;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int main(int argc, char **argv)
{
    ly_server_config cfg;
    uint64_t clients = 0, tick_us = 16667, bcast_hz = 0, payload = 100;
    int key_set = 0, clients_set = 0, unbatched = 0;

    ly_server_config_defaults(&cfg);
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--unbatched") == 0) {
            unbatched = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage("a flag needs a value");
        const char *v = argv[++i];
        if (strcmp(f, "--protocol-id") == 0) {
            cfg.protocol_id = parse_u64(f, v);
        } else if (strcmp(f, "--key") == 0) {
            if (strlen(v) != 2 * LY_KEY_SIZE)
                usage("--key needs 64 hex digits");
            for (int j = 0; j < LY_KEY_SIZE; j++) {
                int hi = hexval(v[2 * j]), lo = hexval(v[2 * j + 1]);
                if (hi < 0 || lo < 0)
                    usage("--key needs 64 hex digits");
                cfg.private_key[j] = (uint8_t)(hi << 4 | lo);
            }
            key_set = 1;
        } else if (strcmp(f, "--clients") == 0) {
            clients = parse_u64(f, v);
            clients_set = 1;
        } else if (strcmp(f, "--tick-us") == 0) {
            tick_us = parse_u64(f, v);
        } else if (strcmp(f, "--broadcast-hz") == 0) {
            bcast_hz = parse_u64(f, v);
        } else if (strcmp(f, "--payload") == 0) {
            payload = parse_u64(f, v);
        } else {
            usage("unknown flag");
        }
    }
    if (!key_set || !clients_set || clients > 1048576 || payload < 8 || payload > LY_MAX_PAYLOAD_SIZE)
        usage("need --key, --clients (0..1048576) and --payload in 8..1200");
    if (tick_us == 0)
        tick_us = 1;

    /* As lyload's newOursServer: 127.0.0.1, port 0, room for exactly the
     * clients (at least one). */
    uint64_t rss0 = rss_bytes();
    ly_server *s = NULL;
    int rc;
    cfg.bind_addresses = "127.0.0.1:0";
    cfg.max_clients = clients > 0 ? (uint32_t)clients : 1;
    cfg.batch_sends = !unbatched;
    if ((rc = ly_server_create(&cfg, &s)) != LY_OK)
        die("ly_server_create", rc);
    if ((rc = ly_server_start(s)) != LY_OK)
        die("ly_server_start", rc);
    char addr[LY_ADDRESS_STRING_SIZE];
    if ((rc = ly_server_address(s, 0, addr, sizeof addr)) < 0)
        die("ly_server_address", rc);
    printf("{\"type\":\"ready\",\"addrs\":[\"%s\"],\"per_server\":%" PRIu64 "}\n", addr, clients);
    fflush(stdout);

    pthread_t cmd_thread;
    if (pthread_create(&cmd_thread, NULL, read_commands, NULL) != 0) {
        fprintf(stderr, "lyload_server: pthread_create failed\n");
        return 1;
    }

    static uint8_t buf[BATCH * LY_MAX_PAYLOAD_SIZE];
    static uint8_t bcast[LY_MAX_PAYLOAD_SIZE];
    ly_event ev[BATCH];
    const int64_t tick = (int64_t)tick_us * 1000;
    const int64_t bcast_period = bcast_hz > 0 ? 1000000000 / (int64_t)bcast_hz : 0;
    uint64_t prx = 0, ptx = 0, broadcasts = 0, ticks = 0;
    int64_t last = mono_ns(), next = last, next_bcast = 0, next_progress = last;
    /* The window, opened by "mark". */
    int marked = 0, at_mark = 0;
    int64_t t0 = 0;
    uint64_t prx0 = 0, ptx0 = 0, b0 = 0, ticks0 = 0, rss_mark = 0;
    struct usage_snap u0 = {0, 0, 0};
    ly_stats st0;
    memset(&st0, 0, sizeof st0);

    for (;;) {
        next += tick;
        int64_t d = next - mono_ns();
        if (d > 0) {
            struct timespec ts = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
            }
        } else if (d < -tick) {
            next = mono_ns(); /* fell behind: do not try to catch up */
        }
        int64_t now = mono_ns();
        int do_bcast = 0;
        if (marked && bcast_period > 0 && now >= next_bcast) {
            uint64_t w = wall_ns();
            memcpy(bcast, &w, 8); /* little-endian, as lyload reads it */
            do_bcast = 1;
            broadcasts++;
            next_bcast += bcast_period;
        }

        /* One tick, as oursServer.tick. */
        if ((rc = ly_server_update(s, (double)(now - last) / 1e9)) != LY_OK)
            die("ly_server_update", rc);
        if (do_bcast) {
            int c = ly_server_num_connected(s);
            if (c < 0)
                die("ly_server_num_connected", c);
            ptx += (uint64_t)c; /* the broadcast below: one each */
        }
        int n;
        while ((n = ly_server_poll_batch(s, ev, BATCH, buf, sizeof buf)) > 0) {
            for (int i = 0; i < n; i++) {
                if (ev[i].type != LY_EVENT_PAYLOAD)
                    continue;
                prx++;
                if (!do_bcast) {
                    rc = ly_server_send(s, ev[i].client, buf + ev[i].payload_offset, ev[i].payload_size);
                    if (rc != LY_OK)
                        die("ly_server_send", rc);
                    ptx++;
                }
            }
        }
        if (n < 0)
            die("ly_server_poll_batch", n);
        if (do_bcast && (rc = ly_server_broadcast(s, bcast, (uint32_t)payload)) != LY_OK)
            die("ly_server_broadcast", rc);
        /* Like a game server: the tick's sends leave together. */
        if ((rc = ly_server_flush(s)) != LY_OK)
            die("ly_server_flush", rc);
        last = now;
        ticks++;

        /* Commands after the tick, where lyload reads its clock for ours. */
        if (__atomic_exchange_n(&want_mark, 0, __ATOMIC_ACQ_REL)) {
            rss_mark = rss_bytes();
            at_mark = ly_server_num_connected(s);
            st0.struct_size = sizeof st0;
            if ((rc = ly_server_stats(s, &st0)) != LY_OK)
                die("ly_server_stats", rc);
            prx0 = prx, ptx0 = ptx, b0 = broadcasts, ticks0 = ticks;
            /* ly_server_stats entered Go, which the loop's ticks do not
             * (the tick in C): the runtime's monitor thread then spins down
             * in 20 us sleeps for a few ms. That is the harness's call,
             * not the loop's, so it settles before the window opens. The
             * datagrams that arrive meanwhile are read by the next tick,
             * inside the window, like the counters they go into. */
            struct timespec settle = {0, 30 * 1000 * 1000};
            nanosleep(&settle, NULL);
            u0 = usage_now();
            t0 = mono_ns();
            marked = 1;
            next_bcast = t0;
        }
        if (__atomic_load_n(&want_report, __ATOMIC_ACQUIRE)) {
            struct usage_snap u1 = usage_now();
            int64_t end = mono_ns();
            ly_stats st1;
            memset(&st1, 0, sizeof st1);
            st1.struct_size = sizeof st1;
            if (!marked) {
                fprintf(stderr, "lyload_server: report before mark\n");
                return 1;
            }
            if ((rc = ly_server_stats(s, &st1)) != LY_OK)
                die("ly_server_stats", rc);
            int connected = ly_server_num_connected(s);
            printf("{\"type\":\"report\",\"cpu_ns\":%" PRIu64 ",\"window_ns\":%" PRId64 ",\"rx\":%" PRIu64
                   ",\"tx\":%" PRIu64 ",\"broadcasts\":%" PRIu64
                   ",\"connected_at_mark\":%d,\"connected\":%d,\"servers\":1,\"rss_before_bytes\":%" PRIu64
                   ",\"rss_bytes\":%" PRIu64 ",\"ticks\":%" PRIu64 ",\"nvcsw\":%" PRIu64 ",\"nivcsw\":%" PRIu64
                   ",\"packets_rx\":%" PRIu64 ",\"packets_tx\":%" PRIu64 "}\n",
                   u1.cpu_ns - u0.cpu_ns, end - t0, prx - prx0, ptx - ptx0, broadcasts - b0, at_mark, connected,
                   rss0, rss_mark, ticks - ticks0, u1.nvcsw - u0.nvcsw, u1.nivcsw - u0.nivcsw,
                   st1.packets_received - st0.packets_received, st1.packets_sent - st0.packets_sent);
            fflush(stdout);
            ly_server_destroy(s);
            return 0;
        }
        if (__atomic_load_n(&want_quit, __ATOMIC_ACQUIRE)) {
            ly_server_destroy(s);
            return 0;
        }
        if (now >= next_progress) {
            printf("{\"type\":\"progress\",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 "}\n", prx, ptx);
            fflush(stdout);
            next_progress += 200000000;
        }
    }
}
