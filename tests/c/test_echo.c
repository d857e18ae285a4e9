/*
 * test_echo.c - a server and two clients in one process, over UDP on
 * 127.0.0.1 and on ::1: handshake (a manual client and a token client
 * with user data), payloads of 1, 100 and 1200 bytes both ways, single and
 * batch polling, the connection queries, and every way a connection ends;
 * and datagrams over the biggest netcode packet, sent from a raw socket.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef SOCKET raw_socket;
#define RAW_INVALID INVALID_SOCKET
#define raw_close closesocket
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int raw_socket;
#define RAW_INVALID (-1)
#define raw_close close
#endif

#include "check.h"
#include "net.h"

enum { ID_MANUAL = 100, ID_TOKEN = 200 };
static const uint32_t sizes[3] = {1, 100, LY_MAX_PAYLOAD_SIZE};

/* Payload bytes are a function of sender, size and direction, so the
 * receiver can check every byte without bookkeeping. */
static void fill(uint8_t *p, uint32_t size, uint64_t id, int dir)
{
    uint32_t i;
    for (i = 0; i < size; i++)
        p[i] = (uint8_t)(id * 31 + size * 7 + (uint32_t)dir * 101 + i * 13);
}

static int same(const uint8_t *p, uint32_t size, uint64_t id, int dir)
{
    static uint8_t want[LY_MAX_PAYLOAD_SIZE];
    fill(want, size, id, dir);
    return memcmp(p, want, size) == 0;
}

static int size_index(uint32_t size)
{
    int i;
    for (i = 0; i < 3; i++)
        if (sizes[i] == size)
            return i;
    return -1;
}

static int port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    return colon ? atoi(colon + 1) : -1;
}

/* Every client sends every size; the server drains them with poll (batch
 * 0) or poll_batch (batch 1) and checks each byte and offset. */
static void client_to_server(ly_server *s, ly_client **cs, int batch)
{
    static uint8_t buf[4 * LY_MAX_PAYLOAD_SIZE];
    uint8_t out[LY_MAX_PAYLOAD_SIZE];
    ly_event evs[16];
    int seen[2][3] = {{0, 0, 0}, {0, 0, 0}};
    int got = 0, most = 0, step, i, k, n;

    for (i = 0; i < 2; i++) {
        ly_client_id id;
        CHECK_OK(ly_client_id_of(cs[i], &id));
        for (k = 0; k < 3; k++) {
            fill(out, sizes[k], id.id, 0);
            CHECK_OK(ly_client_send(cs[i], out, sizes[k]));
        }
    }
    for (step = 0; step < TEST_MAX_STEPS && got < 6; step++) {
        if (batch) {
            memset(evs, 0xCC, sizeof evs);
            n = ly_server_poll_batch(s, evs, 16, buf, sizeof buf);
        } else {
            n = ly_server_poll(s, &evs[0], buf, LY_MAX_PAYLOAD_SIZE);
        }
        CHECK(n >= 0);
        if (n == 0) {
            pump_once(s, cs, 2, TEST_DT);
            continue;
        }
        if (n > most)
            most = n;
        {
            uint32_t end = 0; /* payloads are packed in order, never overlapping */
            for (i = 0; i < n; i++) {
                ly_event *e = &evs[i];
                int who = e->client.id == ID_MANUAL ? 0 : 1;
                int si = size_index(e->payload_size);
                CHECK_EQ(e->type, LY_EVENT_PAYLOAD);
                CHECK_EQ(e->client.kind, LY_KIND_NETCODE);
                CHECK(e->client.id == ID_MANUAL || e->client.id == ID_TOKEN);
                CHECK(si >= 0);
                if (batch) {
                    CHECK(e->payload_offset >= end);
                    CHECK(e->payload_offset + e->payload_size <= sizeof buf);
                    end = e->payload_offset + e->payload_size;
                } else {
                    CHECK_EQ(e->payload_offset, 0);
                }
                CHECK(same(buf + e->payload_offset, e->payload_size, e->client.id, 0));
                seen[who][si]++;
                got++;
            }
        }
    }
    CHECK_EQ(got, 6);
    for (i = 0; i < 2; i++)
        for (k = 0; k < 3; k++)
            CHECK_EQ(seen[i][k], 1);
    /* All six were sent before the server read any, so one batch call
     * took several (4800 bytes of buffer hold at least 1+100+1200+1+100). */
    if (batch)
        CHECK(most >= 2);
    CHECK_EQ(ly_server_poll(s, &evs[0], buf, sizeof buf), 0);
}

/* The server sends every size to each client, then broadcasts once. */
static void server_to_clients(ly_server *s, ly_client **cs)
{
    uint8_t out[LY_MAX_PAYLOAD_SIZE], in[LY_MAX_PAYLOAD_SIZE];
    ly_client_id ids[2];
    int i, k, n;

    for (i = 0; i < 2; i++) {
        CHECK_OK(ly_client_id_of(cs[i], &ids[i]));
        for (k = 0; k < 3; k++) {
            fill(out, sizes[k], ids[i].id, 1);
            CHECK_OK(ly_server_send(s, ids[i], out, sizes[k]));
        }
    }
    fill(out, 50, 0, 2);
    CHECK_OK(ly_server_broadcast(s, out, 50));

    for (i = 0; i < 2; i++) {
        int seen[3] = {0, 0, 0}, bcast = 0;
        for (k = 0; k < 4; k++) {
            n = wait_receive(s, cs, 2, cs[i], in, sizeof in);
            if (n == 50) {
                CHECK(same(in, 50, 0, 2));
                bcast++;
            } else {
                CHECK(size_index((uint32_t)n) >= 0);
                CHECK(same(in, (uint32_t)n, ids[i].id, 1));
                seen[size_index((uint32_t)n)]++;
            }
        }
        CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && bcast == 1);
        CHECK_EQ(ly_client_receive(cs[i], in, sizeof in, NULL), 0);
    }
}

/* Waits for the next non-payload server event. */
static void expect_event(ly_server *s, ly_client **cs, int n, uint32_t type, uint32_t reason, uint64_t id)
{
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_event ev;
    do
        wait_event(s, cs, n, &ev, buf, sizeof buf);
    while (ev.type == LY_EVENT_PAYLOAD);
    CHECK_EQ(ev.type, type);
    CHECK_EQ(ev.client.id, id);
    CHECK_EQ(ev.client.kind, LY_KIND_NETCODE);
    if (type == LY_EVENT_DISCONNECTED)
        CHECK_EQ(ev.reason, reason);
    CHECK_EQ(ev.payload_size, 0);
}

static void run(const char *bind, const char *family)
{
    static uint8_t tok[LY_CONNECT_TOKEN_SIZE];
    ly_server *s;
    ly_client *cs[2], *late[2];
    ly_client_config ccfg;
    ly_token_params p;
    ly_client_id ids[4];
    ly_event ev[4];
    uint8_t user[40], ud[LY_USER_DATA_SIZE], buf[LY_MAX_PAYLOAD_SIZE];
    char addr[LY_ADDRESS_STRING_SIZE], caddr[LY_ADDRESS_STRING_SIZE], laddr[LY_ADDRESS_STRING_SIZE];
    int i, n, found[2] = {0, 0};

    s = server_start(bind, 8, addr);
    printf("%s: server at %s\n", family, addr);

    /* A manual client and a token client whose token carries user data. */
    cs[0] = client_manual(addr, ID_MANUAL);
    for (i = 0; i < (int)sizeof user; i++)
        user[i] = (uint8_t)(0xA0 + i);
    ly_token_params_defaults(&p);
    p.protocol_id = TEST_PROTOCOL;
    p.client_id = ID_TOKEN;
    p.private_key = test_key;
    p.public_addresses = addr;
    p.user_data = user;
    p.user_data_size = sizeof user;
    CHECK_OK(ly_token_generate(&p, tok, sizeof tok));
    ly_client_config_defaults(&ccfg);
    ccfg.client_id = ID_TOKEN;
    CHECK_OK(ly_client_create(tok, sizeof tok, &ccfg, &cs[1]));
    memset(tok, 0, sizeof tok); /* the client keeps its own copy */
    CHECK_OK(ly_client_connect(cs[0]));
    CHECK_OK(ly_client_connect(cs[1]));
    pump_connected(s, cs, 2);

    /* One connected event each, then nothing. */
    n = 0;
    while (n < 4 && ly_server_poll(s, &ev[n], NULL, 0) == 1)
        n++;
    CHECK_EQ(n, 2);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(ev[i].type, LY_EVENT_CONNECTED);
        CHECK(ev[i].client.id == ID_MANUAL || ev[i].client.id == ID_TOKEN);
        found[ev[i].client.id == ID_TOKEN]++;
    }
    CHECK(found[0] == 1 && found[1] == 1);

    /* Queries: count, ids, addresses (the ports the clients bound), user data. */
    CHECK_EQ(ly_server_num_connected(s), 2);
    CHECK_EQ(ly_server_connected_ids(s, ids, 1), 2); /* only one fits */
    CHECK_EQ(ly_server_connected_ids(s, ids, 4), 2);
    CHECK(ids[0].id != ids[1].id);
    for (i = 0; i < 2; i++) {
        CHECK(ids[i].id == ID_MANUAL || ids[i].id == ID_TOKEN);
        CHECK_EQ(ids[i].kind, LY_KIND_NETCODE);
        CHECK_EQ(ids[i].reserved, 0);
        CHECK(ly_server_client_address(s, ids[i], caddr, sizeof caddr) > 0);
        CHECK(ly_client_local_address(cs[ids[i].id == ID_TOKEN], laddr, sizeof laddr) > 0);
        CHECK_EQ(port_of(caddr), port_of(laddr));
        CHECK(strncmp(caddr, addr, strlen(addr) - strlen(strrchr(addr, ':'))) == 0);
        CHECK_OK(ly_server_client_user_data(s, ids[i], ud));
        if (ids[i].id == ID_TOKEN) {
            CHECK(memcmp(ud, user, sizeof user) == 0);
            for (n = sizeof user; n < LY_USER_DATA_SIZE; n++)
                CHECK_EQ(ud[n], 0);
        } else {
            for (n = 0; n < LY_USER_DATA_SIZE; n++)
                CHECK_EQ(ud[n], 0);
        }
    }

    client_to_server(s, cs, 0);
    client_to_server(s, cs, 1);
    server_to_clients(s, cs);

    /* The manual client leaves: the server hears it from the peer. */
    CHECK_OK(ly_client_disconnect(cs[0]));
    CHECK_EQ(client_state(cs[0]), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(cs[0]), LY_REASON_LOCAL);
    expect_event(s, cs + 1, 1, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, ID_MANUAL);
    CHECK_EQ(ly_server_num_connected(s), 1);

    /* The server drops the token client: the client hears it from the peer. */
    CHECK_OK(ly_server_disconnect(s, ids[ids[0].id == ID_TOKEN ? 0 : 1]));
    expect_event(s, cs + 1, 1, LY_EVENT_DISCONNECTED, LY_REASON_LOCAL, ID_TOKEN);
    CHECK_EQ(ly_server_num_connected(s), 0);
    for (i = 0; i < 100 && client_state(cs[1]) == LY_STATE_CONNECTED; i++)
        pump_once(s, cs + 1, 1, TEST_DT);
    CHECK_EQ(client_state(cs[1]), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(cs[1]), LY_REASON_REMOTE);

    /* Stopping the server ends every connection with SERVER_STOPPED. */
    late[0] = client_manual(addr, 300);
    late[1] = client_manual(addr, 400);
    CHECK_OK(ly_client_connect(late[0]));
    CHECK_OK(ly_client_connect(late[1]));
    pump_connected(s, late, 2);
    CHECK_EQ(ly_server_poll(s, &ev[0], NULL, 0), 1);
    CHECK_EQ(ly_server_poll(s, &ev[1], NULL, 0), 1);
    CHECK(ev[0].type == LY_EVENT_CONNECTED && ev[1].type == LY_EVENT_CONNECTED);
    CHECK_OK(ly_server_stop(s));
    CHECK_EQ(ly_server_running(s), 0);
    CHECK_EQ(ly_server_num_connected(s), 0);
    found[0] = found[1] = 0;
    for (i = 0; i < 2; i++) {
        CHECK_EQ(ly_server_poll(s, &ev[i], buf, sizeof buf), 1);
        CHECK_EQ(ev[i].type, LY_EVENT_DISCONNECTED);
        CHECK_EQ(ev[i].reason, LY_REASON_SERVER_STOPPED);
        CHECK(ev[i].client.id == 300 || ev[i].client.id == 400);
        found[ev[i].client.id == 400]++;
    }
    CHECK(found[0] == 1 && found[1] == 1);
    CHECK_EQ(ly_server_poll(s, &ev[0], buf, sizeof buf), 0);
    /* The clients were told: they end well before a timeout could. */
    for (i = 0; i < 30; i++) {
        if (client_state(late[0]) <= LY_STATE_DISCONNECTED && client_state(late[1]) <= LY_STATE_DISCONNECTED)
            break;
        pump_once(NULL, late, 2, TEST_DT);
    }
    CHECK_EQ(client_state(late[0]), LY_STATE_DISCONNECTED);
    CHECK_EQ(client_state(late[1]), LY_STATE_DISCONNECTED);
    CHECK_EQ(ly_client_disconnect_reason(late[0]), LY_REASON_REMOTE);

    for (i = 0; i < 2; i++) {
        CHECK_OK(ly_client_destroy(cs[i]));
        CHECK_OK(ly_client_destroy(late[i]));
    }
    CHECK_OK(ly_server_destroy(s));
}

/* One server bound to 127.0.0.1 and ::1 at once: a client of each family
 * connects, and destroying each side tells the other. */
static void dual_bind(void)
{
    ly_server *s;
    ly_client *cs[2], *pair[2];
    ly_server_config cfg;
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    char a4[LY_ADDRESS_STRING_SIZE], a6[LY_ADDRESS_STRING_SIZE];
    int i;

    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = "127.0.0.1:0, [::1]:0";
    CHECK_OK(ly_server_create(&cfg, &s));
    CHECK_OK(ly_server_start(s));
    CHECK(ly_server_address(s, 0, a4, sizeof a4) > 0);
    CHECK(ly_server_address(s, 1, a6, sizeof a6) > 0);
    CHECK_EQ(ly_server_address(s, 2, a6, sizeof a6), LY_ERR_INVALID_ARGUMENT);
    CHECK(strncmp(a4, "127.0.0.1:", 10) == 0);
    CHECK(strncmp(a6, "[::1]:", 6) == 0);
    printf("dual: server at %s and %s\n", a4, a6);

    cs[0] = client_manual(a4, ID_MANUAL);
    cs[1] = client_manual(a6, ID_TOKEN);
    CHECK_OK(ly_client_connect(cs[0]));
    CHECK_OK(ly_client_connect(cs[1]));
    pump_connected(s, cs, 2);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(ly_server_poll(s, &ev, NULL, 0), 1);
        CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
    }
    client_to_server(s, cs, 1);

    /* Destroying a connected client tells the server. */
    CHECK_OK(ly_client_destroy(cs[0]));
    expect_event(s, cs + 1, 1, LY_EVENT_DISCONNECTED, LY_REASON_REMOTE, ID_MANUAL);

    /* Destroying a running server tells its clients. */
    pair[0] = cs[1];
    pair[1] = client_manual(a4, 300);
    CHECK_OK(ly_client_connect(pair[1]));
    pump_connected(s, pair, 2);
    while (ly_server_poll(s, &ev, buf, sizeof buf) == 1)
        ;
    CHECK_OK(ly_server_destroy(s));
    for (i = 0; i < 30; i++) {
        if (client_state(pair[0]) <= LY_STATE_DISCONNECTED && client_state(pair[1]) <= LY_STATE_DISCONNECTED)
            break;
        pump_once(NULL, pair, 2, TEST_DT);
    }
    for (i = 0; i < 2; i++) {
        CHECK_EQ(client_state(pair[i]), LY_STATE_DISCONNECTED);
        CHECK_EQ(ly_client_disconnect_reason(pair[i]), LY_REASON_REMOTE);
        CHECK_OK(ly_client_destroy(pair[i]));
    }
}

/* Sends count datagrams of size bytes from the raw socket fd to port on
 * 127.0.0.1. Their first byte is a keep-alive's prefix, so a small one
 * from an address without a key counts as dropped_unknown_address. */
static void send_raw(raw_socket fd, int port, size_t size, int count)
{
    static uint8_t dgram[2000];
    struct sockaddr_in to;
    int i;
    CHECK(size <= sizeof dgram);
    memset(dgram, 0x5a, sizeof dgram);
    dgram[0] = 0x14;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < count; i++)
        CHECK_EQ(sendto(fd, (const char *)dgram, (int)size, 0, (const struct sockaddr *)&to, sizeof to), (long long)size);
}

/* A 2000-byte datagram (over the biggest netcode packet, 1225 bytes, and
 * over what a read keeps) in front of 100 small ones: one
 * ly_server_update reads all 101 and counts the big one in
 * dropped_oversized. The server still serves a client, and the client
 * counts the same datagram in its own stats. */
static void oversized(void)
{
    ly_server *s;
    ly_client *cs[1];
    ly_stats st;
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE], out[100];
    char addr[LY_ADDRESS_STRING_SIZE], caddr[LY_ADDRESS_STRING_SIZE];
    raw_socket fd = socket(AF_INET, SOCK_DGRAM, 0);

    CHECK(fd != RAW_INVALID);
    s = server_start("127.0.0.1:0", 0, addr);
    send_raw(fd, port_of(addr), 2000, 1);
    send_raw(fd, port_of(addr), 40, 100);
    CHECK_OK(ly_server_update(s, 0));
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_server_stats(s, &st));
    CHECK_EQ(st.packets_received, 101);
    CHECK_EQ(st.dropped_oversized, 1);
    CHECK_EQ(st.dropped_unknown_address, 100);

    cs[0] = client_manual(addr, ID_MANUAL);
    CHECK_OK(ly_client_connect(cs[0]));
    pump_connected(s, cs, 1);
    CHECK_EQ(ly_server_poll(s, &ev, NULL, 0), 1);
    CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
    fill(out, sizeof out, ID_MANUAL, 0);
    CHECK_OK(ly_client_send(cs[0], out, sizeof out));
    wait_event(s, cs, 1, &ev, buf, sizeof buf);
    CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    CHECK_EQ(ev.payload_size, sizeof out);
    CHECK(same(buf, sizeof out, ID_MANUAL, 0));

    CHECK(ly_client_local_address(cs[0], caddr, sizeof caddr) > 0);
    send_raw(fd, port_of(caddr), 2000, 1);
    CHECK_OK(ly_client_update(cs[0], 0));
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_client_stats(cs[0], &st));
    CHECK_EQ(st.dropped_oversized, 1);
    CHECK_EQ(client_state(cs[0]), LY_STATE_CONNECTED);
    printf("oversized: counted by server and client; the client still connected\n");

    raw_close(fd);
    CHECK_OK(ly_client_destroy(cs[0]));
    CHECK_OK(ly_server_destroy(s));
}

/* Whether this host has an IPv6 loopback: a UDP socket binds [::1].
 * Without it (a container, or wine on a host without IPv6) the IPv6 runs
 * are skipped, and the output says so. */
static int have_ipv6(void)
{
    struct sockaddr_in6 a;
    raw_socket fd = socket(AF_INET6, SOCK_DGRAM, 0);
    int ok;
    if (fd == RAW_INVALID)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (const struct sockaddr *)&a, sizeof a) == 0;
    raw_close(fd);
    return ok;
}

int main(void)
{
#ifdef _WIN32
    WSADATA wsa;
    CHECK_EQ(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
#endif
    run("127.0.0.1:0", "ipv4");
    if (have_ipv6()) {
        run("[::1]:0", "ipv6");
        dual_bind();
    } else if (getenv("LY_TEST_EMULATOR") != NULL) {
        /* Only an emulator (a wine without IPv6) may lack it: natively
         * the IPv6 and dual-stack paths must run. */
        printf("ipv6: SKIPPED under %s: no IPv6 loopback ([::1] does not bind); IPv4 only\n",
               getenv("LY_TEST_EMULATOR"));
    } else {
        fprintf(stderr, "no IPv6 loopback on this host ([::1] does not bind): the IPv6 and dual-stack tests cannot run\n");
        CHECK(have_ipv6());
    }
    oversized();
    return check_summary("test_echo");
}
