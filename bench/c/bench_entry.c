/* What a host's signal handlers cost per call and per tick.
 *
 * A thread calling into the library blocks the asynchronous signals the
 * host handled when the library loaded, for the length of the call (two
 * system calls; capi/entry.c). A host with no such handler pays nothing.
 * This program loads the library itself, after installing handlers the
 * way Mono does (--host-handlers) or none, and measures:
 *   - ns per call of ly_server_running (a minimal call into Go);
 *   - µs per tick of a local-only server with K local clients, each of
 *     which sends one 100-byte payload a tick that the server echoes.
 * bench/entry-cost.sh runs both kinds side by side and prints the ratios.
 *
 *   bench_entry <liblightyear_conn.so> [--host-handlers] [--seconds S] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lightyear_conn.h"

static struct {
    void (*server_config_defaults)(ly_server_config *);
    int (*server_create)(const ly_server_config *, ly_server **);
    int (*server_start)(ly_server *);
    int (*server_running)(ly_server *);
    int (*server_update)(ly_server *, double);
    int (*server_poll_batch)(ly_server *, ly_event *, uint32_t, uint8_t *, uint32_t);
    int (*server_send)(ly_server *, ly_client_id, const uint8_t *, uint32_t);
    int (*server_flush)(ly_server *);
    int (*server_connect_local)(ly_server *, uint64_t, ly_client **);
    int (*server_destroy)(ly_server *);
    int (*client_send)(ly_client *, const uint8_t *, uint32_t);
    int (*client_update)(ly_client *, double);
    int (*client_receive)(ly_client *, uint8_t *, uint32_t, uint32_t *);
    int (*key_generate)(uint8_t *);
} ly;

static void sym(void *h, void *out, const char *name) {
    void *p = dlsym(h, name);
    if (p == NULL) {
        fprintf(stderr, "bench_entry: %s: %s\n", name, dlerror());
        exit(1);
    }
    memcpy(out, &p, sizeof p);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void on_signal(int sig) { (void)sig; }

static ly_server *local_server(void) {
    ly_server_config cfg;
    ly_server *s = NULL;
    ly.server_config_defaults(&cfg);
    cfg.protocol_id = 7;
    ly.key_generate(cfg.private_key);
    if (ly.server_create(&cfg, &s) != LY_OK || ly.server_start(s) != LY_OK) {
        fprintf(stderr, "bench_entry: could not make a server\n");
        exit(1);
    }
    return s;
}

/* One tick: every client sends and updates, the server updates, polls
 * the payloads in one batch, echoes each and flushes, every client reads. */
static void tick(ly_server *s, ly_client **c, int k, ly_event *ev, uint8_t *buf, uint32_t buf_size) {
    static const uint8_t payload[100];
    uint8_t in[LY_MAX_PAYLOAD_SIZE];
    for (int i = 0; i < k; i++) {
        ly.client_send(c[i], payload, sizeof payload);
        ly.client_update(c[i], 1.0 / 60);
    }
    ly.server_update(s, 1.0 / 60);
    int n = ly.server_poll_batch(s, ev, 64, buf, buf_size);
    for (int i = 0; i < n; i++)
        if (ev[i].type == LY_EVENT_PAYLOAD)
            ly.server_send(s, ev[i].client, buf + ev[i].payload_offset, ev[i].payload_size);
    ly.server_flush(s);
    for (int i = 0; i < k; i++) {
        ly.client_update(c[i], 0);
        while (ly.client_receive(c[i], in, sizeof in, NULL) > 0) {
        }
    }
}

int main(int argc, char **argv) {
    int handlers = 0;
    double seconds = 1;
    if (argc < 2) {
        fprintf(stderr, "usage: bench_entry <liblightyear_conn.so> [--host-handlers] [--seconds S]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--host-handlers") == 0)
            handlers = 1;
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
    }
    if (handlers) {
        /* What Mono installs before it loads a native plugin (among others). */
        int sigs[] = {SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGXCPU, SIGCHLD, SIGQUIT};
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            sigaction(sigs[i], &sa, NULL);
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "bench_entry: %s\n", dlerror());
        return 1;
    }
    sym(h, &ly.server_config_defaults, "ly_server_config_defaults");
    sym(h, &ly.server_create, "ly_server_create");
    sym(h, &ly.server_start, "ly_server_start");
    sym(h, &ly.server_running, "ly_server_running");
    sym(h, &ly.server_update, "ly_server_update");
    sym(h, &ly.server_poll_batch, "ly_server_poll_batch");
    sym(h, &ly.server_send, "ly_server_send");
    sym(h, &ly.server_flush, "ly_server_flush");
    sym(h, &ly.server_connect_local, "ly_server_connect_local");
    sym(h, &ly.server_destroy, "ly_server_destroy");
    sym(h, &ly.client_send, "ly_client_send");
    sym(h, &ly.client_update, "ly_client_update");
    sym(h, &ly.client_receive, "ly_client_receive");
    sym(h, &ly.key_generate, "ly_key_generate");

    ly_server *s = local_server();
    long calls = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 1000; i++)
            ly.server_running(s);
        calls += 1000;
        t = now();
    } while (t - t0 < seconds);
    printf("%s call ns %.1f\n", handlers ? "handlers" : "none", (t - t0) / (double)calls * 1e9);

    static uint8_t buf[64 * LY_MAX_PAYLOAD_SIZE];
    ly_event ev[64];
    int ks[] = {1, 10};
    for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
        int k = ks[j];
        ly_client *c[16];
        for (int i = 0; i < k; i++)
            ly.server_connect_local(s, (uint64_t)(100 * j + i + 1), &c[i]);
        for (int i = 0; i < 10; i++) /* connect */
            tick(s, c, k, ev, buf, sizeof buf);
        long ticks = 0;
        t0 = now();
        do {
            tick(s, c, k, ev, buf, sizeof buf);
            ticks++;
            t = now();
        } while (t - t0 < seconds);
        printf("%s tick%d us %.2f\n", handlers ? "handlers" : "none", k, (t - t0) / (double)ticks * 1e6);
    }
    ly.server_destroy(s);
    return 0;
}
