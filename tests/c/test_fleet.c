/*
 * test_fleet.c - connect tokens from the token service, game servers in
 * the Redis fleet, all from C, all real: a redis-server, two lytokens
 * replicas over TLS sharing it, three game servers registering with
 * ly_server_fleet_register (one in a child process that is killed with
 * SIGKILL), clients fetching tokens with ly_token_fetch and the
 * ly_token_request pair from both replicas, connecting and exchanging
 * payloads.
 *
 * fleet_test.sh starts Redis and the replicas and passes them in the
 * environment (LY_FLEET_*); run alone, the test exits 77 (skipped).
 * Linux only (posix_spawn, SIGKILL), like the script.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lightyear_conn.h"
#include "check.h"
#include "net.h"
#include "platform.h"

extern char **environ;

/* The fleet's TTL: short, so that a killed server drops out quickly. */
#define TTL_MS 1000
#define MAX_CLIENTS 2
#define MAX_CREDS 16

static const char *redis_addr, *prefix, *url[2], *pin, *ca_file, *bad_cred;
static char creds[MAX_CREDS][1024];
static int ncreds, next_cred;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        printf("test_fleet: %s not set: run through tests/c/fleet_test.sh (skipped)\n", name);
        exit(77);
    }
    return v;
}

static void read_creds(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    while (ncreds < MAX_CREDS && fgets(creds[ncreds], sizeof creds[ncreds], f) != NULL) {
        creds[ncreds][strcspn(creds[ncreds], "\r\n")] = '\0';
        if (creds[ncreds][0] != '\0')
            ncreds++;
    }
    fclose(f);
    CHECK(ncreds >= 10);
}

/* Options for replica r with credential cred, pinned. */
static ly_token_fetch_options options(int r, const char *cred)
{
    ly_token_fetch_options o;
    ly_token_fetch_options_defaults(&o);
    o.url = url[r];
    o.credential = cred;
    o.pin_sha256 = pin;
    o.timeout_ms = 5000;
    return o;
}

static int token_has(const uint8_t *token, const char *addr)
{
    ly_token_info info;
    char buf[LY_ADDRESS_STRING_SIZE];
    uint32_t i;
    info.struct_size = sizeof info;
    CHECK_OK(ly_token_read(token, LY_CONNECT_TOKEN_SIZE, &info));
    for (i = 0; i < info.num_addresses; i++) {
        CHECK(ly_token_address(token, LY_CONNECT_TOKEN_SIZE, i, buf, sizeof buf) > 0);
        if (strcmp(buf, addr) == 0)
            return 1;
    }
    return 0;
}

static uint32_t token_addresses(const uint8_t *token)
{
    ly_token_info info;
    info.struct_size = sizeof info;
    CHECK_OK(ly_token_read(token, LY_CONNECT_TOKEN_SIZE, &info));
    return info.num_addresses;
}

/* ------------------------------------------------------------------ */
/* The child: one game server in the fleet, echoing, until killed.     */

static int run_child(void)
{
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_fleet_config fc;
    ly_server *s;
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    double end;
    int n;
    pid_t parent = getppid();

    s = server_start("127.0.0.1:0", MAX_CLIENTS, addr);
    ly_fleet_config_defaults(&fc);
    fc.redis_url = env("LY_FLEET_REDIS");
    fc.key_prefix = env("LY_FLEET_PREFIX");
    fc.server_id = "child";
    fc.tags = "eu";
    fc.ttl_ms = TTL_MS;
    CHECK_OK(ly_server_fleet_register(s, &fc));
    printf("%s\n", addr);
    fflush(stdout);
    /* Killed long before; the bound and the parent check only keep an
     * orphan from lingering if the test fails first. */
    for (end = now_s() + 60; now_s() < end && getppid() == parent;) {
        CHECK_OK(ly_server_update(s, 0.01));
        while ((n = ly_server_poll(s, &ev, buf, sizeof buf)) > 0)
            if (ev.type == LY_EVENT_PAYLOAD)
                ly_server_send(s, ev.client, buf, ev.payload_size);
        CHECK(n == 0);
        nap_us(10000);
    }
    return 0;
}

typedef struct {
    pid_t pid;
    char addr[LY_ADDRESS_STRING_SIZE];
} child;

static void child_spawn(child *c, const char *self)
{
    int fds[2];
    posix_spawn_file_actions_t fa;
    char *argv[3];
    FILE *out;
    CHECK_EQ(pipe(fds), 0);
    CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
    CHECK_EQ(posix_spawn_file_actions_adddup2(&fa, fds[1], 1), 0);
    CHECK_EQ(posix_spawn_file_actions_addclose(&fa, fds[0]), 0);
    argv[0] = (char *)self;
    argv[1] = "--child";
    argv[2] = NULL;
    CHECK_EQ(posix_spawn(&c->pid, self, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out = fdopen(fds[0], "r");
    CHECK(out != NULL);
    CHECK(fgets(c->addr, sizeof c->addr, out) != NULL);
    c->addr[strcspn(c->addr, "\n")] = '\0';
    fclose(out);
    printf("child server %s (pid %ld)\n", c->addr, (long)c->pid);
}

/* ------------------------------------------------------------------ */
/* The parent: servers a and b in this process.                        */

static ly_server *srv[2];
static char srv_addr[2][LY_ADDRESS_STRING_SIZE];
static ly_client *clients[16];
static int nclients;

/* One real tick: servers a and b echo payloads, clients update. */
static void tick(void)
{
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int i, n;
    for (i = 0; i < 2; i++) {
        if (srv[i] == NULL)
            continue;
        CHECK_OK(ly_server_update(srv[i], 0.01));
        while ((n = ly_server_poll(srv[i], &ev, buf, sizeof buf)) > 0)
            if (ev.type == LY_EVENT_PAYLOAD)
                CHECK_OK(ly_server_send(srv[i], ev.client, buf, ev.payload_size));
        CHECK(n == 0);
    }
    for (i = 0; i < nclients; i++)
        if (clients[i] != NULL)
            CHECK_OK(ly_client_update(clients[i], 0.01));
    nap_us(10000);
}

static void ticks_for(double seconds)
{
    double end = now_s() + seconds;
    while (now_s() < end)
        tick();
}

/* Connects a client with token and checks a payload's round trip. */
static ly_client *connect_and_echo(const uint8_t *token)
{
    ly_client *c = NULL;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    char msg[32];
    int i, state = 0, n = 0;
    CHECK_OK(ly_client_create(token, LY_CONNECT_TOKEN_SIZE, NULL, &c));
    CHECK_OK(ly_client_connect(c));
    clients[nclients++] = c;
    for (i = 0; i < 500 && state != LY_STATE_CONNECTED; i++) {
        tick();
        CHECK_OK(ly_client_get_state(c, &state));
        CHECK(state >= 0);
    }
    CHECK_EQ(state, LY_STATE_CONNECTED);
    snprintf(msg, sizeof msg, "hello %d", nclients);
    CHECK_OK(ly_client_send(c, (const uint8_t *)msg, (uint32_t)strlen(msg)));
    for (i = 0; i < 500 && n == 0; i++) {
        tick();
        n = ly_client_receive(c, buf, sizeof buf, NULL);
        CHECK(n >= 0);
    }
    CHECK_EQ(n, (int)strlen(msg));
    CHECK(memcmp(buf, msg, (size_t)n) == 0);
    return c;
}

static void destroy_clients(void)
{
    int i;
    for (i = 0; i < nclients; i++)
        if (clients[i] != NULL)
            CHECK_OK(ly_client_destroy(clients[i]));
    nclients = 0;
}

static const char *cred(void)
{
    CHECK(next_cred < ncreds);
    return creds[next_cred++];
}

static int fetch(int r, const char *credential, uint8_t *token)
{
    ly_token_fetch_options o = options(r, credential);
    return ly_token_fetch(&o, token, LY_CONNECT_TOKEN_SIZE);
}

/* Fetches with the start/poll pair, ticking the servers meanwhile. */
static int fetch_async(int r, const char *credential, uint8_t *token, int *pending_seen)
{
    ly_token_fetch_options o = options(r, credential);
    ly_token_request *req = NULL;
    uint8_t small[16];
    int rc, i;
    CHECK_OK(ly_token_request_start(&o, &req));
    *pending_seen = 0;
    for (i = 0; i < 1000; i++) {
        rc = ly_token_request_poll(req, token, LY_CONNECT_TOKEN_SIZE);
        if (rc != LY_TOKEN_PENDING)
            break;
        (*pending_seen)++;
        tick();
    }
    /* A result stays until freed; a small buffer loses nothing. */
    CHECK_EQ(ly_token_request_poll(req, small, sizeof small), LY_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ(ly_token_request_poll(req, token, LY_CONNECT_TOKEN_SIZE), rc);
    CHECK_OK(ly_token_request_free(req));
    CHECK_EQ(ly_token_request_poll(req, token, LY_CONNECT_TOKEN_SIZE), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_token_request_free(req), LY_ERR_INVALID_HANDLE);
    return rc;
}

static void register_server(int i, const char *id)
{
    ly_fleet_config fc;
    ly_fleet_config_defaults(&fc);
    CHECK_EQ(fc.struct_size, sizeof fc);
    CHECK_EQ(fc.ttl_ms, 10000);
    fc.redis_url = redis_addr;
    fc.key_prefix = prefix;
    fc.server_id = id;
    fc.tags = "eu, test";
    fc.ttl_ms = TTL_MS;
    CHECK_OK(ly_server_fleet_register(srv[i], &fc));
    CHECK_EQ(ly_server_fleet_register(srv[i], &fc), LY_ERR_ALREADY_ACTIVE);
}

static void wait_status_ok(ly_server *s)
{
    int i, st = 0;
    for (i = 0; i < 500 && (st = ly_server_fleet_status(s)) != LY_FLEET_REGISTERED; i++)
        tick();
    CHECK_EQ(st, LY_FLEET_REGISTERED);
}

static void test_refusals(void)
{
    ly_fleet_config fc;
    ly_server_config cfg;
    ly_server *local_only = NULL, *stopped = NULL, *lonely = NULL;
    char addr[LY_ADDRESS_STRING_SIZE];
    int i, st = 0;

    ly_fleet_config_defaults(&fc);
    fc.redis_url = redis_addr;
    CHECK_EQ(ly_server_fleet_register(NULL, &fc), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_fleet_register(srv[0], NULL), LY_ERR_INVALID_ARGUMENT);
    fc.struct_size = 8;
    CHECK_EQ(ly_server_fleet_register(srv[0], &fc), LY_ERR_INVALID_ARGUMENT);
    ly_fleet_config_defaults(&fc);
    CHECK_EQ(ly_server_fleet_register(srv[0], &fc), LY_ERR_INVALID_ARGUMENT); /* no redis_url */
    fc.redis_url = redis_addr;
    fc.ttl_ms = 10;
    CHECK_EQ(ly_server_fleet_register(srv[0], &fc), LY_ERR_INVALID_ARGUMENT);
    fc.ttl_ms = TTL_MS;
    fc.public_addresses = "0.0.0.0:4000";
    CHECK_EQ(ly_server_fleet_register(srv[0], &fc), LY_ERR_INVALID_ARGUMENT);
    fc.public_addresses = NULL;

    /* A server without a netcode backend has nothing to put in tokens. */
    ly_server_config_defaults(&cfg);
    CHECK_OK(ly_server_create(&cfg, &local_only));
    CHECK_OK(ly_server_start(local_only));
    CHECK_EQ(ly_server_fleet_register(local_only, &fc), LY_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ly_last_error(), "netcode") != NULL);
    CHECK_OK(ly_server_destroy(local_only));

    stopped = server_start("127.0.0.1:0", 2, addr);
    CHECK_OK(ly_server_stop(stopped));
    CHECK_EQ(ly_server_fleet_register(stopped, &fc), LY_ERR_NOT_RUNNING);
    CHECK_EQ(ly_server_fleet_status(stopped), LY_ERR_NOT_RUNNING);
    CHECK_OK(ly_server_fleet_deregister(stopped)); /* not registered: LY_OK */
    CHECK_OK(ly_server_destroy(stopped));
    CHECK_EQ(ly_server_fleet_status(stopped), LY_ERR_INVALID_HANDLE);

    /* A Redis nobody runs: the status says so, and retries go on. */
    lonely = server_start("127.0.0.1:0", 2, addr);
    fc.redis_url = "127.0.0.1:1";
    fc.server_id = "lonely";
    CHECK_OK(ly_server_fleet_register(lonely, &fc));
    for (i = 0; i < 500 && (st = ly_server_fleet_status(lonely)) == LY_FLEET_PENDING; i++)
        nap_us(10000);
    CHECK_EQ(st, LY_ERR_SOCKET);
    CHECK(strstr(ly_last_error(), "fleet registration failing") != NULL);
    CHECK_OK(ly_server_destroy(lonely));
    printf("fleet registration refusals: ok\n");
}

static void test_fetch_refusals(void)
{
    uint8_t token[LY_CONNECT_TOKEN_SIZE];
    ly_token_fetch_options o;
    ly_token_request *req = NULL;

    CHECK_EQ(ly_token_fetch(NULL, token, sizeof token), LY_ERR_INVALID_ARGUMENT);
    o = options(0, creds[0]);
    CHECK_EQ(ly_token_fetch(&o, NULL, sizeof token), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token - 1), LY_ERR_BUFFER_TOO_SMALL);
    o.struct_size = 4;
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_token_request_start(&o, &req), LY_ERR_INVALID_ARGUMENT);
    o = options(0, creds[0]);
    CHECK_EQ(ly_token_request_start(&o, NULL), LY_ERR_INVALID_ARGUMENT);
    o.url = "http://127.0.0.1:1/v1/token";
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ly_last_error(), "https") != NULL);
    o = options(0, creds[0]);
    o.ca_file = ca_file;
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_ERR_INVALID_ARGUMENT); /* pin and CA */
    CHECK_EQ(ly_token_request_poll(NULL, token, sizeof token), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_token_request_free(NULL), LY_ERR_INVALID_HANDLE);

    /* A bad credential: 401, from both replicas. */
    CHECK_EQ(fetch(0, bad_cred, token), LY_ERR_UNAUTHORIZED);
    CHECK(strstr(ly_last_error(), "HTTP 401") != NULL);
    CHECK_EQ(fetch(1, bad_cred, token), LY_ERR_UNAUTHORIZED);

    /* A pin the certificate does not match: refused by the client. */
    o = options(1, creds[0]);
    o.pin_sha256 = "abababababababababababababababababababababababababababababababab";
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_ERR_TLS);
    CHECK(strstr(ly_last_error(), "pinned") != NULL);
    /* Nor do the system's roots know the test's certificate. */
    o.pin_sha256 = NULL;
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_ERR_TLS);
    printf("token fetch refusals: ok\n");
}

static int run_parent(const char *self)
{
    uint8_t token[LY_CONNECT_TOKEN_SIZE];
    ly_token_fetch_options o;
    child kid;
    double killed, t0, t1;
    int i, rc, pending, status, total;

    srv[0] = server_start("127.0.0.1:0", MAX_CLIENTS, srv_addr[0]);
    srv[1] = server_start("127.0.0.1:0", MAX_CLIENTS, srv_addr[1]);
    test_refusals();
    test_fetch_refusals();
    register_server(0, "a");
    register_server(1, "b");
    child_spawn(&kid, self);
    wait_status_ok(srv[0]);
    wait_status_ok(srv[1]);

    /* The three servers are in the fleet: a token (through the CA file
     * this time) names all of them. */
    o = options(0, creds[0]);
    o.pin_sha256 = NULL;
    o.ca_file = ca_file;
    o.tag = "eu";
    for (i = 0; i < 100; i++) {
        CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_CONNECT_TOKEN_SIZE);
        if (token_addresses(token) == 3)
            break;
        ticks_for(0.05);
    }
    CHECK_EQ(token_addresses(token), 3);
    CHECK(token_has(token, srv_addr[0]) && token_has(token, srv_addr[1]) && token_has(token, kid.addr));
    /* No server has the tag "us". */
    o.tag = "us";
    CHECK_EQ(ly_token_fetch(&o, token, sizeof token), LY_ERR_NO_SERVER);
    printf("three servers registered: ok\n");

    /* Clients connect with tokens from both replicas, blocking and not. */
    CHECK_EQ(fetch(0, cred(), token), LY_CONNECT_TOKEN_SIZE);
    connect_and_echo(token);
    rc = fetch_async(1, cred(), token, &pending);
    CHECK_EQ(rc, LY_CONNECT_TOKEN_SIZE);
    CHECK(pending > 0); /* the poll returned before the network answered */
    connect_and_echo(token);
    printf("clients connected through both replicas: ok (async: %d polls pending)\n", pending);

    /* SIGKILL: no deregistration. The entry outlives the process until
     * its TTL lapses, then no token names it. */
    CHECK_EQ(kill(kid.pid, SIGKILL), 0);
    CHECK_EQ(waitpid(kid.pid, &status, 0), kid.pid);
    killed = now_s();
    CHECK_EQ(fetch(1, creds[0], token), LY_CONNECT_TOKEN_SIZE);
    CHECK(token_has(token, kid.addr));
    for (;;) {
        CHECK(now_s() - killed < TTL_MS / 1000.0 + 2);
        CHECK_EQ(fetch(1, creds[0], token), LY_CONNECT_TOKEN_SIZE);
        if (!token_has(token, kid.addr))
            break;
        ticks_for(0.05);
    }
    printf("killed server gone from tokens after %.2f s (TTL %.1f s): ok\n", now_s() - killed, TTL_MS / 1000.0);
    destroy_clients(); /* some may have been the child's */
    for (i = 0; i < 2; i++)
        CHECK_EQ(ly_server_disconnect_all(srv[i]), LY_OK);

    /* Fill a and b; then the fleet is full: 503. A server that became
     * full leaves the tokens once a heartbeat has published its count. */
    ticks_for(TTL_MS / 1000.0 / 2);
    t0 = now_s();
    for (i = 0; i < 8; i++) {
        char first[LY_ADDRESS_STRING_SIZE];
        int s;
        rc = fetch(i % 2, cred(), token);
        if (rc == LY_ERR_NO_SERVER)
            break;
        CHECK_EQ(rc, LY_CONNECT_TOKEN_SIZE);
        CHECK(!token_has(token, kid.addr));
        CHECK(ly_token_address(token, LY_CONNECT_TOKEN_SIZE, 0, first, sizeof first) > 0);
        connect_and_echo(token);
        s = strcmp(first, srv_addr[0]) == 0 ? 0 : 1;
        CHECK(strcmp(first, srv_addr[s]) == 0);
        if (ly_server_num_connected(srv[s]) < MAX_CLIENTS)
            continue;
        for (t1 = now_s();;) {
            CHECK(now_s() - t1 < 5);
            ticks_for(0.05);
            rc = fetch(0, creds[0], token);
            if (rc == LY_ERR_NO_SERVER || (rc == LY_CONNECT_TOKEN_SIZE && !token_has(token, first)))
                break;
            CHECK_EQ(rc, LY_CONNECT_TOKEN_SIZE);
        }
    }
    CHECK_EQ(rc, LY_ERR_NO_SERVER);
    CHECK(strstr(ly_last_error(), "HTTP 503") != NULL);
    total = ly_server_num_connected(srv[0]) + ly_server_num_connected(srv[1]);
    CHECK_EQ(total, 2 * MAX_CLIENTS);
    CHECK_EQ(fetch_async(0, cred(), token, &pending), LY_ERR_NO_SERVER);
    printf("full fleet answers LY_ERR_NO_SERVER after %d clients (%.1f s): ok\n", total, now_s() - t0);

    /* Room again on a after its clients leave; deregistering b removes it
     * at once; destroying a removes it too. */
    destroy_clients();
    ly_server_disconnect_all(srv[0]);
    ly_server_disconnect_all(srv[1]);
    CHECK_OK(ly_server_fleet_deregister(srv[1]));
    CHECK_EQ(ly_server_fleet_status(srv[1]), LY_ERR_NOT_RUNNING);
    for (i = 0; i < 100; i++) {
        ticks_for(0.05);
        if (fetch(0, creds[0], token) == LY_CONNECT_TOKEN_SIZE)
            break;
    }
    CHECK_EQ(fetch(0, creds[0], token), LY_CONNECT_TOKEN_SIZE);
    CHECK_EQ(token_addresses(token), 1);
    CHECK(token_has(token, srv_addr[0]));
    CHECK_OK(ly_server_destroy(srv[0]));
    srv[0] = NULL;
    CHECK_EQ(fetch(1, creds[0], token), LY_ERR_NO_SERVER);
    CHECK_OK(ly_server_destroy(srv[1]));
    srv[1] = NULL;
    printf("deregistration: ok\n");
    CHECK_OK(ly_shutdown());
    return check_summary("test_fleet");
}

int main(int argc, char **argv)
{
    test_watchdog(120);
    if (argc == 2 && strcmp(argv[1], "--child") == 0)
        return run_child();
    redis_addr = env("LY_FLEET_REDIS");
    prefix = env("LY_FLEET_PREFIX");
    url[0] = env("LY_FLEET_URL1");
    url[1] = env("LY_FLEET_URL2");
    pin = env("LY_FLEET_PIN");
    ca_file = env("LY_FLEET_CA");
    bad_cred = env("LY_FLEET_BAD_CREDENTIAL");
    read_creds(env("LY_FLEET_CREDENTIALS"));
    next_cred = 1; /* creds[0] only fetches, never connects */
    return run_parent(argv[0]);
}
