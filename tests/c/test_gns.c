/*
 * test_gns.c - the Steam part of the C API against the real, open-source
 * GameNetworkingSockets (steamworks/testdata/build-gns.sh builds it), over
 * IP on 127.0.0.1: what the test double cannot show, such as Steam's own
 * handshake and timeouts, its send buffer filling up and its connection
 * status.
 *
 * The library comes from $LIGHTYEAR_GNS_LIB; without it (or if the file
 * is missing) the test exits 77, which ctest reports as skipped.
 *
 * GNS keeps its own clock and runs its own service thread, so unlike the
 * netcode tests the waits here are bounded by wall time, not by steps.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "platform.h"

#define SKIP 77
/* Steam's connect timeout for every scenario (LY_STEAM_INIT_CLIENT's
 * default is 10 s): loopback handshakes take milliseconds. */
#define TIMEOUT_INITIAL_MS 1500
/* GNS 0.3.0 sends at most 256 KiB/s by default, which would make the
 * exchanges slow; the status check sees this rate, so the option is
 * known to reach GNS. */
#define SEND_RATE (4 * 1024 * 1024)
/* Every wait gives up after this much wall time. */
#define WAIT_SECONDS 10.0

static const char *gns_lib;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ly_steam_config gns_config(void)
{
    ly_steam_config cfg;
    ly_steam_config_defaults(&cfg);
    cfg.flavour = LY_STEAM_GNS;
    cfg.init = LY_STEAM_INIT_CLIENT; /* any INIT mode initialises GNS */
    cfg.library_path = gns_lib;
    cfg.allow_ip_without_auth = 1;
    cfg.timeout_initial_ms = TIMEOUT_INITIAL_MS;
    cfg.send_rate_min = SEND_RATE;
    cfg.send_rate_max = SEND_RATE;
    return cfg;
}

static void gns_open(void)
{
    ly_steam_config cfg = gns_config();
    int rc = ly_steam_open(&cfg);
    if (rc != LY_OK) {
        /* One CI run saw dlopen report the file missing though it was
         * there before and after: say what the file system says now. */
        fprintf(stderr, "ly_steam_open: %s; access(R_OK) now: %d (errno %d)\n", ly_last_error(),
                access(gns_lib, R_OK), access(gns_lib, R_OK) != 0 ? errno : 0);
    }
    CHECK_OK(rc);
}

/* A UDP port on 127.0.0.1 that was free a moment ago: GNS wants a port
 * to listen on, and "no server running" needs one nobody listens on. */
static int free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
    CHECK_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
    close(fd);
    return ntohs(sa.sin_port);
}

/* A running server with no netcode socket and a Steam backend listening
 * on 127.0.0.1; its address goes into addr. */
static ly_server *steam_server(char *addr)
{
    ly_server_config cfg;
    ly_steam_server_config sc;
    ly_server *s = NULL;
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = NULL;
    CHECK_OK(ly_server_create(&cfg, &s));
    CHECK_OK(ly_server_start(s));
    snprintf(addr, LY_ADDRESS_STRING_SIZE, "127.0.0.1:%d", free_port());
    ly_steam_server_config_defaults(&sc);
    sc.address = addr;
    CHECK_OK(ly_server_add_steam(s, &sc));
    return s;
}

static ly_client *steam_client(const char *addr)
{
    ly_steam_client_config cc;
    ly_client *c = NULL;
    ly_steam_client_config_defaults(&cc);
    cc.address = addr;
    CHECK_OK(ly_client_create_steam(&cc, &c));
    return c;
}

/* One step: every client (NULL entries are skipped), then the server. */
static void step(ly_server *s, ly_client **cs, int n)
{
    for (int i = 0; i < n; i++)
        if (cs[i])
            CHECK_OK(ly_client_update(cs[i], TEST_DT));
    if (s)
        CHECK_OK(ly_server_update(s, TEST_DT));
    nap_us(1000);
}

/* Steps until expr holds, failing after WAIT_SECONDS. */
#define WAIT_FOR(expr, s, cs, n)                                                                   \
    do {                                                                                           \
        double deadline_ = now_seconds() + WAIT_SECONDS;                                           \
        while (!(expr)) {                                                                          \
            if (now_seconds() > deadline_) {                                                       \
                fprintf(stderr, "%s:%d: timed out waiting for %s\n", __FILE__, __LINE__, #expr);  \
                CHECK(!"wait timed out");                                                          \
            }                                                                                      \
            step((s), (cs), (n));                                                                  \
        }                                                                                          \
    } while (0)

/* Takes one server event, stepping until one is there. */
static void next_event(ly_server *s, ly_client **cs, int n, ly_event *ev, uint8_t *buf)
{
    int r;
    WAIT_FOR((r = ly_server_poll(s, ev, buf, LY_MAX_PAYLOAD_SIZE)) != 0, s, cs, n);
    CHECK_EQ(r, 1);
}

/* Connects n fresh clients to the server at addr and takes their
 * LY_EVENT_CONNECTED events; ids[i] gets the id the server gave client i
 * (matched by connecting them one at a time). */
static void connect_clients(ly_server *s, const char *addr, ly_client **cs, int n, ly_client_id *ids)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int base = ly_server_num_connected(s);
    for (int i = 0; i < n; i++) {
        cs[i] = steam_client(addr);
        CHECK_EQ(client_state(cs[i]), LY_STATE_DISCONNECTED);
        CHECK_OK(ly_client_connect(cs[i]));
        CHECK_EQ(client_state(cs[i]), LY_STATE_SENDING_CONNECTION_REQUEST);
        WAIT_FOR(client_state(cs[i]) == LY_STATE_CONNECTED && ly_server_num_connected(s) == base + i + 1, s, cs,
                 i + 1);
        next_event(s, cs, i + 1, &ev, buf);
        CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
        CHECK_EQ(ev.client.kind, LY_KIND_STEAM);
        ids[i] = ev.client;
    }
}

/* Payload number i: its size (2..1200 bytes, cycling) and bytes, with
 * the number in the first two so the receiver knows what to expect. */
static uint32_t payload_size(int i) { return 2 + (uint32_t)(i * 37) % (LY_MAX_PAYLOAD_SIZE - 1); }

static void payload_fill(int i, uint8_t *p, uint32_t size)
{
    p[0] = (uint8_t)(i >> 8);
    p[1] = (uint8_t)i;
    for (uint32_t j = 2; j < size; j++)
        p[j] = (uint8_t)(i * 31 + j * 7 + 1);
}

/* Checks a received payload against payload_fill and returns its number. */
static int payload_check(const uint8_t *p, uint32_t size, int count)
{
    CHECK(size >= 2);
    int i = (p[0] << 8) | p[1];
    CHECK(i < count);
    CHECK_EQ(size, payload_size(i));
    for (uint32_t j = 2; j < size; j++)
        if (p[j] != (uint8_t)(i * 31 + j * 7 + 1)) {
            fprintf(stderr, "payload %d byte %u: got %u\n", i, j, p[j]);
            CHECK(!"payload bytes differ");
        }
    return i;
}

/* Server events for `from` that are payloads are checked and counted in
 * seen; other events fail the test. */
static int drain_server_payloads(ly_server *s, ly_client_id from, unsigned char *seen, int count)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int got = 0, r;
    while ((r = ly_server_poll(s, &ev, buf, sizeof buf)) == 1) {
        CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
        CHECK(ev.client.id == from.id && ev.client.kind == from.kind);
        int i = payload_check(buf, ev.payload_size, count);
        CHECK_EQ(seen[i], 0); /* each arrives once */
        seen[i] = 1;
        got++;
    }
    CHECK_EQ(r, 0);
    return got;
}

static int drain_client_payloads(ly_client *c, unsigned char *seen, int count)
{
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int got = 0, r;
    while ((r = ly_client_receive(c, buf, sizeof buf, NULL)) > 0) {
        int i = payload_check(buf, (uint32_t)r, count);
        CHECK_EQ(seen[i], 0);
        seen[i] = 1;
        got++;
    }
    CHECK_EQ(r, 0);
    return got;
}

/* Sends: a full send buffer is the caller's to handle (the payload was
 * not sent), so the exchange steps and sends the same payload again. */
static int full_retries;

static void client_send_retry(ly_server *s, ly_client *c, const uint8_t *p, uint32_t size)
{
    int r;
    while ((r = ly_client_send(c, p, size)) == LY_ERR_SEND_BUFFER_FULL) {
        full_retries++;
        step(s, &c, 1);
    }
    CHECK_OK(r);
}

static void server_send_retry(ly_server *s, ly_client *c, ly_client_id to, const uint8_t *p, uint32_t size)
{
    int r;
    while ((r = ly_server_send(s, to, p, size)) == LY_ERR_SEND_BUFFER_FULL) {
        full_retries++;
        step(s, &c, 1);
    }
    CHECK_OK(r);
}

#define EXCHANGE_COUNT 1000
#define PER_STEP 25

/* 1,000 payloads each way between a connected pair, every byte checked,
 * each payload arriving exactly once (unreliable, but loopback at this
 * pace loses nothing). */
static void exchange(ly_server *s, ly_client *c, ly_client_id id)
{
    static unsigned char seen[EXCHANGE_COUNT];
    uint8_t p[LY_MAX_PAYLOAD_SIZE];
    int got = 0;

    memset(seen, 0, sizeof seen);
    for (int i = 0; i < EXCHANGE_COUNT; i++) {
        payload_fill(i, p, payload_size(i));
        client_send_retry(s, c, p, payload_size(i));
        if (i % PER_STEP == PER_STEP - 1) {
            step(s, &c, 1);
            got += drain_server_payloads(s, id, seen, EXCHANGE_COUNT);
        }
    }
    WAIT_FOR((got += drain_server_payloads(s, id, seen, EXCHANGE_COUNT)) == EXCHANGE_COUNT, s, &c, 1);

    memset(seen, 0, sizeof seen);
    got = 0;
    for (int i = 0; i < EXCHANGE_COUNT; i++) {
        payload_fill(i, p, payload_size(i));
        server_send_retry(s, c, id, p, payload_size(i));
        if (i % PER_STEP == PER_STEP - 1) {
            step(s, &c, 1);
            got += drain_client_payloads(c, seen, EXCHANGE_COUNT);
        }
    }
    WAIT_FOR((got += drain_client_payloads(c, seen, EXCHANGE_COUNT)) == EXCHANGE_COUNT, s, &c, 1);
}

/* One payload each way, as a check that a connection still works. */
static void ping_pong(ly_server *s, ly_client *c, ly_client_id id, const char *text)
{
    uint32_t n = (uint32_t)strlen(text);
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_event ev;
    int r;
    CHECK_OK(ly_client_send(c, (const uint8_t *)text, n));
    next_event(s, &c, 1, &ev, buf);
    CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    CHECK(ev.client.id == id.id && ev.client.kind == LY_KIND_STEAM);
    CHECK_EQ(ev.payload_size, n);
    CHECK(memcmp(buf, text, n) == 0);
    CHECK_OK(ly_server_send(s, id, (const uint8_t *)text, n));
    WAIT_FOR((r = ly_client_receive(c, buf, sizeof buf, NULL)) != 0, s, &c, 1);
    CHECK_EQ(r, (int)n);
    CHECK(memcmp(buf, text, n) == 0);
}

static void test_exchange(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_server *s = steam_server(addr);
    double t0 = now_seconds();
    connect_clients(s, addr, &c, 1, &id);
    printf("connected in %.1f ms\n", (now_seconds() - t0) * 1000);

    /* GNS clients have no SteamID: the server derives one from the
     * address, with the top byte zero, and knows the address. */
    CHECK(id.id != 0 && (id.id >> 56) == 0);
    char caddr[LY_ADDRESS_STRING_SIZE];
    CHECK(ly_server_client_address(s, id, caddr, sizeof caddr) > 0);
    CHECK(strncmp(caddr, "127.0.0.1:", 10) == 0);

    t0 = now_seconds();
    full_retries = 0;
    exchange(s, c, id);
    printf("exchange: %d payloads each way in %.0f ms (%d sends retried after LY_ERR_SEND_BUFFER_FULL)\n",
           EXCHANGE_COUNT, (now_seconds() - t0) * 1000, full_retries);

    ly_stats st;
    st.struct_size = sizeof st;
    CHECK_OK(ly_server_client_stats(s, id, &st));
    CHECK_EQ(st.packets_received, EXCHANGE_COUNT);
    CHECK_EQ(st.packets_sent, EXCHANGE_COUNT);

    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* The largest payload goes through; one byte more is refused on both sides. */
static void test_payload_limits(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_server *s = steam_server(addr);
    connect_clients(s, addr, &c, 1, &id);

    static uint8_t big[LY_MAX_PAYLOAD_SIZE + 1], buf[LY_MAX_PAYLOAD_SIZE];
    for (int i = 0; i < (int)sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 5);
    CHECK_EQ(ly_client_send(c, big, LY_MAX_PAYLOAD_SIZE + 1), LY_ERR_PAYLOAD_SIZE);
    CHECK_EQ(ly_server_send(s, id, big, LY_MAX_PAYLOAD_SIZE + 1), LY_ERR_PAYLOAD_SIZE);
    CHECK_EQ(ly_server_broadcast(s, big, LY_MAX_PAYLOAD_SIZE + 1), LY_ERR_PAYLOAD_SIZE);
    CHECK_EQ(ly_client_send(c, big, 0), LY_ERR_PAYLOAD_SIZE);

    ly_event ev;
    CHECK_OK(ly_client_send(c, big, LY_MAX_PAYLOAD_SIZE));
    next_event(s, &c, 1, &ev, buf);
    CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    CHECK_EQ(ev.payload_size, LY_MAX_PAYLOAD_SIZE);
    CHECK(memcmp(buf, big, LY_MAX_PAYLOAD_SIZE) == 0);
    CHECK_OK(ly_server_send(s, id, big, LY_MAX_PAYLOAD_SIZE));
    int r;
    WAIT_FOR((r = ly_client_receive(c, buf, sizeof buf, NULL)) != 0, s, &c, 1);
    CHECK_EQ(r, LY_MAX_PAYLOAD_SIZE);
    CHECK(memcmp(buf, big, LY_MAX_PAYLOAD_SIZE) == 0);
    /* Nothing of the refused ones arrived. */
    for (int i = 0; i < 20; i++)
        step(s, &c, 1);
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 0);
    CHECK_EQ(ly_client_receive(c, buf, sizeof buf, NULL), 0);

    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* Either side ends the connection; both see how. */
static void test_disconnects(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_server *s = steam_server(addr);

    /* The client leaves. */
    connect_clients(s, addr, &c, 1, &id);
    CHECK_OK(ly_client_disconnect(c));
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_LOCAL);
    CHECK_EQ(ly_client_send(c, (const uint8_t *)"x", 1), LY_ERR_NOT_CONNECTED);
    next_event(s, &c, 1, &ev, buf);
    CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
    CHECK_EQ(ev.reason, LY_REASON_REMOTE);
    CHECK(ev.client.id == id.id && ev.client.kind == LY_KIND_STEAM);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_EQ(ly_server_send(s, id, (const uint8_t *)"x", 1), LY_ERR_UNKNOWN_CLIENT);

    /* It comes back on the same handle, then the server sends it away. */
    CHECK_OK(ly_client_connect(c));
    WAIT_FOR(client_state(c) == LY_STATE_CONNECTED && ly_server_num_connected(s) == 1, s, &c, 1);
    next_event(s, &c, 1, &ev, buf);
    CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
    id = ev.client;
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_NONE);
    ping_pong(s, c, id, "reconnected");

    CHECK_OK(ly_server_disconnect(s, id));
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 1); /* at once: the server did it */
    CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
    CHECK_EQ(ev.reason, LY_REASON_LOCAL);
    CHECK(ev.client.id == id.id);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_EQ(ly_server_disconnect(s, id), LY_ERR_UNKNOWN_CLIENT);
    WAIT_FOR(client_state(c) != LY_STATE_CONNECTED, s, &c, 1);
    CHECK_EQ(client_state(c), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_REMOTE);

    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

#define MANY 16

/* 16 clients get one broadcast; stopping the server disconnects them all. */
static void test_broadcast_and_stop(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *cs[MANY];
    ly_client_id ids[MANY];
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE], p[300];
    ly_server *s = steam_server(addr);
    double t0 = now_seconds();
    connect_clients(s, addr, cs, MANY, ids);
    printf("%d clients connected in %.0f ms\n", MANY, (now_seconds() - t0) * 1000);
    for (int i = 0; i < MANY; i++)
        for (int j = 0; j < i; j++)
            CHECK(ids[i].id != ids[j].id);

    for (int i = 0; i < (int)sizeof p; i++)
        p[i] = (uint8_t)(255 - i);
    CHECK_OK(ly_server_broadcast(s, p, sizeof p));
    for (int i = 0; i < MANY; i++) {
        int r;
        WAIT_FOR((r = ly_client_receive(cs[i], buf, sizeof buf, NULL)) != 0, s, cs, MANY);
        CHECK_EQ(r, (int)sizeof p);
        CHECK(memcmp(buf, p, sizeof p) == 0);
    }

    CHECK_OK(ly_server_stop(s));
    CHECK_EQ(ly_server_running(s), 0);
    CHECK_EQ(ly_server_num_connected(s), 0);
    unsigned char gone[MANY] = {0};
    for (int n = 0; n < MANY; n++) {
        CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 1);
        CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
        CHECK_EQ(ev.reason, LY_REASON_SERVER_STOPPED);
        int k = -1;
        for (int i = 0; i < MANY; i++)
            if (ids[i].id == ev.client.id)
                k = i;
        CHECK(k >= 0);
        CHECK_EQ(gone[k], 0);
        gone[k] = 1;
    }
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 0);
    for (int i = 0; i < MANY; i++) {
        WAIT_FOR(client_state(cs[i]) != LY_STATE_CONNECTED, NULL, cs, MANY);
        CHECK_EQ(client_state(cs[i]), LY_STATE_DISCONNECTED);
        CHECK_EQ(ly_client_disconnect_reason(cs[i]), LY_REASON_REMOTE);
    }
    CHECK_EQ(ly_server_broadcast(s, p, sizeof p), LY_ERR_NOT_RUNNING);

    for (int i = 0; i < MANY; i++)
        CHECK_OK(ly_client_destroy(cs[i]));
    CHECK_OK(ly_server_destroy(s));
}

/* Nobody listens: the attempt ends after Steam's connect timeout, which
 * ly_steam_config set to TIMEOUT_INITIAL_MS instead of Steam's 10 s. */
static void test_no_server(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
    ly_client *c = steam_client(addr);
    double t0 = now_seconds();
    CHECK_OK(ly_client_connect(c));
    WAIT_FOR(client_state(c) != LY_STATE_SENDING_CONNECTION_REQUEST, NULL, &c, 1);
    double took = now_seconds() - t0;
    printf("no server: gave up after %.0f ms (timeout_initial_ms %d)\n", took * 1000, TIMEOUT_INITIAL_MS);
    CHECK_EQ(client_state(c), LY_STATE_CONNECTION_REQUEST_TIMED_OUT);
    CHECK_EQ(ly_client_disconnect_reason(c), LY_REASON_REQUEST_TIMED_OUT);
    CHECK(took < TIMEOUT_INITIAL_MS / 1000.0 + 2.0);
    CHECK_EQ(ly_client_send(c, (const uint8_t *)"x", 1), LY_ERR_NOT_CONNECTED);
    CHECK_OK(ly_client_destroy(c));
}

/* A client destroyed while payloads flow both ways: the server sees it
 * leave and goes on with its other client. */
static void test_destroy_mid_stream(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *cs[2];
    ly_client_id ids[2];
    ly_event ev;
    uint8_t p[LY_MAX_PAYLOAD_SIZE], buf[LY_MAX_PAYLOAD_SIZE];
    ly_server *s = steam_server(addr);
    connect_clients(s, addr, cs, 2, ids);

    int from_doomed = 0;
    for (int i = 0; i < 200; i++) {
        payload_fill(i, p, payload_size(i));
        CHECK_OK(ly_client_send(cs[0], p, payload_size(i)));
        CHECK_OK(ly_server_send(s, ids[0], p, payload_size(i)));
        if (i % 10 == 9)
            step(s, cs, 2);
        if (i == 100) {
            ly_client *doomed = cs[0];
            int state;
            CHECK_OK(ly_client_destroy(doomed));
            cs[0] = NULL;
            CHECK_EQ(ly_client_get_state(doomed, &state), LY_ERR_INVALID_HANDLE);
            break;
        }
    }
    /* Payloads that arrived before the disconnect are whole; then it goes. */
    int left = 0;
    while (!left) {
        next_event(s, cs, 2, &ev, buf);
        CHECK(ev.client.id == ids[0].id);
        if (ev.type == LY_EVENT_PAYLOAD) {
            payload_check(buf, ev.payload_size, 101);
            from_doomed++;
        } else {
            CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
            CHECK_EQ(ev.reason, LY_REASON_REMOTE);
            left = 1;
        }
    }
    printf("destroyed mid-stream: the server got %d of its 101 payloads first\n", from_doomed);
    CHECK_EQ(ly_server_num_connected(s), 1);
    CHECK_EQ(ly_server_send(s, ids[0], p, 10), LY_ERR_UNKNOWN_CLIENT);
    ping_pong(s, cs[1], ids[1], "still here");

    CHECK_OK(ly_client_destroy(cs[1]));
    CHECK_OK(ly_server_destroy(s));
}

/* 10,000 payloads of 1,200 bytes with no update between them: more than
 * Steam's send buffer holds, so some sends must say so, and none may fail
 * any other way. The connection works afterwards. */
#define BURST 10000

static void burst(ly_server *s, ly_client *c, ly_client_id id, int from_client)
{
    static uint8_t p[LY_MAX_PAYLOAD_SIZE];
    int ok = 0, full = 0;
    double t0 = now_seconds();
    memset(p, 0xA5, sizeof p);
    for (int i = 0; i < BURST; i++) {
        p[0] = (uint8_t)(i >> 8);
        p[1] = (uint8_t)i;
        int r = from_client ? ly_client_send(c, p, sizeof p) : ly_server_send(s, id, p, sizeof p);
        if (r == LY_OK)
            ok++;
        else if (r == LY_ERR_SEND_BUFFER_FULL)
            full++;
        else
            CHECK_EQ(r, LY_OK); /* fails, printing the code */
    }
    double took = now_seconds() - t0;

    /* What Steam still holds shows in the sender's status. */
    ly_connection_status st;
    st.struct_size = sizeof st;
    if (from_client)
        CHECK_OK(ly_client_connection_status(c, &st));
    else
        CHECK_OK(ly_server_connection_status(s, id, &st));
    printf("burst from the %s: %d sends in %.0f ms: %d LY_OK, %d LY_ERR_SEND_BUFFER_FULL; "
           "then %d bytes pending, queue time %lld us\n",
           from_client ? "client" : "server", BURST, took * 1000, ok, full, st.pending_unreliable,
           (long long)st.queue_time_us);
    CHECK(full >= 1);
    CHECK(ok >= 1);
    CHECK(st.pending_unreliable > 0);

    /* Every accepted payload arrives: a refused send loses nothing else. */
    int got = 0;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_event ev;
    double deadline = now_seconds() + WAIT_SECONDS;
    while (got < ok && now_seconds() < deadline) {
        step(s, &c, 1);
        if (from_client) {
            while (ly_server_poll(s, &ev, buf, sizeof buf) == 1) {
                CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
                CHECK_EQ(ev.payload_size, LY_MAX_PAYLOAD_SIZE);
                CHECK(buf[2] == 0xA5 && buf[LY_MAX_PAYLOAD_SIZE - 1] == 0xA5);
                got++;
            }
        } else {
            int r;
            while ((r = ly_client_receive(c, buf, sizeof buf, NULL)) > 0) {
                CHECK_EQ(r, LY_MAX_PAYLOAD_SIZE);
                CHECK(buf[2] == 0xA5 && buf[LY_MAX_PAYLOAD_SIZE - 1] == 0xA5);
                got++;
            }
            CHECK_EQ(r, 0);
        }
    }
    printf("  %d of the %d accepted payloads arrived in %.0f ms\n", got, ok, (now_seconds() - t0) * 1000);
    CHECK_EQ(got, ok);
    ping_pong(s, c, id, "after the burst");
}

static void test_send_buffer_full(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_server *s = steam_server(addr);
    connect_clients(s, addr, &c, 1, &id);
    burst(s, c, id, 1);
    burst(s, c, id, 0);
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

static void check_status_sane(const ly_connection_status *st)
{
    CHECK_EQ(st->struct_size, sizeof *st);
    CHECK_EQ(st->state, 3); /* k_ESteamNetworkingConnectionState_Connected */
    CHECK(st->ping_ms >= 0 && st->ping_ms < 1000);
    CHECK((st->quality_local >= 0 && st->quality_local <= 1) || st->quality_local == -1);
    CHECK((st->quality_remote >= 0 && st->quality_remote <= 1) || st->quality_remote == -1);
    CHECK(st->out_packets_per_sec >= 0 && st->out_bytes_per_sec >= 0);
    CHECK(st->in_packets_per_sec >= 0 && st->in_bytes_per_sec >= 0);
    CHECK_EQ(st->send_rate_bytes_per_sec, SEND_RATE);
    CHECK(st->pending_unreliable >= 0 && st->pending_reliable >= 0 && st->sent_unacked_reliable >= 0);
    CHECK_EQ(st->reserved, 0);
    CHECK(st->queue_time_us >= 0);
}

static void test_connection_status(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_server *s = steam_server(addr);
    ly_connection_status st;

    /* Before connecting, the client has no connection to describe. */
    ly_client *idle = steam_client(addr);
    st.struct_size = sizeof st;
    CHECK_EQ(ly_client_connection_status(idle, &st), LY_ERR_NOT_CONNECTED);
    CHECK_OK(ly_client_destroy(idle));

    connect_clients(s, addr, &c, 1, &id);
    ping_pong(s, c, id, "status");

    memset(&st, 0x7f, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_server_connection_status(s, id, &st));
    check_status_sane(&st);
    printf("server's status: ping %d ms, quality %.2f/%.2f, send rate %d B/s\n", st.ping_ms, st.quality_local,
           st.quality_remote, st.send_rate_bytes_per_sec);
    memset(&st, 0x7f, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_client_connection_status(c, &st));
    check_status_sane(&st);

    /* Argument errors come before handle errors. */
    CHECK_EQ(ly_server_connection_status(s, id, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_connection_status(c, NULL), LY_ERR_INVALID_ARGUMENT);
    st.struct_size = sizeof st - 1;
    CHECK_EQ(ly_server_connection_status(s, id, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_connection_status(c, &st), LY_ERR_INVALID_ARGUMENT);
    st.struct_size = 0;
    CHECK_EQ(ly_server_connection_status(NULL, id, &st), LY_ERR_INVALID_ARGUMENT);
    st.struct_size = sizeof st;
    CHECK_EQ(ly_server_connection_status(NULL, id, &st), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_connection_status(NULL, &st), LY_ERR_INVALID_HANDLE);
    ly_client_id netcode_id = {id.id, LY_KIND_NETCODE, 0}, unknown = {id.id ^ 1, LY_KIND_STEAM, 0};
    CHECK_EQ(ly_server_connection_status(s, netcode_id, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_connection_status(s, unknown, &st), LY_ERR_UNKNOWN_CLIENT);
    ly_client *net = client_manual("127.0.0.1:40000", 1);
    CHECK_EQ(ly_client_connection_status(net, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_OK(ly_client_destroy(net));

    /* Gone: the server no longer knows it, the client has no connection. */
    CHECK_OK(ly_client_disconnect(c));
    CHECK_EQ(ly_client_connection_status(c, &st), LY_ERR_NOT_CONNECTED);
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    next_event(s, &c, 1, &ev, buf);
    CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
    CHECK_EQ(ly_server_connection_status(s, id, &st), LY_ERR_UNKNOWN_CLIENT);

    /* A server without a Steam backend has no Steam clients. */
    char naddr[LY_ADDRESS_STRING_SIZE];
    ly_server *plain = server_start("127.0.0.1:0", 4, naddr);
    CHECK_EQ(ly_server_connection_status(plain, id, &st), LY_ERR_UNKNOWN_CLIENT);
    CHECK_OK(ly_server_destroy(plain));

    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* ly_steam_close with connections open, then open again and work; the
 * same after ly_shutdown. */
static void test_close_reopen(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_connection_status st;
    ly_server *s = steam_server(addr);
    connect_clients(s, addr, &c, 1, &id);

    CHECK_OK(ly_steam_close());
    CHECK_EQ(ly_server_poll(s, &ev, buf, sizeof buf), 1);
    CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
    CHECK_EQ(ev.reason, LY_REASON_SERVER_STOPPED);
    CHECK(ev.client.id == id.id);
    CHECK_EQ(ly_server_num_connected(s), 0);
    CHECK_OK(ly_server_update(s, TEST_DT)); /* the server itself runs on */
    CHECK_EQ(ly_client_update(c, TEST_DT), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_send(c, (const uint8_t *)"x", 1), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_connect(c), LY_ERR_INVALID_HANDLE);
    st.struct_size = sizeof st;
    CHECK_EQ(ly_client_connection_status(c, &st), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_connection_status(s, id, &st), LY_ERR_UNKNOWN_CLIENT);
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_steam_close()); /* twice is fine */

    /* Open again: the same server takes a new Steam backend. */
    gns_open();
    ly_steam_server_config sc;
    ly_steam_server_config_defaults(&sc);
    sc.address = addr;
    CHECK_OK(ly_server_add_steam(s, &sc));
    connect_clients(s, addr, &c, 1, &id);
    ping_pong(s, c, id, "reopened");

    /* ly_shutdown destroys the handles and closes Steam. */
    CHECK_OK(ly_shutdown());
    CHECK_EQ(ly_server_update(s, TEST_DT), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_update(c, TEST_DT), LY_ERR_INVALID_HANDLE);
    ly_steam_client_config cc;
    ly_steam_client_config_defaults(&cc);
    cc.address = addr;
    CHECK_EQ(ly_client_create_steam(&cc, &c), LY_ERR_STEAM_UNAVAILABLE);
    gns_open();
    s = steam_server(addr);
    connect_clients(s, addr, &c, 1, &id);
    ping_pong(s, c, id, "after shutdown");
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
}

/* An INIT mode while our Steam is open is ALREADY_ACTIVE; while the host
 * initialised GNS itself (as a game's own binding would), INIT is refused
 * and names the ATTACH modes, and ATTACH uses the host's instance without
 * shutting it down. */
/* bool GameNetworkingSockets_Init(const SteamNetworkingIdentity *, SteamNetworkingErrMsg &):
 * the reference is a pointer to char[1024] in the ABI; bool is returned in one byte. */
typedef _Bool (*gns_init_fn)(const void *identity, char *errmsg);
typedef void (*gns_kill_fn)(void);
typedef void *(*gns_getter_fn)(void);

static void test_init_twice(void)
{
    ly_steam_config cfg = gns_config();
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_ALREADY_ACTIVE); /* still open from the scenarios before */
    CHECK_OK(ly_steam_close());

    void *h = test_dlopen(gns_lib); /* the same instance ly_steam_open loads */
    CHECK(h != NULL);
    gns_init_fn init;
    gns_kill_fn kill_;
    gns_getter_fn sockets;
    *(void **)&init = test_dlsym(h, "GameNetworkingSockets_Init");
    *(void **)&kill_ = test_dlsym(h, "GameNetworkingSockets_Kill");
    *(void **)&sockets = test_dlsym(h, "SteamNetworkingSockets_LibV12");
    CHECK(init && kill_ && sockets);
    char err[1024] = "";
    CHECK(init(NULL, err));
    CHECK(sockets() != NULL);

    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_STEAM_INIT_FAILED);
    CHECK(strstr(ly_last_error(), "LY_STEAM_ATTACH_CLIENT") != NULL);
    cfg.init = LY_STEAM_INIT_GAME_SERVER;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_STEAM_INIT_FAILED);

    /* Attached, it works, and closing leaves the host's GNS running. */
    cfg.init = LY_STEAM_ATTACH_CLIENT;
    CHECK_OK(ly_steam_open(&cfg));
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_client *c;
    ly_client_id id;
    ly_server *s = steam_server(addr);
    connect_clients(s, addr, &c, 1, &id);
    ping_pong(s, c, id, "attached");
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_server_destroy(s));
    CHECK_OK(ly_steam_close());
    CHECK(sockets() != NULL);

    kill_();
    CHECK(sockets() == NULL);
    cfg.init = LY_STEAM_INIT_CLIENT; /* ours again */
    CHECK_OK(ly_steam_open(&cfg));
    CHECK_OK(ly_steam_close());
}

/* The ELF machine of a library file, 0 if it is not ELF. build-gns.sh
 * builds for the machine it runs on, and this test also runs cross-built
 * under qemu (scripts/test-arm64.sh), where an x86_64 library cannot load
 * (dlopen then reports the file as missing). */
static unsigned elf_machine(const char *path)
{
    unsigned char h[20];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    if (f)
        fclose(f);
    if (n < sizeof h || memcmp(h, "\177ELF", 4) != 0)
        return 0;
    return (unsigned)h[18] | (unsigned)h[19] << 8; /* e_machine, little-endian */
}

int main(void)
{
    gns_lib = getenv("LIGHTYEAR_GNS_LIB");
    if (gns_lib == NULL || gns_lib[0] == '\0' || access(gns_lib, R_OK) != 0) {
        printf("test_gns: skipped: set LIGHTYEAR_GNS_LIB to libGameNetworkingSockets.so "
               "(bash steamworks/testdata/build-gns.sh builds it)\n");
        return SKIP;
    }
#if defined(__x86_64__)
    const unsigned machine = 62; /* EM_X86_64 */
#elif defined(__aarch64__)
    const unsigned machine = 183; /* EM_AARCH64 */
#else
    const unsigned machine = 0;
#endif
    if (machine != 0 && elf_machine(gns_lib) != machine) {
        printf("test_gns: skipped: %s is built for ELF machine %u, this test for %u\n", gns_lib,
               elf_machine(gns_lib), machine);
        return SKIP;
    }
    test_watchdog(100);
    double t0 = now_seconds();
    gns_open();
    test_exchange();
    test_payload_limits();
    test_disconnects();
    test_broadcast_and_stop();
    test_no_server();
    test_destroy_mid_stream();
    test_send_buffer_full();
    test_connection_status();
    test_close_reopen();
    test_init_twice();
    printf("total %.1f s\n", now_seconds() - t0);
    return check_summary("test_gns");
}
