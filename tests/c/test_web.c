/*
 * test_web.c - browser transports configured from C: one server made
 * with "udp://127.0.0.1:0,ws://127.0.0.1:0,wt://127.0.0.1:0" serves a C
 * client over UDP and, meanwhile, the Go browser-transport client
 * (tests/web/client, as a browser connects: WebSocket, and WebTransport
 * pinned to the hashes ly_server_web_cert_hashes reports) through the
 * same ly_server_poll / ly_server_send echo. Checks the events, the
 * client addresses, ly_server_web_stats, that the certificate the wt
 * client was presented is the newest hash reported, and that a wrong pin
 * is refused.
 *
 *   test_web <web client binary> <scratch directory>
 * (web_test.sh builds the client and makes the directory.) Linux only:
 * it spawns the client with posix_spawn and kills it after 30 s.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "net.h"

extern char **environ;

#define EXCHANGE 200 /* payloads each browser client sends and gets back */

static const char *helper, *dir;
static ly_server *srv;
static ly_client *udp; /* stays connected while the browser clients come and go */
static uint8_t buf[LY_MAX_PAYLOAD_SIZE];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The address a bound listener got, without the scheme ly_server_address
 * puts before a browser listener's. */
static void bound(uint32_t index, const char *scheme, char *addr)
{
    char full[LY_ADDRESS_STRING_SIZE + 8];
    size_t n = strlen(scheme);
    CHECK(ly_server_address(srv, index, full, sizeof full) > 0);
    if (n) {
        CHECK(strncmp(full, scheme, n) == 0 && strncmp(full + n, "://", 3) == 0);
        n += 3;
    }
    snprintf(addr, LY_ADDRESS_STRING_SIZE, "%s", full + n);
}

static void write_token(const char *addr, uint64_t client_id, const char *path)
{
    ly_token_params p;
    uint8_t tok[LY_CONNECT_TOKEN_SIZE];
    FILE *f;
    ly_token_params_defaults(&p);
    p.protocol_id = TEST_PROTOCOL;
    p.client_id = client_id;
    p.private_key = test_key;
    p.public_addresses = addr;
    p.expire_seconds = 60;
    CHECK_OK(ly_token_generate(&p, tok, sizeof tok));
    f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(tok, 1, sizeof tok, f), sizeof tok);
    CHECK_EQ(fclose(f), 0);
}

/* What the server saw of one browser client. */
struct seen {
    uint64_t id;
    int connected, disconnected, payloads;
    char address[LY_ADDRESS_STRING_SIZE];
};

/* One step: the UDP client, the server, the echo. The clock follows the
 * real one: the web client runs on it, and a slow machine (valgrind) must
 * not make its keep-alives look late. */
static void step(struct seen *s)
{
    static double last;
    double t = now_s(), dt = last > 0 && t > last ? t - last : 0.005;
    ly_event ev;
    int r;
    last = t;
    CHECK_OK(ly_client_update(udp, dt));
    CHECK_OK(ly_server_update(srv, dt));
    while ((r = ly_server_poll(srv, &ev, buf, sizeof buf)) == 1) {
        if (ev.client.kind == LY_KIND_NETCODE && ev.client.id == s->id) {
            if (ev.type == LY_EVENT_CONNECTED) {
                s->connected++;
                CHECK(ly_server_client_address(srv, ev.client, s->address, sizeof s->address) > 0);
            } else if (ev.type == LY_EVENT_DISCONNECTED) {
                s->disconnected++;
                CHECK_EQ(ev.reason, LY_REASON_REMOTE);
            } else if (ev.type == LY_EVENT_PAYLOAD) {
                s->payloads++;
            }
        }
        if (ev.type == LY_EVENT_PAYLOAD)
            CHECK_OK(ly_server_send(srv, ev.client, buf, ev.payload_size));
    }
    CHECK_EQ(r, 0);
    while (ly_client_receive(udp, buf, sizeof buf, NULL) > 0) /* the UDP client's echoes */
        ;
    nap_us(2000);
}

/* Runs the web client (argv, NULL-ended) while stepping the server; its
 * stdout goes to out. Returns its exit status, -1 if it was killed. */
static int run_client(char *const argv[], const char *out, struct seen *s)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0;
    double deadline = now_s() + 30;
    CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
    CHECK_EQ(posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
    CHECK_EQ(posix_spawn(&pid, helper, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        CHECK(w >= 0);
        if (w == pid)
            break;
        if (now_s() > deadline) {
            fprintf(stderr, "test_web: %s still running after 30 s: killed\n", argv[4]);
            kill(pid, SIGKILL);
            CHECK_EQ(waitpid(pid, &status, 0), pid);
            return -1;
        }
        step(s);
    }
    /* The client's disconnect packets may still be on their way. */
    for (int i = 0; i < 1000 && s->disconnected == 0; i++)
        step(s);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void hex(const uint8_t *h, char *out)
{
    for (int i = 0; i < LY_WEB_CERT_HASH_SIZE; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

int main(int argc, char **argv)
{
    ly_server_config cfg;
    ly_web_options wo;
    ly_web_stats ws;
    char udp_addr[LY_ADDRESS_STRING_SIZE], ws_addr[LY_ADDRESS_STRING_SIZE], wt_addr[LY_ADDRESS_STRING_SIZE];
    char tok[512], out[512], url[128], pins[3 * 65], line[256];
    char n[16];
    uint8_t hashes[4 * LY_WEB_CERT_HASH_SIZE];
    uint32_t count = 0;
    int k;
    if (argc != 3) {
        fprintf(stderr, "usage: test_web <web client binary> <scratch directory>\n");
        return 2;
    }
    helper = argv[1];
    dir = argv[2];
    snprintf(n, sizeof n, "%d", EXCHANGE);

    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = "udp://127.0.0.1:0,ws://127.0.0.1:0,wt://127.0.0.1:0";
    CHECK_OK(ly_server_create(&cfg, &srv));
    /* Options from C: the wt certificates valid 2 days, a path, limits. */
    ly_web_options_defaults(&wo);
    CHECK_EQ(wo.struct_size, sizeof wo);
    wo.cert_validity_seconds = 2 * 86400;
    wo.path = "/netcode";
    wo.max_sessions = 4;
    wo.max_sessions_per_ip = 2;
    wo.idle_timeout_ms = 5000;
    CHECK_OK(ly_server_set_web_options(srv, &wo));
    CHECK_OK(ly_server_start(srv));
    CHECK_EQ(ly_server_set_web_options(srv, &wo), LY_ERR_ALREADY_ACTIVE);
    bound(0, "", udp_addr);
    bound(1, "ws", ws_addr);
    bound(2, "wt", wt_addr);
    CHECK_EQ(ly_server_address(srv, 3, line, sizeof line), LY_ERR_INVALID_ARGUMENT);

    /* A UDP client from C, connected through the whole run. */
    CHECK_OK(ly_client_create_manual(udp_addr, 1, TEST_PROTOCOL, test_key, LY_KEY_SIZE, NULL, &udp));
    CHECK_OK(ly_client_connect(udp));
    pump_connected(srv, &udp, 1);
    {
        ly_event ev;
        wait_event(srv, &udp, 1, &ev, buf, sizeof buf);
        CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
    }

    /* The hashes a page would pin: one certificate so far. */
    k = ly_server_web_cert_hashes(srv, hashes, 4, &count);
    CHECK_EQ(k, 1);
    CHECK_EQ(count, 1);
    hex(hashes, pins);

    for (k = 0; k < 2; k++) {
        struct seen s;
        FILE *f;
        int presented = 0;
        memset(&s, 0, sizeof s);
        s.id = 100 + (uint64_t)k;
        snprintf(tok, sizeof tok, "%s/token%d.bin", dir, k);
        snprintf(out, sizeof out, "%s/client%d.out", dir, k);
        write_token(k == 0 ? ws_addr : wt_addr, s.id, tok);
        if (k == 0) {
            snprintf(url, sizeof url, "ws://%s/netcode", ws_addr);
            char *args[] = {(char *)helper, "-token", tok, "-url", url, "-n", n, NULL};
            CHECK_EQ(run_client(args, out, &s), 0);
        } else {
            snprintf(url, sizeof url, "https://%s/netcode", wt_addr);
            char *args[] = {(char *)helper, "-token", tok, "-url", url, "-pin", pins, "-n", n, NULL};
            CHECK_EQ(run_client(args, out, &s), 0);
        }
        CHECK_EQ(s.connected, 1);
        CHECK_EQ(s.payloads, EXCHANGE);
        CHECK_EQ(s.disconnected, 1);
        CHECK(strncmp(s.address, "127.0.0.1:", 10) == 0);
        /* The client's own report: the exchange, and for wt the hash of
         * the certificate it was presented, which must be the newest
         * one the C API reported. */
        f = fopen(out, "r");
        CHECK(f != NULL);
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "presented ", 10) == 0) {
                CHECK(strncmp(line + 10, pins, 64) == 0);
                presented++;
            }
        }
        fclose(f);
        CHECK_EQ(presented, k == 1 ? 1 : 0);
    }
    CHECK_EQ(ly_server_num_connected(srv), 1); /* the UDP client */

    /* A wrong pin: the wt client refuses the certificate and fails. */
    {
        struct seen s;
        char wrong[65];
        memset(&s, 0, sizeof s);
        s.id = 102;
        memset(wrong, 'a', 64);
        wrong[64] = '\0';
        snprintf(tok, sizeof tok, "%s/token2.bin", dir);
        snprintf(out, sizeof out, "%s/client2.out", dir);
        write_token(wt_addr, s.id, tok);
        char *args[] = {(char *)helper, "-token", tok, "-url", url, "-pin", wrong, "-n", "1", "-timeout", "5s", NULL};
        CHECK(run_client(args, out, &s) > 0);
        CHECK_EQ(s.connected, 0);
    }

    /* After a rotation a page needs both hashes, newest first. */
    CHECK_OK(ly_server_web_rotate_cert(srv));
    CHECK_EQ(ly_server_web_cert_hashes(srv, hashes, 1, &count), LY_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(count, 2);
    CHECK_EQ(ly_server_web_cert_hashes(srv, hashes, 4, &count), 2);
    hex(hashes + LY_WEB_CERT_HASH_SIZE, line);
    CHECK(strncmp(line, pins, 64) == 0);
    hex(hashes, line);
    CHECK(strncmp(line, pins, 64) != 0);

    /* The web counters: two sessions accepted (the wrong pin never got a
     * session), both closed by their peer, the payloads each way. */
    memset(&ws, 0, sizeof ws);
    ws.struct_size = sizeof ws;
    {
        /* A session's reader sees its peer's close on its own goroutine;
         * a close lost with the exiting client ends the session at
         * idle_timeout_ms (5 s) instead. Wait for either, up to 8 s. */
        struct seen none;
        double until = now_s() + 8;
        memset(&none, 0, sizeof none);
        do {
            step(&none);
            CHECK_OK(ly_server_web_stats(srv, &ws));
        } while (ws.sessions_active != 0 && now_s() < until);
    }
    CHECK_EQ(ws.sessions_accepted, 2);
    CHECK_EQ(ws.sessions_active, 0);
    CHECK_EQ(ws.closed_peer + ws.closed_idle, 2);
    CHECK(ws.closed_peer >= 1); /* the WebSocket's close travels on TCP */
    CHECK_EQ(ws.closed_slow + ws.closed_server, 0);
    CHECK(ws.received >= 2 * EXCHANGE);
    CHECK(ws.sent >= 2 * EXCHANGE);
    CHECK_EQ(ws.refused_origin + ws.refused_full + ws.refused_per_ip, 0);
    CHECK_EQ(ws.recv_oversized + ws.recv_text + ws.recv_queue_full, 0);

    CHECK_OK(ly_client_destroy(udp));
    CHECK_OK(ly_server_destroy(srv));
    return check_summary("test_web");
}
