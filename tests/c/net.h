/*
 * net.h - loopback fixtures shared by the C tests: start a server on an
 * ephemeral port, drive clients and server with a simulated clock.
 *
 * Time only moves by the dt given to update; the short real sleep in
 * pump_once is there because a datagram must cross the kernel between
 * two updates.
 */
#ifndef LY_TEST_NET_H
#define LY_TEST_NET_H

#include <string.h>
#include <time.h>

#include "check.h"

#define TEST_PROTOCOL 0x4C59434F4E4E0001ULL
#define TEST_DT (1.0 / 60.0)
/* Enough simulated steps for a handshake that works; far fewer than a
 * 5 s timeout's worth would be too tight on a loaded machine. */
#define TEST_MAX_STEPS 3000

static const uint8_t test_key[LY_KEY_SIZE] = {
    0x60, 0x6a, 0xbe, 0x6e, 0xc9, 0x19, 0x10, 0xea, 0x9a, 0x65, 0x62, 0xf6, 0x6f, 0x2b, 0x30, 0xe4,
    0x43, 0x71, 0xd6, 0x2c, 0xd1, 0x99, 0x27, 0x26, 0x6b, 0x3c, 0x60, 0xf4, 0xb7, 0x15, 0xab, 0xa1,
};

static inline void nap_us(long us)
{
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    nanosleep(&ts, NULL);
}

/* Creates and starts a server bound to bind (port 0 = ephemeral) and
 * writes the address it really got into addr (LY_ADDRESS_STRING_SIZE). */
static inline ly_server *server_start(const char *bind, uint32_t max_clients, char *addr)
{
    ly_server_config cfg;
    ly_server *s = NULL;
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = TEST_PROTOCOL;
    memcpy(cfg.private_key, test_key, LY_KEY_SIZE);
    cfg.bind_addresses = bind;
    if (max_clients)
        cfg.max_clients = max_clients;
    CHECK_OK(ly_server_create(&cfg, &s));
    CHECK_OK(ly_server_start(s));
    CHECK(ly_server_address(s, 0, addr, LY_ADDRESS_STRING_SIZE) > 0);
    return s;
}

/* A manual client (it makes its own token) for the test server. */
static inline ly_client *client_manual(const char *server_addr, uint64_t id)
{
    ly_client *c = NULL;
    CHECK_OK(ly_client_create_manual(server_addr, id, TEST_PROTOCOL, test_key, LY_KEY_SIZE, NULL, &c));
    return c;
}

/* One step of the simulated world: every client, then the server. */
static inline void pump_once(ly_server *s, ly_client **cs, int n, double dt)
{
    int i;
    for (i = 0; i < n; i++)
        CHECK_OK(ly_client_update(cs[i], dt));
    if (s)
        CHECK_OK(ly_server_update(s, dt));
    nap_us(200);
}

static inline int client_state(ly_client *c)
{
    int st = -100;
    CHECK_OK(ly_client_get_state(c, &st));
    return st;
}

/* Connects every client (connect must already have been called) and
 * waits until the server counts them all. */
static inline void pump_connected(ly_server *s, ly_client **cs, int n)
{
    int step, i;
    for (step = 0; step < TEST_MAX_STEPS; step++) {
        int ok = ly_server_num_connected(s) == n;
        for (i = 0; ok && i < n; i++)
            ok = client_state(cs[i]) == LY_STATE_CONNECTED;
        if (ok)
            return;
        pump_once(s, cs, n, TEST_DT);
    }
    for (i = 0; i < n; i++)
        fprintf(stderr, "client %d: %s\n", i, ly_state_string(client_state(cs[i])));
    CHECK_EQ(ly_server_num_connected(s), n);
    CHECK(!"clients did not connect");
}

/* Polls one event, pumping the world until one arrives. */
static inline void wait_event(ly_server *s, ly_client **cs, int n, ly_event *ev, uint8_t *buf, uint32_t size)
{
    int step, r;
    for (step = 0; step < TEST_MAX_STEPS; step++) {
        r = ly_server_poll(s, ev, buf, size);
        CHECK(r >= 0);
        if (r == 1)
            return;
        pump_once(s, cs, n, TEST_DT);
    }
    CHECK(!"no server event arrived");
}

/* Receives one payload on a client, pumping the world until it arrives. */
static inline int wait_receive(ly_server *s, ly_client **cs, int n, ly_client *c, uint8_t *buf, uint32_t size)
{
    int step, r;
    for (step = 0; step < TEST_MAX_STEPS; step++) {
        r = ly_client_receive(c, buf, size, NULL);
        CHECK(r >= 0);
        if (r > 0)
            return r;
        pump_once(s, cs, n, TEST_DT);
    }
    CHECK(!"no payload arrived at the client");
    return -1;
}

#endif /* LY_TEST_NET_H */
