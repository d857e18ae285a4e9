/*
 * fuzz_capi.c - random call sequences against the whole C API.
 *
 *   fuzz_capi [--seed N] [--seconds S] [--iterations N] [--verbose]
 *
 * From a seed, it creates and destroys servers (netcode on 127.0.0.1 and
 * ::1 with port 0, local-only, bad configs) and clients (token, manual,
 * local, Steam over the test double when built with FAKESTEAM_PATH),
 * starts, stops, updates with random dt, sends random sizes (0, 1, max,
 * max + 1, huge, NULL), polls with random buffer sizes, makes and reads
 * tokens with random arguments, reads stats and sets conditioners, with
 * live, destroyed, never-valid, random-bit, forged and NULL handles. It
 * also keeps a server with a connected client, steady so that its ticks
 * run in C (capi/tick.c), and sprays hostile datagrams at it, on Linux
 * also from the client's own port through a raw socket when it may open
 * one (root): see op_pair and op_hostile.
 *
 * Every result is checked against what lightyear_conn.h documents for the
 * function and the arguments given: LY_OK or a count where one is
 * returned, otherwise one of the function's documented codes. A handle
 * that is not live gives exactly LY_ERR_INVALID_HANDLE when the other
 * arguments are good, and an argument error (NULL, struct_size, dt,
 * conditioner values) comes first when they are not. LY_ERR_INTERNAL is
 * always a failure. Payloads carry a pattern that is checked where they
 * come out, and buffers handed to the library end at a PROT_NONE page, so
 * a read or write past the size given faults at once.
 *
 * At the end everything is destroyed: every handle must then be invalid,
 * the handle table must not have grown past the most handles live at once
 * (slots are reused), no socket may be left open and, with the Steam
 * double, no Steam message unreleased.
 *
 * The network makes runs with one seed differ in detail (datagrams cross
 * the kernel); the seed still reproduces the sequence of calls. On a
 * failure the last calls are printed with the seed.
 *
 * A short run with a fixed seed is the ctest test c_fuzz_capi. The long
 * run, ten minutes with a fresh seed:
 *   nice build/tests/c/fuzz_capi --seconds 600 --seed $RANDOM
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef _WIN32
#include <dirent.h>
#endif
#ifdef __linux__
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "lightyear_conn.h"
#include "platform.h"

/* ------------------------------------------------------------------ */
/* Randomness, counters, failure reports                               */

static uint64_t rng;
static uint64_t seed;
static unsigned long long iterations, calls;
static int verbose, quiet;

static uint64_t rnd64(void)
{
    /* splitmix64 */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static uint32_t rnd(uint32_t n) { return n ? (uint32_t)(rnd64() % n) : 0; }
static int chance(uint32_t pct) { return rnd(100) < pct; }

/* The last calls, printed when a check fails. */
#define TRACE_N 48
static char trace[TRACE_N][200];
static unsigned trace_pos;

static void tracef(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(trace[trace_pos % TRACE_N], sizeof trace[0], fmt, ap);
    va_end(ap);
    if (verbose)
        fprintf(stderr, "%8llu %s\n", iterations, trace[trace_pos % TRACE_N]);
    trace_pos++;
}

static void failf(const char *fmt, ...)
{
    va_list ap;
    unsigned i, n = trace_pos < TRACE_N ? trace_pos : TRACE_N;
    fprintf(stderr, "fuzz_capi: FAILED at iteration %llu, call %llu (seed %" PRIu64 ")\n  ", iterations, calls, seed);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  ly_last_error: \"%s\"\n  last calls, oldest first:\n", ly_last_error());
    for (i = trace_pos - n; i != trace_pos; i++)
        fprintf(stderr, "    %s\n", trace[i % TRACE_N]);
    fprintf(stderr, "  reproduce: fuzz_capi --seed %" PRIu64 " --iterations %llu\n", seed, iterations + 1);
    fflush(stderr);
    exit(1);
}

/* Sets of results: bit k is error code -k; bit 0 is LY_OK or any
 * non-negative result (the caller checks its value). */
#define B(code) (1u << -(code))
#define OK B(LY_OK)
#define HND B(LY_ERR_INVALID_HANDLE)
#define ARG B(LY_ERR_INVALID_ARGUMENT)
#define SMALL B(LY_ERR_BUFFER_TOO_SMALL)
#define PSIZE B(LY_ERR_PAYLOAD_SIZE)
#define NCONN B(LY_ERR_NOT_CONNECTED)
#define UNK B(LY_ERR_UNKNOWN_CLIENT)
#define TOK B(LY_ERR_INVALID_TOKEN)
#define KEY B(LY_ERR_INVALID_KEY)
#define NRUN B(LY_ERR_NOT_RUNNING)
#define ACT B(LY_ERR_ALREADY_ACTIVE)
#define SOCK B(LY_ERR_SOCKET)
#define STEAM_NA B(LY_ERR_STEAM_UNAVAILABLE)
#define STEAM_INIT B(LY_ERR_STEAM_INIT_FAILED)

static void names_of(unsigned set, char *out, size_t size)
{
    int k;
    out[0] = '\0';
    for (k = 0; k <= -LY_ERR_HTTP; k++)
        if (set & (1u << k)) {
            size_t len = strlen(out);
            snprintf(out + len, size - len, "%s%s", len ? ", " : "", k ? ly_error_string(-k) : ">= 0");
        }
}

/* Checks rc against the allowed set; a failure must leave a message. */
static int expect(const char *what, int rc, unsigned allowed)
{
    calls++;
    if (!quiet || (rc < 0 && rc != LY_ERR_NOT_RUNNING))
        tracef("%s -> %d", what, rc);
    if (rc >= 0 ? !(allowed & OK) : (rc < LY_ERR_HTTP || !(allowed & (1u << -rc)))) {
        char want[400];
        names_of(allowed, want, sizeof want);
        failf("%s returned %d (%s); allowed: %s", what, rc, rc < 0 ? ly_error_string(rc) : "value", want);
    }
    if (rc < 0 && ly_last_error()[0] == '\0')
        failf("%s returned %d with an empty ly_last_error", what, rc);
    return rc;
}

#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            failf(__VA_ARGS__);                                                                    \
    } while (0)

/* ------------------------------------------------------------------ */
/* Buffers that end at an inaccessible page                             */

#define GUARD_AREA (64 * 1024)

typedef struct {
    uint8_t *base; /* GUARD_AREA bytes, then a PROT_NONE page */
} guarded;

static void guard_init(guarded *g)
{
    uint8_t *p = test_guarded_alloc(GUARD_AREA);
    REQUIRE(p != NULL, "cannot map a buffer followed by a guard page");
    g->base = p;
}

/* n bytes whose last one is just before the guard page. */
static uint8_t *guard_tail(guarded *g, size_t n)
{
    REQUIRE(n <= GUARD_AREA, "guarded buffer of %zu bytes", n);
    return g->base + GUARD_AREA - n;
}

static guarded g_in, g_out, g_events, g_tok, g_str, g_misc;

/* Payload pattern: byte 0 is a tag, the rest follow from it. */
static void fill_payload(uint8_t *p, uint32_t n)
{
    uint8_t tag = (uint8_t)rnd(256);
    uint32_t i;
    for (i = 0; i < n; i++)
        p[i] = i ? (uint8_t)(tag * 31u + i * 7u) : tag;
}

static void check_payload(const char *where, const uint8_t *p, uint32_t n)
{
    uint32_t i;
    REQUIRE(n >= 1 && n <= LY_MAX_PAYLOAD_SIZE, "%s: payload of %u bytes", where, n);
    for (i = 1; i < n; i++)
        REQUIRE(p[i] == (uint8_t)(p[0] * 31u + i * 7u), "%s: payload of %u bytes corrupt at byte %u", where, n, i);
}

/* ------------------------------------------------------------------ */
/* The world the fuzzer keeps                                           */

#define NS 6
#define NC 16
#define NSTALE 64
#define PROTO 0x4C59465A5A000001ULL

static const uint8_t key_a[LY_KEY_SIZE] = {
    0x60, 0x6a, 0xbe, 0x6e, 0xc9, 0x19, 0x10, 0xea, 0x9a, 0x65, 0x62, 0xf6, 0x6f, 0x2b, 0x30, 0xe4,
    0x43, 0x71, 0xd6, 0x2c, 0xd1, 0x99, 0x27, 0x26, 0x6b, 0x3c, 0x60, 0xf4, 0xb7, 0x15, 0xab, 0xa1,
};
static uint8_t key_b[LY_KEY_SIZE];

/* The web binds put UDP first, so that address 0 is where netcode
 * clients connect; wss without a certificate cannot start; ws off
 * loopback and an unknown scheme are refused at create. */
enum { BIND_NONE, BIND_EMPTY, BIND_V4, BIND_V6, BIND_BOTH, BIND_ANY_NOPUB, BIND_ANY_PUB, BIND_BAD,
       BIND_WEB, BIND_WSS, BIND_WS_ANY, BIND_SCHEME, BIND_KINDS };
static const char *bind_str[BIND_KINDS] = {NULL, "", "127.0.0.1:0", "[::1]:0", "127.0.0.1:0, [::1]:0",
                                           "0.0.0.0:0", "0.0.0.0:0", "127.0.0.1",
                                           "udp://127.0.0.1:0,ws://127.0.0.1:0,wt://127.0.0.1:0",
                                           "127.0.0.1:0 wss://127.0.0.1:0", "ws://0.0.0.0:0", "tcp://127.0.0.1:0"};

typedef struct {
    ly_server *h;
    int live, running, bind, steam;
    uint32_t max;
    char addr[LY_ADDRESS_STRING_SIZE]; /* where clients reach it, "" if nowhere */
} srv_t;

enum { CK_TOKEN, CK_MANUAL, CK_LOCAL, CK_STEAM };
static const char *ck_name[] = {"token", "manual", "local", "steam"};

typedef struct {
    ly_client *h;
    int live, kind;
    int epoch; /* Steam clients: the Steam open they were made in */
} cli_t;

static srv_t srv[NS];
static cli_t cli[NC];
static uintptr_t stale[NSTALE]; /* destroyed handles of either kind */
static unsigned nstale;
static int live_handles, peak_live;
static uint32_t max_index;
static int steam_open, steam_epoch;

static struct {
    unsigned long long servers, clients, connected, disconnected, warnings, spayloads, cpayloads, too_small, shutdowns,
        steam_opens, invalid_handle_calls, pairs, hostile, spoofed, captured;
} st;

static void note_created(uintptr_t h)
{
    uint32_t idx = (uint32_t)(h & 0xFFFFF); /* white box: the slot index, see capi/handles.go */
    if (idx > max_index)
        max_index = idx;
    if (++live_handles > peak_live)
        peak_live = live_handles;
}

static void note_destroyed(uintptr_t h)
{
    stale[nstale++ % NSTALE] = h;
    live_handles--;
}

/* Handle pickers: a live one most of the time, else one that is not. */
enum { PICK_LIVE, PICK_STALE, PICK_NULL, PICK_RANDOM, PICK_FORGED, PICK_CROSS, PICK_SMALL };

static uintptr_t invalid_handle(uintptr_t cross)
{
    switch (rnd(6)) {
    case 0:
        if (nstale)
            return stale[rnd(nstale < NSTALE ? nstale : NSTALE)];
        /* fall through */
    case 1: return 0;
    case 2: return (uintptr_t)rnd64();
    case 3: /* the magic, a kind, random generation and index */
        return (uintptr_t)(0x4C59ULL << 48 | (uint64_t)(1 + rnd(3)) << 44 | (rnd64() & 0xFFFFFFFFFFFULL));
    case 4:
        if (cross)
            return cross;
        return (uintptr_t)(1 + rnd(0x10000));
    default:
        return (uintptr_t)(1 + rnd(0x10000));
    }
}

static int pick_live_server(void)
{
    int i, n = 0, idx[NS];
    for (i = 0; i < NS; i++)
        if (srv[i].live)
            idx[n++] = i;
    return n ? idx[rnd(n)] : -1;
}

static int pick_live_client(void)
{
    int i, n = 0, idx[NC];
    for (i = 0; i < NC; i++)
        if (cli[i].live)
            idx[n++] = i;
    return n ? idx[rnd(n)] : -1;
}

/* A live server (slot in *slot) or an invalid handle (*slot = -1). A
 * forged handle that mutates a live one is included: one generation or
 * kind bit flipped (bits 20..47, see capi/handles.go). */
static ly_server *pick_server(int *slot)
{
    int s = pick_live_server(), c = pick_live_client();
    *slot = -1;
    if (s >= 0 && chance(85)) {
        *slot = s;
        return srv[s].h;
    }
    st.invalid_handle_calls++;
    if (s >= 0 && chance(20))
        return (ly_server *)((uintptr_t)srv[s].h ^ (uintptr_t)1 << (20 + rnd(28)));
    return (ly_server *)invalid_handle(c >= 0 ? (uintptr_t)cli[c].h : 0);
}

static ly_client *pick_client(int *slot)
{
    int c = pick_live_client(), s = pick_live_server();
    *slot = -1;
    if (c >= 0 && chance(85)) {
        *slot = c;
        return cli[c].h;
    }
    st.invalid_handle_calls++;
    if (c >= 0 && chance(20))
        return (ly_client *)((uintptr_t)cli[c].h ^ (uintptr_t)1 << (20 + rnd(28)));
    return (ly_client *)invalid_handle(s >= 0 ? (uintptr_t)srv[s].h : 0);
}

/* The result set for a call on a handle: an argument error first, then
 * the handle, then what the live handle allows. */
static unsigned on_handle(int argerr, int slot, unsigned live_set)
{
    if (argerr)
        return ARG;
    if (slot < 0)
        return HND;
    return live_set;
}

static ly_client_id random_id(void)
{
    ly_client_id id;
    int s = pick_live_server();
    memset(&id, 0, sizeof id);
    /* Mostly an id that may well be connected. */
    if (s >= 0 && chance(70)) {
        ly_client_id ids[8];
        int n = ly_server_connected_ids(srv[s].h, ids, 8);
        calls++;
        if (n > 0)
            return ids[rnd(n < 8 ? (uint32_t)n : 8)];
    }
    id.id = chance(80) ? rnd(10) : rnd64();
    id.kind = chance(90) ? 1 + rnd(3) : rnd(1000);
    id.reserved = chance(95) ? 0 : (uint32_t)rnd64();
    return id;
}

static double random_dt(int *bad)
{
    *bad = 0;
    switch (rnd(20)) {
    case 0: *bad = 1; return -0.016;
    case 1: *bad = 1; return NAN;
    case 2: *bad = 1; return INFINITY;
    case 3: return 0.0;
    case 4: return 1.0 + rnd(20); /* timeouts */
    case 5: *bad = 1; return -INFINITY;
    case 6:
        /* Finite but past the clock's range: the clock saturates (and
         * then stops), so rarely, or most handles would lose their
         * timeouts for the rest of the run. */
        if (chance(5))
            return 1e300;
        return rnd(50) / 1000.0;
    default: return rnd(50) / 1000.0;
    }
}

/* A send size and buffer: 0, 1, max, max + 1, huge, random; sometimes
 * NULL. *argerr is set when the call must fail as an argument error. */
static const uint8_t *random_payload(uint32_t *size, int *argerr, int *size_ok)
{
    uint32_t n;
    uint8_t *p;
    switch (rnd(8)) {
    case 0: n = 0; break;
    case 1: n = 1; break;
    case 2: n = LY_MAX_PAYLOAD_SIZE; break;
    case 3: n = LY_MAX_PAYLOAD_SIZE + 1; break;
    case 4: n = chance(50) ? 0xFFFFFFFFu : 0x80000000u + rnd(1000); break;
    default: n = 1 + rnd(LY_MAX_PAYLOAD_SIZE); break;
    }
    *size = n;
    *size_ok = n >= 1 && n <= LY_MAX_PAYLOAD_SIZE;
    if (chance(5)) {
        *argerr = n > 0;
        return NULL;
    }
    *argerr = 0;
    /* The buffer holds up to max + 1 bytes; bigger sizes must be refused
     * before anything is read, or the read faults on the guard page. */
    p = guard_tail(&g_in, n <= LY_MAX_PAYLOAD_SIZE + 1 ? n : LY_MAX_PAYLOAD_SIZE + 1);
    fill_payload(p, n <= LY_MAX_PAYLOAD_SIZE + 1 ? n : LY_MAX_PAYLOAD_SIZE + 1);
    return p;
}

/* A receive or poll buffer size: 0, tiny, around a payload, max, big. */
static uint32_t random_buf_size(void)
{
    switch (rnd(6)) {
    case 0: return 0;
    case 1: return 1 + rnd(16);
    case 2: return rnd(LY_MAX_PAYLOAD_SIZE + 1);
    case 3: return LY_MAX_PAYLOAD_SIZE;
    default: return LY_MAX_PAYLOAD_SIZE + rnd(4 * LY_MAX_PAYLOAD_SIZE);
    }
}

static void check_string(const char *what, const char *buf, int len, uint32_t size)
{
    REQUIRE(len >= 0 && (uint32_t)len < size, "%s: length %d for a buffer of %u", what, len, size);
    REQUIRE(buf[len] == '\0' && strlen(buf) == (size_t)len, "%s: string not NUL-terminated at %d", what, len);
}

/* ------------------------------------------------------------------ */
/* Conditioner configs                                                  */

static ly_conditioner_config *random_conditioner(ly_conditioner_config *c, int *bad)
{
    if (chance(30))
        return NULL;
    REQUIRE(ly_conditioner_preset_config((int)rnd(4), c) == LY_OK, "preset config failed");
    calls++;
    c->seed = rnd64();
    switch (rnd(12)) {
    case 0: c->struct_size = (uint32_t)rnd(offsetof(ly_conditioner_config, burst_model)); *bad = 1; break;
    case 1: c->loss = 1.5; *bad = 1; break;
    case 2: c->latency_ms = -5; *bad = 1; break;
    case 3: c->jitter_ms = NAN; *bad = 1; break;
    case 4: c->duplicate = -0.1; *bad = 1; break;
    case 5: c->latency_ms = 1e300; *bad = 1; break;
    case 6: c->loss = rnd(1000) / 1000.0; c->reorder = rnd(1000) / 1000.0; break;
    case 7: c->burst_model = LY_BURST_GILBERT; c->burst_p = rnd(100) / 100.0; c->burst_r = rnd(100) / 100.0; break;
    case 8: c->burst_model = (uint32_t)rnd(5) + 3; *bad = 1; break;
    case 9: c->struct_size = (uint32_t)offsetof(ly_conditioner_config, burst_model); c->burst_model = 99; break; /* not read */
    default: break;
    }
    return c;
}

/* ------------------------------------------------------------------ */
/* Servers                                                              */

static void refresh_addr(int i)
{
    char buf[LY_ADDRESS_STRING_SIZE];
    int len;
    srv[i].addr[0] = '\0';
    if (!srv[i].running || srv[i].bind == BIND_NONE || srv[i].bind == BIND_EMPTY)
        return;
    len = expect("server_address(refresh)", ly_server_address(srv[i].h, 0, buf, sizeof buf), OK);
    check_string("server_address", buf, len, sizeof buf);
    if (strncmp(buf, "0.0.0.0:", 8) == 0) /* the port is at most 5 digits */
        snprintf(srv[i].addr, sizeof srv[i].addr, "127.0.0.1:%.5s", buf + 8);
    else
        memcpy(srv[i].addr, buf, (size_t)len + 1);
}

static void op_server_create(void)
{
    ly_server_config cfg;
    ly_server *h = (ly_server *)(uintptr_t)0xDEAD;
    int i, bind = (int)rnd(BIND_KINDS), argerr = 0, rc;
    uint32_t max;
    char what[160];

    for (i = 0; i < NS && srv[i].live; i++)
        ;
    if (i == NS)
        return;
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = PROTO;
    memcpy(cfg.private_key, chance(90) ? key_a : key_b, LY_KEY_SIZE);
    cfg.bind_addresses = bind_str[bind];
    if (bind == BIND_ANY_PUB)
        cfg.public_addresses = "127.0.0.1:0";
    if (bind == BIND_BAD || bind == BIND_WS_ANY || bind == BIND_SCHEME)
        argerr = 1;
    switch (rnd(10)) {
    case 0: max = 0; break;
    case 1: max = 1; break;
    case 2: max = 1 + rnd(4); break;
    case 3: max = 1048577u + rnd(1000); argerr = 1; break;
    case 4: max = 0xFFFFFFFFu; argerr = 1; break;
    default: max = 4 + rnd(60); break;
    }
    cfg.max_clients = max;
    cfg.batch_sends = chance(50) ? 0 : (uint32_t)rnd64() | 1;
    switch (rnd(20)) {
    case 0: cfg.token_history_size = 1 + (uint32_t)rnd(4); break; /* fills: refusals and warnings */
    case 1: cfg.token_history_size = (1u << 30) + 1 + (uint32_t)rnd(1000); argerr = 1; break;
    default: break;
    }
    if (chance(4)) {
        cfg.struct_size = (uint32_t)rnd(offsetof(ly_server_config, token_history_size));
        argerr = 1;
    } else if (chance(4)) {
        /* A caller built before token_history_size: the field is not read. */
        cfg.struct_size = (uint32_t)offsetof(ly_server_config, token_history_size);
        argerr = bind == BIND_BAD || bind == BIND_WS_ANY || bind == BIND_SCHEME || max > 1048576u;
    }
    snprintf(what, sizeof what, "server_create(bind=%s, max=%u, struct_size=%u)",
             bind_str[bind] ? bind_str[bind] : "NULL", max, cfg.struct_size);
    if (chance(3)) {
        expect(what, ly_server_create(chance(50) ? NULL : &cfg, NULL), ARG);
        return;
    }
    rc = expect(what, ly_server_create(&cfg, &h), argerr ? ARG : OK);
    if (rc != LY_OK)
        return;
    REQUIRE(h != NULL, "server_create gave NULL");
    memset(&srv[i], 0, sizeof srv[i]);
    srv[i].h = h;
    srv[i].live = 1;
    srv[i].bind = bind;
    srv[i].max = max ? max : 256;
    note_created((uintptr_t)h);
    st.servers++;
}

static void destroy_server(int i)
{
    expect("server_destroy", ly_server_destroy(srv[i].h), OK);
    note_destroyed((uintptr_t)srv[i].h);
    srv[i].live = 0;
}

static void op_server_destroy(void)
{
    int slot;
    ly_server *h = pick_server(&slot);
    if (slot >= 0) {
        destroy_server(slot);
        return;
    }
    expect("server_destroy(invalid)", ly_server_destroy(h), HND);
}

static void op_server_start(void)
{
    int slot, rc;
    ly_server *h = pick_server(&slot);
    unsigned want = HND;
    if (slot >= 0) {
        if (srv[slot].running)
            want = ACT;
        else
            switch (srv[slot].bind) {
            case BIND_V6:
            case BIND_BOTH: want = OK | SOCK; break; /* maybe no IPv6 here */
            case BIND_ANY_NOPUB: want = ARG; break;
            case BIND_WSS: want = ARG; break; /* no certificate: the fuzzer has no files */
            default: want = OK; break;
            }
#ifdef _WIN32
        /* wine 8.0 cannot open Go's UDP sockets, which wt:// (quic-go) uses (issue 10). */
        if (srv[slot].bind == BIND_WEB && want == OK)
            want |= SOCK;
#endif
        if (srv[slot].steam && want != ACT)
            want |= SOCK; /* another server may listen on its Steam address */
    }
    rc = expect("server_start", ly_server_start(h), want);
    if (slot >= 0 && rc == LY_OK) {
        srv[slot].running = 1;
        refresh_addr(slot);
    }
}

static void op_server_stop(void)
{
    int slot;
    ly_server *h = pick_server(&slot);
    if (expect("server_stop", ly_server_stop(h), slot >= 0 ? OK : HND) == LY_OK && slot >= 0) {
        srv[slot].running = 0;
        srv[slot].addr[0] = '\0';
    }
}

static void op_server_running(void)
{
    int slot, rc;
    ly_server *h = pick_server(&slot);
    rc = expect("server_running", ly_server_running(h), slot >= 0 ? OK : HND);
    if (slot >= 0)
        REQUIRE(rc == srv[slot].running, "server_running says %d, the server is %s", rc,
                srv[slot].running ? "running" : "stopped");
}

static void op_server_update(void)
{
    int slot, bad;
    double dt = random_dt(&bad);
    ly_server *h = pick_server(&slot);
    char what[80];
    snprintf(what, sizeof what, "server_update(dt=%g)", dt);
    expect(what, ly_server_update(h, dt), on_handle(bad, slot, slot >= 0 && srv[slot].running ? OK | SOCK : NRUN));
}

static void op_server_send(int broadcast)
{
    int slot, argerr, size_ok;
    uint32_t n;
    const uint8_t *p = random_payload(&n, &argerr, &size_ok);
    ly_server *h = pick_server(&slot);
    ly_client_id id = random_id();
    unsigned live;
    char what[120];
    if (slot >= 0 && !srv[slot].running)
        live = NRUN | (size_ok ? 0 : PSIZE);
    else
        live = size_ok ? OK | (broadcast ? 0 : UNK) : PSIZE;
    if (broadcast) {
        snprintf(what, sizeof what, "server_broadcast(%s, %u)", p ? "data" : "NULL", n);
        expect(what, ly_server_broadcast(h, p, n), on_handle(argerr, slot, live));
    } else {
        snprintf(what, sizeof what, "server_send({%" PRIu64 ",%u}, %s, %u)", id.id, id.kind, p ? "data" : "NULL", n);
        expect(what, ly_server_send(h, id, p, n), on_handle(argerr, slot, live));
    }
}

static void op_server_flush(void)
{
    int slot;
    ly_server *h = pick_server(&slot);
    expect("server_flush", ly_server_flush(h), on_handle(0, slot, slot >= 0 && srv[slot].running ? OK | SOCK : NRUN));
}

static void op_server_disconnect(void)
{
    int slot;
    ly_server *h = pick_server(&slot);
    unsigned live = slot >= 0 && srv[slot].running ? OK : NRUN;
    if (chance(20)) {
        expect("server_disconnect_all", ly_server_disconnect_all(h), on_handle(0, slot, live));
        return;
    }
    expect("server_disconnect", ly_server_disconnect(h, random_id()), on_handle(0, slot, live == OK ? OK | UNK : NRUN));
}

static void op_server_queries(void)
{
    int slot, n, m;
    ly_server *h = pick_server(&slot);
    uint32_t max = chance(20) ? 0 : rnd(20);
    ly_client_id *ids;
    int argerr = 0;

    n = expect("server_num_connected", ly_server_num_connected(h), slot >= 0 ? OK : HND);
    if (slot >= 0)
        REQUIRE(n <= (int)srv[slot].max + 16 + 256, "num_connected %d over max %u", n, srv[slot].max);
    m = expect("server_max_clients", ly_server_max_clients(h), slot >= 0 ? OK : HND);
    if (slot >= 0)
        REQUIRE((uint32_t)m == srv[slot].max, "max_clients %d, configured %u", m, srv[slot].max);

    ids = (ly_client_id *)guard_tail(&g_misc, max * sizeof *ids);
    if (chance(5)) {
        ids = NULL;
        argerr = max > 0;
    }
    m = expect("server_connected_ids", ly_server_connected_ids(h, ids, max), on_handle(argerr, slot, OK));
    if (slot >= 0 && !argerr) {
        REQUIRE(m == n, "connected_ids says %d, num_connected %d", m, n);
        for (n = 0; n < m && (uint32_t)n < max; n++)
            REQUIRE(ids[n].kind >= 1 && ids[n].kind <= 3 && ids[n].reserved == 0, "connected id %d of kind %u", n,
                    ids[n].kind);
    }
}

static void op_server_client_info(void)
{
    int slot, rc, argerr = 0;
    ly_server *h = pick_server(&slot);
    ly_client_id id = random_id();
    uint32_t size;
    char *buf;
    uint8_t *ud;
    ly_stats s;

    switch (rnd(3)) {
    case 0:
        size = chance(50) ? LY_ADDRESS_STRING_SIZE : rnd(24);
        buf = (char *)guard_tail(&g_str, size);
        if (chance(5)) {
            buf = NULL;
            argerr = 1;
        }
        rc = expect("server_client_address", ly_server_client_address(h, id, buf, size),
                    on_handle(argerr, slot, OK | UNK | SMALL));
        if (rc >= 0)
            check_string("server_client_address", buf, rc, size);
        break;
    case 1:
        ud = guard_tail(&g_str, LY_USER_DATA_SIZE);
        if (chance(5)) {
            ud = NULL;
            argerr = 1;
        }
        expect("server_client_user_data", ly_server_client_user_data(h, id, ud), on_handle(argerr, slot, OK | UNK));
        break;
    default:
        memset(&s, 0, sizeof s);
        s.struct_size = chance(95) ? sizeof s : rnd(sizeof s);
        argerr = s.struct_size < offsetof(ly_stats, dropped_oversized); /* older callers get a prefix */
        if (chance(5)) {
            expect("server_client_stats(NULL)", ly_server_client_stats(h, id, NULL), ARG);
            break;
        }
        rc = expect("server_client_stats", ly_server_client_stats(h, id, &s), on_handle(argerr, slot, OK | UNK));
        if (rc == LY_OK)
            REQUIRE(s.struct_size >= offsetof(ly_stats, dropped_oversized) && s.seconds_since_last_receive >= 0, "client stats look wrong");
        break;
    }
}

static void op_server_address(void)
{
    int slot, rc, argerr = 0;
    ly_server *h = pick_server(&slot);
    uint32_t index = chance(80) ? rnd(3) : (uint32_t)rnd64();
    uint32_t size = chance(70) ? LY_ADDRESS_STRING_SIZE : rnd(30);
    char *buf = (char *)guard_tail(&g_str, size);
    unsigned live = NRUN;
    if (chance(5)) {
        buf = NULL;
        argerr = 1;
    }
    if (slot >= 0 && srv[slot].running)
        live = OK | ARG | SMALL;
    rc = expect("server_address", ly_server_address(h, index, buf, size), on_handle(argerr, slot, live));
    if (rc >= 0)
        check_string("server_address", buf, rc, size);
}

static int free_client_slot(void)
{
    int i;
    for (i = 0; i < NC; i++)
        if (!cli[i].live)
            return i;
    return -1;
}

static void add_client(int i, ly_client *h, int kind)
{
    REQUIRE(h != NULL, "a create gave a NULL client");
    cli[i].h = h;
    cli[i].live = 1;
    cli[i].kind = kind;
    cli[i].epoch = steam_epoch;
    note_created((uintptr_t)h);
    st.clients++;
}

static void op_server_connect_local(void)
{
    int slot, i = free_client_slot(), rc;
    ly_server *h = pick_server(&slot);
    ly_client *c = NULL;
    uint64_t id = chance(90) ? 1 + rnd(20) : rnd64();
    char what[80];
    snprintf(what, sizeof what, "server_connect_local(%" PRIu64 ")", id);
    if (i < 0 || chance(3)) {
        expect(what, ly_server_connect_local(h, id, NULL), ARG);
        return;
    }
    rc = expect(what, ly_server_connect_local(h, id, &c),
                on_handle(0, slot, OK | ARG)); /* a stopped server's local client waits for the start */
    if (rc == LY_OK)
        add_client(i, c, CK_LOCAL);
}

static void op_server_set_conditioner(void)
{
    int slot, bad = 0;
    ly_conditioner_config a, b, *sa, *sb;
    ly_server *h = pick_server(&slot);
    sa = random_conditioner(&a, &bad);
    sb = random_conditioner(&b, &bad);
    expect("server_set_conditioner", ly_server_set_conditioner(h, sa, sb), on_handle(bad, slot, OK));
}

static void op_server_stats(void)
{
    int slot, rc, argerr;
    ly_server *h = pick_server(&slot);
    ly_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = chance(95) ? sizeof s : rnd(sizeof s);
    argerr = s.struct_size < offsetof(ly_stats, dropped_oversized); /* older callers get a prefix */
    if (chance(3)) {
        expect("server_stats(NULL)", ly_server_stats(h, NULL), ARG);
        return;
    }
    {
        uint32_t asked = s.struct_size;
        rc = expect("server_stats", ly_server_stats(h, &s), on_handle(argerr, slot, OK));
        if (rc == LY_OK)
            REQUIRE(s.struct_size == asked, "stats: struct_size changed to %u", s.struct_size);
    }
}

/* The browser-transport functions: options (good and bad), certificate
 * hashes into guarded buffers, rotation, stats. */
static void op_web(void)
{
    int slot, rc, argerr = 0;
    ly_server *h = pick_server(&slot);
    int web = slot >= 0 && srv[slot].bind == BIND_WEB;
    unsigned live;
    switch (rnd(4)) {
    case 0: {
        ly_web_options o;
        ly_web_options_defaults(&o);
        REQUIRE(o.struct_size == sizeof o, "web_options_defaults: struct_size %u", o.struct_size);
        switch (rnd(9)) {
        case 0: o.struct_size = (uint32_t)rnd(sizeof o); argerr = 1; break;
        case 1: o.cert_validity_seconds = 14 * 86400 + 1 + (uint32_t)rnd(100000); argerr = 1; break;
        case 2: o.cert_validity_seconds = 1 + (uint32_t)rnd(59); argerr = 1; break;
        case 3: o.cert_file = "/nonexistent/cert.pem"; o.key_file = "/nonexistent/key.pem"; argerr = 1; break;
        case 4: o.key_file = "key.pem"; argerr = 1; break;
        case 5: o.max_sessions = (1u << 20) + 1 + (uint32_t)rnd(0x7fffffff); argerr = 1; break;
        case 6: o.path = "no-slash"; argerr = 1; break;
        case 7: break;
        default:
            o.cert_validity_seconds = 60 + (uint32_t)rnd(14 * 86400 - 59);
            o.allowed_origins = chance(50) ? "*" : "https://a.example, http://localhost:8000";
            o.path = "/netcode";
            o.max_sessions = (uint32_t)rnd(8);
            o.idle_timeout_ms = (uint32_t)rnd(20000);
            break;
        }
        if (chance(5)) {
            expect("server_set_web_options(NULL)", ly_server_set_web_options(h, NULL), on_handle(1, slot, OK));
            return;
        }
        live = OK;
        if (slot >= 0 && srv[slot].running)
            live = ACT;
        else if (slot >= 0 && srv[slot].bind == BIND_WSS)
            live = ARG; /* wss:// still without a certificate */
        expect("server_set_web_options", ly_server_set_web_options(h, &o), on_handle(argerr, slot, live));
        return;
    }
    case 1: {
        uint32_t max = chance(30) ? 0 : (uint32_t)rnd(4), count = 0xFFFFFFFFu;
        uint8_t *buf = max ? guard_tail(&g_misc, max * LY_WEB_CERT_HASH_SIZE) : NULL;
        uint32_t *countp = chance(80) ? &count : NULL;
        if (max && chance(5)) {
            buf = NULL;
            argerr = 1;
        }
        rc = expect("server_web_cert_hashes", ly_server_web_cert_hashes(h, buf, max, countp),
                    on_handle(argerr, slot, OK | SMALL));
        if (rc >= 0) {
            REQUIRE((uint32_t)rc <= max, "web_cert_hashes: %d hashes in room for %u", rc, max);
            REQUIRE(web ? rc >= 1 : rc == 0, "web_cert_hashes: %d hashes, bind %d", rc, srv[slot].bind);
            REQUIRE(!countp || count == (uint32_t)rc, "web_cert_hashes: count %u, returned %d", count, rc);
        } else if (rc == LY_ERR_BUFFER_TOO_SMALL) {
            REQUIRE(web && (!countp || count > max), "web_cert_hashes: too small with count %u, room %u", count, max);
        }
        return;
    }
    case 2:
        expect("server_web_rotate_cert", ly_server_web_rotate_cert(h), on_handle(0, slot, web ? OK : ARG));
        return;
    default: {
        ly_web_stats ws;
        memset(&ws, 0, sizeof ws);
        ws.struct_size = chance(90) ? sizeof ws : (uint32_t)rnd(sizeof ws);
        argerr = ws.struct_size < sizeof ws;
        if (chance(3)) {
            expect("server_web_stats(NULL)", ly_server_web_stats(h, NULL), on_handle(1, slot, OK));
            return;
        }
        rc = expect("server_web_stats", ly_server_web_stats(h, &ws), on_handle(argerr, slot, OK));
        if (rc == LY_OK) {
            REQUIRE(ws.struct_size == sizeof ws, "web_stats: struct_size changed to %u", ws.struct_size);
            REQUIRE(web || (ws.sessions_accepted == 0 && ws.received == 0), "web_stats: sessions without a web bind");
        }
        return;
    }
    }
}

static void check_event(const char *what, const ly_event *ev, uint32_t room)
{
    REQUIRE(ev->type >= LY_EVENT_CONNECTED && ev->type <= LY_EVENT_WARNING, "%s: event type %u", what, ev->type);
    REQUIRE(ev->client.kind >= 1 && ev->client.kind <= 3, "%s: client kind %u", what, ev->client.kind);
    if (ev->type == LY_EVENT_PAYLOAD)
        REQUIRE(ev->payload_size >= 1 && ev->payload_size <= room, "%s: payload of %u bytes in %u", what,
                ev->payload_size, room);
    else
        REQUIRE(ev->payload_size == 0, "%s: %u payload bytes on a non-payload event", what, ev->payload_size);
    if (ev->type == LY_EVENT_DISCONNECTED)
        REQUIRE(ev->reason >= LY_REASON_LOCAL && ev->reason <= LY_REASON_TRANSPORT_ERROR, "%s: reason %u", what,
                ev->reason);
    if (ev->type == LY_EVENT_WARNING)
        REQUIRE(ev->reason >= LY_WARNING_TOKEN_HISTORY_FULL && ev->reason <= LY_WARNING_PENDING_FULL,
                "%s: warning %u", what, ev->reason);
    if (ev->type == LY_EVENT_CONNECTED)
        st.connected++;
    else if (ev->type == LY_EVENT_DISCONNECTED)
        st.disconnected++;
    else if (ev->type == LY_EVENT_WARNING)
        st.warnings++;
}

static void op_server_poll(void)
{
    int slot, rc, argerr = 0;
    ly_server *h = pick_server(&slot);
    uint32_t size = random_buf_size();
    uint8_t *buf = guard_tail(&g_out, size);
    ly_event *ev = (ly_event *)guard_tail(&g_events, sizeof(ly_event));
    ly_event first;
    if (chance(3)) {
        ev = NULL;
        argerr = 1;
    }
    if (chance(3)) {
        buf = NULL;
        argerr |= size > 0;
    }
    rc = expect("server_poll", ly_server_poll(h, ev, buf, size), on_handle(argerr, slot, OK | SMALL));
    if (rc == 1) {
        check_event("server_poll", ev, size);
        if (ev->type == LY_EVENT_PAYLOAD) {
            check_payload("server_poll", buf, ev->payload_size);
            st.spayloads++;
        }
    } else if (rc == LY_ERR_BUFFER_TOO_SMALL) {
        /* The event stays queued and comes whole with a big buffer. */
        st.too_small++;
        REQUIRE(ev->type == LY_EVENT_PAYLOAD && ev->payload_size > size, "too small: event type %u, %u bytes in %u",
                ev->type, ev->payload_size, size);
        first = *ev;
        buf = guard_tail(&g_out, LY_MAX_PAYLOAD_SIZE);
        rc = expect("server_poll(retry)", ly_server_poll(h, ev, buf, LY_MAX_PAYLOAD_SIZE), OK);
        REQUIRE(rc == 1 && ev->type == first.type && ev->payload_size == first.payload_size &&
                    ev->client.id == first.client.id && ev->client.kind == first.client.kind,
                "the held event changed");
        check_payload("server_poll(retry)", buf, ev->payload_size);
        st.spayloads++;
    } else if (rc != 0) {
        return;
    }
}

static void op_server_poll_batch(void)
{
    int slot, rc, argerr = 0, i;
    ly_server *h = pick_server(&slot);
    uint32_t max = chance(10) ? 0 : 1 + rnd(40);
    uint32_t size = chance(20) ? random_buf_size() : rnd(16 * LY_MAX_PAYLOAD_SIZE);
    uint8_t *buf = guard_tail(&g_out, size);
    ly_event *evs = (ly_event *)guard_tail(&g_events, max * sizeof(ly_event));
    uint32_t end = 0;
    if (chance(3)) {
        evs = NULL;
        argerr = max > 0;
    }
    if (chance(3)) {
        buf = NULL;
        argerr |= size > 0;
    }
    rc = expect("server_poll_batch", ly_server_poll_batch(h, evs, max, buf, size), on_handle(argerr, slot, OK | SMALL));
    if (rc >= 0) {
        REQUIRE((uint32_t)rc <= max, "poll_batch returned %d events for %u", rc, max);
        for (i = 0; i < rc; i++) {
            check_event("server_poll_batch", &evs[i], size);
            if (evs[i].type == LY_EVENT_PAYLOAD) {
                REQUIRE(evs[i].payload_offset == end && end + evs[i].payload_size <= size,
                        "poll_batch: payload at %u+%u, expected at %u, buffer %u", evs[i].payload_offset,
                        evs[i].payload_size, end, size);
                check_payload("server_poll_batch", buf + end, evs[i].payload_size);
                end += evs[i].payload_size;
                st.spayloads++;
            } else {
                REQUIRE(evs[i].payload_offset == 0, "poll_batch: offset on a non-payload event");
            }
        }
    } else if (rc == LY_ERR_BUFFER_TOO_SMALL) {
        st.too_small++;
        REQUIRE(max > 0 && evs[0].type == LY_EVENT_PAYLOAD && evs[0].payload_size > size,
                "poll_batch too small: event type %u, %u bytes in %u", evs[0].type, evs[0].payload_size, size);
    }
}

/* ------------------------------------------------------------------ */
/* Clients                                                              */

static const uint8_t *make_token(uint32_t *size)
{
    ly_token_params p;
    uint8_t *tok = guard_tail(&g_tok, LY_CONNECT_TOKEN_SIZE);
    int s = pick_live_server(), rc;
    ly_token_params_defaults(&p);
    p.protocol_id = chance(95) ? PROTO : rnd64();
    p.client_id = 1 + rnd(12);
    p.private_key = chance(95) ? key_a : key_b;
    p.public_addresses = s >= 0 && srv[s].addr[0] ? srv[s].addr : "127.0.0.1:9";
    p.expire_seconds = chance(90) ? 30 : (chance(50) ? 0 : -1);
    p.timeout_seconds = chance(80) ? 5 : (int32_t)rnd(3) - 1;
    rc = expect("token_generate(for client)", ly_token_generate(&p, tok, LY_CONNECT_TOKEN_SIZE), OK);
    (void)rc;
    *size = LY_CONNECT_TOKEN_SIZE;
    switch (rnd(20)) {
    case 0: tok[rnd(LY_CONNECT_TOKEN_SIZE)] ^= (uint8_t)(1 + rnd(255)); break; /* tampered */
    case 1: *size = rnd(LY_CONNECT_TOKEN_SIZE); tok = guard_tail(&g_tok, *size); break; /* short */
    case 2: {
        uint32_t i;
        *size = LY_CONNECT_TOKEN_SIZE;
        tok = guard_tail(&g_tok, *size);
        for (i = 0; i < *size; i++)
            tok[i] = (uint8_t)rnd(256);
        break;
    }
    default: break;
    }
    return tok;
}

static ly_client_config *random_client_config(ly_client_config *c, int *argerr)
{
    if (chance(50))
        return NULL;
    ly_client_config_defaults(c);
    c->client_id = rnd(12);
    c->receive_queue_size = chance(50) ? 0 : 1 + rnd(64);
    if (chance(5)) {
        c->struct_size = rnd(sizeof *c);
        *argerr = 1;
    }
    return c;
}

static void op_client_create(void)
{
    int i = free_client_slot(), argerr = 0, rc;
    ly_client_config cfg;
    ly_client_config *pc;
    ly_client *c = NULL;
    uint32_t size;
    const uint8_t *tok;
    if (i < 0)
        return;
    tok = make_token(&size);
    pc = random_client_config(&cfg, &argerr);
    if (chance(3)) {
        argerr = 1;
        tok = NULL;
    }
    rc = expect("client_create", ly_client_create(tok, size, pc, chance(2) ? NULL : &c), argerr ? ARG : OK | ARG);
    if (rc == LY_OK && c)
        add_client(i, c, CK_TOKEN);
}

static void op_client_create_manual(void)
{
    int i = free_client_slot(), s = pick_live_server(), argerr = 0, rc;
    ly_client_config cfg;
    ly_client_config *pc;
    ly_client *c = NULL;
    const char *addr = s >= 0 && srv[s].addr[0] ? srv[s].addr : "127.0.0.1:9";
    uint32_t ksize = chance(90) ? LY_KEY_SIZE : rnd(64);
    const uint8_t *key = guard_tail(&g_misc, ksize);
    unsigned want;
    if (i < 0)
        return;
    memcpy((uint8_t *)key, chance(90) ? key_a : key_b, ksize < LY_KEY_SIZE ? ksize : LY_KEY_SIZE);
    pc = random_client_config(&cfg, &argerr);
    switch (rnd(25)) {
    case 0: addr = NULL; argerr = 1; break;
    case 1: addr = "nonsense"; argerr = 1; break;
    case 2: addr = "[::1]:1"; break;
    case 3: key = NULL; argerr = 1; break;
    default: break;
    }
    want = argerr ? ARG : (ksize != LY_KEY_SIZE ? KEY : OK);
    if (argerr && ksize != LY_KEY_SIZE)
        want |= KEY; /* which of the two comes first is not documented */
    rc = expect("client_create_manual",
                ly_client_create_manual(addr, 1 + rnd(12), chance(95) ? PROTO : rnd64(), key, ksize, pc, &c), want);
    if (rc == LY_OK)
        add_client(i, c, CK_MANUAL);
}

static void destroy_client(int i)
{
    expect("client_destroy", ly_client_destroy(cli[i].h), OK);
    note_destroyed((uintptr_t)cli[i].h);
    cli[i].live = 0;
}

static void op_client_destroy(void)
{
    int slot;
    ly_client *h = pick_client(&slot);
    if (slot >= 0) {
        destroy_client(slot);
        return;
    }
    expect("client_destroy(invalid)", ly_client_destroy(h), HND);
}

/* What every call on a Steam client may return once Steam is closed: the
 * header says such handles "stay valid but fail" and names no code; the
 * library returns LY_ERR_INVALID_HANDLE (as the Rust binding documents),
 * though the handle must still be destroyed. */
static unsigned steam_extra(int slot)
{
    if (slot < 0 || cli[slot].kind != CK_STEAM || (steam_open && cli[slot].epoch == steam_epoch))
        return 0;
    return HND | STEAM_NA | STEAM_INIT | SOCK | NCONN;
}

static void op_client_connect(void)
{
    int slot;
    ly_client *h = pick_client(&slot);
    char what[64];
    snprintf(what, sizeof what, "client_connect(%s)", slot >= 0 ? ck_name[cli[slot].kind] : "invalid");
    /* A local client's own: LY_ERR_NOT_RUNNING (its server was destroyed)
     * and LY_ERR_INVALID_ARGUMENT (another local client with its id is
     * connected or waiting), as the header lists them. */
    expect(what, ly_client_connect(h),
           on_handle(0, slot,
                     OK | ACT | TOK | SOCK | steam_extra(slot) | (slot >= 0 && cli[slot].kind == CK_LOCAL ? NRUN | ARG : 0)));
}

static void op_client_set_token(void)
{
    int slot, argerr = 0;
    ly_client *h = pick_client(&slot);
    uint32_t size;
    const uint8_t *tok = make_token(&size);
    unsigned live = OK | ACT;
    if (chance(5)) {
        tok = NULL;
        argerr = 1;
    }
    if (slot >= 0 && cli[slot].kind != CK_TOKEN && cli[slot].kind != CK_MANUAL)
        live = ARG; /* a local or Steam client has no token */
    expect("client_set_token", ly_client_set_token(h, tok, size), on_handle(argerr, slot, live));
}

static void op_client_update(void)
{
    int slot, bad;
    double dt = random_dt(&bad);
    ly_client *h = pick_client(&slot);
    char what[80];
    snprintf(what, sizeof what, "client_update(dt=%g)", dt);
    expect(what, ly_client_update(h, dt), on_handle(bad, slot, OK | SOCK | steam_extra(slot)));
}

static void op_client_send(void)
{
    int slot, argerr, size_ok;
    uint32_t n;
    const uint8_t *p = random_payload(&n, &argerr, &size_ok);
    ly_client *h = pick_client(&slot);
    char what[80];
    snprintf(what, sizeof what, "client_send(%s, %u)", p ? "data" : "NULL", n);
    expect(what, ly_client_send(h, p, n), on_handle(argerr, slot, (size_ok ? OK | NCONN : PSIZE | NCONN) | steam_extra(slot)));
}

static void op_client_receive(void)
{
    int slot, rc, argerr = 0;
    ly_client *h = pick_client(&slot);
    uint32_t size = random_buf_size();
    uint8_t *buf = guard_tail(&g_out, size);
    uint32_t *needed = chance(70) ? (uint32_t *)guard_tail(&g_misc, sizeof(uint32_t)) : NULL;
    uint32_t want;
    if (needed)
        *needed = 0;
    if (chance(3)) {
        buf = NULL;
        argerr = size > 0;
    }
    rc = expect("client_receive", ly_client_receive(h, buf, size, needed), on_handle(argerr, slot, OK | SMALL));
    if (rc > 0) {
        REQUIRE((uint32_t)rc <= size, "client_receive: %d bytes into %u", rc, size);
        check_payload("client_receive", buf, (uint32_t)rc);
        st.cpayloads++;
    } else if (rc == LY_ERR_BUFFER_TOO_SMALL) {
        st.too_small++;
        want = needed ? *needed : 0;
        REQUIRE(!needed || want > size, "client_receive too small: needed %u, buffer %u", want, size);
        buf = guard_tail(&g_out, LY_MAX_PAYLOAD_SIZE);
        rc = expect("client_receive(retry)", ly_client_receive(h, buf, LY_MAX_PAYLOAD_SIZE, NULL), OK);
        REQUIRE(rc > 0 && (!needed || (uint32_t)rc == want), "held payload: got %d, needed was %u", rc, want);
        check_payload("client_receive(retry)", buf, (uint32_t)rc);
        st.cpayloads++;
    }
}

static void op_client_queries(void)
{
    int slot, rc, state = -100, argerr = 0;
    ly_client *h = pick_client(&slot);
    ly_client_id id;
    uint32_t size;
    char *buf;

    switch (rnd(4)) {
    case 0:
        argerr = chance(5);
        rc = expect("client_get_state", ly_client_get_state(h, argerr ? NULL : &state), on_handle(argerr, slot, OK));
        if (rc == LY_OK)
            REQUIRE(state >= LY_STATE_CONNECT_TOKEN_EXPIRED && state <= LY_STATE_CONNECTED, "state %d", state);
        break;
    case 1:
        rc = expect("client_disconnect_reason", ly_client_disconnect_reason(h), slot >= 0 ? OK : HND);
        if (rc >= 0)
            REQUIRE(rc <= LY_REASON_TRANSPORT_ERROR, "reason %d", rc);
        break;
    case 2:
        memset(&id, 0xEE, sizeof id);
        argerr = chance(5);
        rc = expect("client_id_of", ly_client_id_of(h, argerr ? NULL : &id), on_handle(argerr, slot, OK));
        if (rc == LY_OK)
            REQUIRE(id.kind >= 1 && id.kind <= 3 && id.reserved == 0, "client id kind %u reserved %u", id.kind,
                    id.reserved);
        break;
    default:
        size = chance(60) ? LY_ADDRESS_STRING_SIZE : rnd(24);
        buf = (char *)guard_tail(&g_str, size);
        if (chance(5)) {
            buf = NULL;
            argerr = 1;
        }
        rc = expect("client_local_address", ly_client_local_address(h, buf, size), on_handle(argerr, slot, OK | SMALL));
        if (rc >= 0)
            check_string("client_local_address", buf, rc, size);
        break;
    }
}

static void op_client_disconnect(void)
{
    int slot;
    ly_client *h = pick_client(&slot);
    expect("client_disconnect", ly_client_disconnect(h), on_handle(0, slot, OK | steam_extra(slot)));
}

static void op_client_set_conditioner(void)
{
    int slot, bad = 0;
    ly_conditioner_config a, b, *sa, *sb;
    ly_client *h = pick_client(&slot);
    unsigned live = OK;
    sa = random_conditioner(&a, &bad);
    sb = random_conditioner(&b, &bad);
    if (slot >= 0 && (cli[slot].kind == CK_LOCAL || cli[slot].kind == CK_STEAM))
        live = ARG;
    expect("client_set_conditioner", ly_client_set_conditioner(h, sa, sb), on_handle(bad, slot, live));
}

static void op_client_stats(void)
{
    int slot, argerr;
    ly_client *h = pick_client(&slot);
    ly_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = chance(95) ? sizeof s : rnd(sizeof s);
    argerr = s.struct_size < offsetof(ly_stats, dropped_oversized); /* older callers get a prefix */
    if (chance(3)) {
        expect("client_stats(NULL)", ly_client_stats(h, NULL), ARG);
        return;
    }
    expect("client_stats", ly_client_stats(h, &s), on_handle(argerr, slot, OK));
}

/* ------------------------------------------------------------------ */
/* Tokens, keys, presets, strings                                       */

static void op_tokens(void)
{
    ly_token_params p;
    ly_token_info info;
    uint8_t *tok = guard_tail(&g_tok, LY_CONNECT_TOKEN_SIZE), *ud;
    uint32_t size, idx, bsize, i;
    char *buf, addrs[33 * 24];
    int rc, n;
    unsigned want = OK;

    switch (rnd(3)) {
    case 0:
        ly_token_params_defaults(&p);
        p.protocol_id = rnd64();
        p.client_id = rnd64();
        p.private_key = key_a;
        n = chance(10) ? 33 : (int)rnd(34);
        addrs[0] = '\0';
        for (i = 0; i < (uint32_t)n; i++) {
            size_t len = strlen(addrs);
            if (chance(50))
                snprintf(addrs + len, sizeof addrs - len, "%s127.0.0.1:%u", i ? (chance(50) ? " " : ",") : "", rnd(65536));
            else
                snprintf(addrs + len, sizeof addrs - len, "%s[::%x]:%u", i ? " " : "", rnd(65536), rnd(65536));
        }
        p.public_addresses = addrs;
        if (n == 0 || n > 32)
            want = TOK;
        if (chance(5)) {
            p.public_addresses = chance(50) ? NULL : "garbage:port";
            want = p.public_addresses ? ARG : ARG | TOK;
        }
        if (chance(10))
            p.internal_addresses = chance(50) ? "" : "127.0.0.1:1";
        p.expire_seconds = (int64_t)rnd(100) - 10;
        p.timeout_seconds = (int32_t)rnd(20) - 5;
        p.user_data_size = chance(80) ? rnd(LY_USER_DATA_SIZE + 1) : LY_USER_DATA_SIZE + 1 + rnd(1000);
        ud = guard_tail(&g_misc, p.user_data_size <= LY_USER_DATA_SIZE ? p.user_data_size : LY_USER_DATA_SIZE);
        p.user_data = ud;
        if (p.user_data_size > LY_USER_DATA_SIZE && want == OK)
            want = TOK;
        else if (p.user_data_size > LY_USER_DATA_SIZE)
            want |= TOK;
        if (chance(4)) {
            p.user_data = NULL;
            if (p.user_data_size > 0)
                want = ARG;
        }
        if (chance(4)) {
            p.private_key = NULL;
            want = ARG;
        }
        size = LY_CONNECT_TOKEN_SIZE;
        if (chance(5)) {
            size = rnd(LY_CONNECT_TOKEN_SIZE);
            tok = guard_tail(&g_tok, size);
            /* The order among argument errors is not documented. */
            want = want == OK ? SMALL : want | SMALL;
        }
        if (chance(4)) {
            p.struct_size = rnd(sizeof p);
            want = ARG;
        }
        if (chance(3)) {
            expect("token_generate(NULL)", ly_token_generate(chance(50) ? NULL : &p, NULL, size), ARG);
            break;
        }
        expect("token_generate", ly_token_generate(&p, tok, size), want);
        break;
    case 1:
        tok = (uint8_t *)make_token(&size);
        memset(&info, 0, sizeof info);
        info.struct_size = chance(95) ? sizeof info : rnd(sizeof info);
        rc = expect("token_read", ly_token_read(chance(3) ? NULL : tok, size, chance(3) ? NULL : &info),
                    OK | ARG | TOK);
        if (rc == LY_OK)
            REQUIRE(info.num_addresses >= 1 && info.num_addresses <= 32, "token with %u addresses", info.num_addresses);
        break;
    default:
        tok = (uint8_t *)make_token(&size);
        idx = chance(80) ? rnd(3) : (uint32_t)rnd64();
        bsize = chance(60) ? LY_ADDRESS_STRING_SIZE : rnd(30);
        buf = (char *)guard_tail(&g_str, bsize);
        memset(buf, 'X', bsize);
        rc = expect("token_address",
                    ly_token_address(chance(3) ? NULL : tok, size, idx, chance(3) ? NULL : buf, bsize),
                    OK | ARG | TOK | SMALL);
        if (rc >= 0)
            check_string("token_address", buf, rc, bsize);
        else if (rc == LY_ERR_BUFFER_TOO_SMALL && bsize)
            REQUIRE(buf[0] == 'X', "token_address wrote into a buffer it called too small");
        break;
    }
}

static void op_misc(void)
{
    ly_conditioner_config c;
    uint8_t *k = guard_tail(&g_misc, LY_KEY_SIZE);
    int code = (int)rnd64();
    switch (rnd(6)) {
    case 0:
        if (chance(10))
            expect("key_generate(NULL)", ly_key_generate(NULL), ARG);
        else
            expect("key_generate", ly_key_generate(k), OK);
        break;
    case 1: {
        int preset = chance(80) ? (int)rnd(4) : code;
        int rc = expect("conditioner_preset_config", ly_conditioner_preset_config(preset, chance(5) ? NULL : &c),
                        OK | ARG);
        if (rc == LY_OK)
            REQUIRE(preset >= 0 && preset <= 3 && c.struct_size == sizeof c, "preset %d accepted", preset);
        break;
    }
    case 2:
        calls += 3;
        REQUIRE(ly_error_string(chance(50) ? -(int)rnd(20) : code) != NULL, "ly_error_string gave NULL");
        REQUIRE(ly_state_string(chance(50) ? (int)rnd(12) - 7 : code) != NULL, "ly_state_string gave NULL");
        REQUIRE(ly_reason_string(chance(50) ? (int)rnd(12) : code) != NULL, "ly_reason_string gave NULL");
        break;
    case 3:
        calls += 2;
        REQUIRE(ly_version() == LY_VERSION && ly_last_error() != NULL, "version or last error");
        break;
    default: {
        /* The *_defaults functions take NULL. */
        ly_token_params_defaults(NULL);
        ly_server_config_defaults(NULL);
        ly_client_config_defaults(NULL);
        ly_steam_config_defaults(NULL);
        ly_steam_server_config_defaults(NULL);
        ly_steam_client_config_defaults(NULL);
        calls += 6;
        break;
    }
    }
}

/* ------------------------------------------------------------------ */
/* Steam                                                                */

static void op_steam(void)
{
    ly_steam_config cfg;
    ly_steam_server_config sc;
    ly_steam_client_config cc;
    char addr[32];
    int slot, rc, i, argerr = 0;
    ly_server *h;
    ly_client *c = NULL;

    snprintf(addr, sizeof addr, "127.0.0.1:%u", 27000 + rnd(8));
    switch (rnd(steam_open ? 4 : 3)) {
    case 0:
        ly_steam_config_defaults(&cfg);
#ifdef FAKESTEAM_PATH
        cfg.flavour = LY_STEAM_STEAMWORKS;
        cfg.library_path = chance(80) ? FAKESTEAM_PATH : "/nonexistent/libsteam_api.so";
        cfg.app_id = 480;
#else
        cfg.library_path = "/nonexistent/libsteam_api.so";
#endif
        if (chance(10)) {
            cfg.init = 4 + rnd(100);
            argerr = 1;
        }
        if (chance(3)) {
            expect("steam_open(NULL)", ly_steam_open(NULL), ARG);
            break;
        }
        rc = expect("steam_open", ly_steam_open(&cfg), argerr ? ARG : (steam_open ? ACT : OK | STEAM_NA));
        if (rc == LY_OK) {
            steam_open = 1;
            steam_epoch++;
            st.steam_opens++;
        }
        break;
    case 1:
        h = pick_server(&slot);
        ly_steam_server_config_defaults(&sc);
        sc.address = addr;
        if (chance(10)) {
            sc.mode = 2 + rnd(10);
            argerr = 1;
        }
        if (chance(5)) {
            sc.max_payload = LY_MAX_PAYLOAD_SIZE + 1;
            argerr = 1;
        }
        if (!steam_open)
            rc = expect("server_add_steam", ly_server_add_steam(h, &sc), argerr ? ARG : STEAM_NA);
        else
            rc = expect("server_add_steam", ly_server_add_steam(h, &sc), on_handle(argerr, slot, OK | ARG | SOCK));
        if (rc == LY_OK)
            srv[slot].steam = 1;
        break;
    case 2:
        i = free_client_slot();
        ly_steam_client_config_defaults(&cc);
        cc.address = addr;
        if (chance(10)) {
            cc.mode = 2 + rnd(10);
            argerr = 1;
        }
        if (i < 0 || chance(3)) {
            expect("client_create_steam(NULL)", ly_client_create_steam(&cc, NULL), ARG);
            break;
        }
        rc = expect("client_create_steam", ly_client_create_steam(&cc, &c), argerr ? ARG : (steam_open ? OK : STEAM_NA));
        if (rc == LY_OK)
            add_client(i, c, CK_STEAM);
        break;
    default:
        if (chance(20)) {
            expect("steam_close", ly_steam_close(), OK);
            steam_open = 0;
            for (i = 0; i < NS; i++)
                srv[i].steam = 0;
        }
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Pumping, shutdown, the end                                           */

static void op_pump(void)
{
    int rounds = 1 + (int)rnd(12), r, i;
    double dt = chance(90) ? 1.0 / 60.0 : rnd(100) / 1000.0;
    tracef("pump: %d rounds of dt %g (only failures traced)", rounds, dt);
    quiet = 1;
    for (r = 0; r < rounds; r++) {
        for (i = 0; i < NC; i++)
            if (cli[i].live)
                expect("client_update(pump)", ly_client_update(cli[i].h, dt), OK | SOCK | steam_extra(i));
        for (i = 0; i < NS; i++)
            if (srv[i].live)
                expect("server_update(pump)", ly_server_update(srv[i].h, dt), srv[i].running ? OK | SOCK : NRUN);
    }
    quiet = 0;
}

/* Traffic: every connected client sends, the servers answer, and a few
 * rounds later everything is polled and received through the same checked
 * paths, random buffer sizes included. */
static void op_traffic(void)
{
    int i, r, state, k;
    uint32_t n;
    uint8_t *p;
    for (i = 0; i < NC; i++) {
        if (!cli[i].live)
            continue;
        state = -100;
        expect("client_get_state(traffic)", ly_client_get_state(cli[i].h, &state), OK);
        if (state != LY_STATE_CONNECTED)
            continue;
        for (k = (int)rnd(4); k >= 0; k--) {
            n = 1 + rnd(LY_MAX_PAYLOAD_SIZE);
            p = guard_tail(&g_in, n);
            fill_payload(p, n);
            expect("client_send(traffic)", ly_client_send(cli[i].h, p, n), OK | NCONN | steam_extra(i));
        }
    }
    for (i = 0; i < NS; i++)
        if (srv[i].live && srv[i].running && chance(50)) {
            n = 1 + rnd(LY_MAX_PAYLOAD_SIZE);
            p = guard_tail(&g_in, n);
            fill_payload(p, n);
            expect("server_broadcast(traffic)", ly_server_broadcast(srv[i].h, p, n), OK);
        }
    op_pump();
    for (r = 0; r < 8; r++) {
        op_server_poll();
        op_server_poll_batch();
        op_client_receive();
    }
}

static void after_shutdown(void)
{
    int i;
    for (i = 0; i < NS; i++)
        if (srv[i].live) {
            note_destroyed((uintptr_t)srv[i].h);
            srv[i].live = 0;
        }
    for (i = 0; i < NC; i++)
        if (cli[i].live) {
            note_destroyed((uintptr_t)cli[i].h);
            cli[i].live = 0;
        }
    steam_open = 0;
}

static void op_shutdown(void)
{
    int i;
    expect("shutdown", ly_shutdown(), OK);
    st.shutdowns++;
    after_shutdown();
    /* Every handle made before is invalid now. */
    for (i = 0; i < NSTALE && (unsigned)i < nstale; i++) {
        expect("server_running(after shutdown)", ly_server_running((ly_server *)stale[i]), HND);
        expect("client_get_state(after shutdown)", ly_client_get_state((ly_client *)stale[i], &(int){0}), HND);
    }
}

/* Open file descriptors, sockets included; -1 where they cannot be
 * counted. Windows has no /proc/self/fd, and its process handle count
 * also moves with the threads the Go runtime starts, so there the leak
 * check is off (main says so). */
static int count_fds(void)
{
#ifdef _WIN32
    return -1;
#else
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
#endif
}

#ifdef FAKESTEAM_PATH
static long (*fake_live_messages)(void);
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Bugs this fuzzer found, checked directly on every run. */
static void regressions(void)
{
    ly_server_config cfg;
    ly_server *s = NULL;
    ly_client *c = NULL;
    char buf[LY_ADDRESS_STRING_SIZE];

    /* max_clients over 1048576 was accepted when there was no bind
     * address (no netcode backend to refuse it), and ly_server_max_clients
     * then returned 0xFFFFFFFF as -1: LY_ERR_INVALID_HANDLE. */
    ly_server_config_defaults(&cfg);
    cfg.max_clients = 0xFFFFFFFFu;
    expect("regression: server_create(no bind, max 0xFFFFFFFF)", ly_server_create(&cfg, &s), ARG);
    cfg.max_clients = 1048577;
    expect("regression: server_create(no bind, max 1048577)", ly_server_create(&cfg, &s), ARG);
    cfg.max_clients = 1048576;
    expect("regression: server_create(no bind, max 1048576)", ly_server_create(&cfg, &s), OK);
    REQUIRE(ly_server_max_clients(s) == 1048576, "max_clients %d", ly_server_max_clients(s));
    expect("regression: server_destroy", ly_server_destroy(s), OK);

    /* ly_client_local_address reported a bad handle before a NULL buffer;
     * argument errors come first. */
    expect("regression: client_local_address(NULL handle, NULL)", ly_client_local_address(NULL, NULL, 16), ARG);
    expect("regression: client_local_address(made-up handle, NULL)",
           ly_client_local_address((ly_client *)(uintptr_t)0x4C59200000000001ULL, NULL, 0), ARG);
    expect("regression: client_create_manual",
           ly_client_create_manual("127.0.0.1:9", 1, PROTO, key_a, LY_KEY_SIZE, NULL, &c), OK);
    expect("regression: client_local_address(live, NULL)", ly_client_local_address(c, NULL, sizeof buf), ARG);
    expect("regression: client_destroy", ly_client_destroy(c), OK);
    expect("regression: client_local_address(destroyed)", ly_client_local_address(c, buf, sizeof buf), HND);
}

/* Token fetch and fleet registration with arguments the library refuses
 * before any network work: bad options and configs, handles that are not
 * token requests, servers never registered. */
static void op_fetch_fleet(void)
{
    static const char *urls[] = {NULL, "", "http://127.0.0.1:1/v1/token", "ftp://x", "https://", "127.0.0.1:1"};
    uint8_t *tok = guard_tail(&g_tok, LY_CONNECT_TOKEN_SIZE);
    ly_token_fetch_options o;
    ly_token_request *req = NULL;
    ly_fleet_config fc;
    ly_server *h;
    int slot;

    ly_token_fetch_options_defaults(&o);
    o.credential = chance(50) ? "x" : NULL;
    o.url = urls[rnd(sizeof urls / sizeof urls[0])];
    if (o.url != NULL && strcmp(o.url, "127.0.0.1:1") == 0) {
        o.url = "https://127.0.0.1:1";
        o.pin_sha256 = "not hex"; /* refused before dialling */
    }
    if (chance(20))
        o.struct_size = (uint32_t)rnd(sizeof o);
    if (chance(10))
        expect("token_fetch(small)", ly_token_fetch(&o, tok, (uint32_t)rnd(LY_CONNECT_TOKEN_SIZE)), ARG | SMALL);
    else
        expect("token_fetch(bad options)", ly_token_fetch(chance(10) ? NULL : &o, tok, LY_CONNECT_TOKEN_SIZE), ARG);
    expect("token_request_start(bad options)", ly_token_request_start(&o, chance(10) ? NULL : &req), ARG);

    /* Server and client handles are not token requests. */
    h = pick_server(&slot);
    req = (ly_token_request *)(void *)h;
    expect("token_request_poll(not a request)", ly_token_request_poll(req, tok, LY_CONNECT_TOKEN_SIZE), HND);
    expect("token_request_poll(small)", ly_token_request_poll(req, tok, 16), SMALL);
    expect("token_request_free(not a request)", ly_token_request_free(req), HND);

    expect("server_fleet_status", ly_server_fleet_status(h), on_handle(0, slot, NRUN));
    expect("server_fleet_deregister", ly_server_fleet_deregister(h), on_handle(0, slot, OK));
    ly_fleet_config_defaults(&fc);
    switch (rnd(4)) {
    case 0: fc.struct_size = (uint32_t)rnd(sizeof fc); fc.redis_url = "127.0.0.1:1"; break;
    case 1: break; /* no redis_url */
    case 2: fc.redis_url = "127.0.0.1:1"; fc.ttl_ms = (uint32_t)rnd(30); if (!fc.ttl_ms) fc.ttl_ms = 1; break;
    default: fc.redis_url = "127.0.0.1:1"; fc.public_addresses = chance(50) ? "nonsense" : "0.0.0.0:0"; break;
    }
    expect("server_fleet_register(bad config)", ly_server_fleet_register(h, chance(10) ? NULL : &fc), ARG);
}

/* ------------------------------------------------------------------ */
/* A server with a connected client, and hostile datagrams at it        */

/* The tick in C (capi/tick.c) runs while a netcode server over UDP has
 * connected, confirmed clients and nothing else to do. Random calls seldom
 * leave a server so, so op_pair makes one: a server on 127.0.0.1 with a
 * manual client, connected, its events polled; the other ops then use it
 * like any other (stop, destroy, conditioners, traffic), and op_hostile
 * sprays datagrams at it: random bytes, truncated and oversized ones,
 * netcode keep-alive and payload headers with garbage, from a UDP socket
 * of its own, and (Linux, with CAP_NET_RAW) from the connected client's
 * own port through a raw socket: captured packets of that client replayed
 * exactly, with a bit flipped, cut short, or with another sequence, so
 * that they pass the address check and meet the replay window and the
 * AEAD in C. None of it may disturb anything: the calls return what they
 * document, the payloads that come out are intact. */
static int pair_srv = -1, pair_cli = -1;
static ly_server *pair_srv_h;
static ly_client *pair_cli_h;

static int pair_live(void)
{
    return pair_srv >= 0 && srv[pair_srv].live && srv[pair_srv].h == pair_srv_h && pair_cli >= 0 &&
           cli[pair_cli].live && cli[pair_cli].h == pair_cli_h;
}

/* Takes every event of server i through the checked poll path. */
static void drain_server(int i)
{
    ly_event *evs = (ly_event *)guard_tail(&g_events, 16 * sizeof(ly_event));
    uint8_t *buf = guard_tail(&g_out, 16 * LY_MAX_PAYLOAD_SIZE);
    int rc, k, rounds;
    for (rounds = 0; rounds < 64; rounds++) {
        rc = expect("server_poll_batch(drain)", ly_server_poll_batch(srv[i].h, evs, 16, buf, 16 * LY_MAX_PAYLOAD_SIZE),
                    OK);
        if (rc == 0)
            return;
        for (k = 0; k < rc; k++) {
            check_event("server_poll_batch(drain)", &evs[k], LY_MAX_PAYLOAD_SIZE);
            if (evs[k].type == LY_EVENT_PAYLOAD) {
                check_payload("server_poll_batch(drain)", buf + evs[k].payload_offset, evs[k].payload_size);
                st.spayloads++;
            }
        }
    }
}

static void op_pair(void)
{
    ly_server_config cfg;
    ly_server *h = NULL;
    ly_client *c = NULL;
    int i, k, step, state = -100;
    if (pair_live() && chance(90))
        return;
    for (i = 0; i < NS && srv[i].live; i++)
        ;
    k = free_client_slot();
    if (i == NS || k < 0)
        return;
    ly_server_config_defaults(&cfg);
    cfg.protocol_id = PROTO;
    memcpy(cfg.private_key, key_a, LY_KEY_SIZE);
    cfg.bind_addresses = bind_str[BIND_V4];
    cfg.max_clients = 4;
    cfg.batch_sends = (uint32_t)rnd(2);
    expect("server_create(pair)", ly_server_create(&cfg, &h), OK);
    memset(&srv[i], 0, sizeof srv[i]);
    srv[i].h = h;
    srv[i].live = 1;
    srv[i].bind = BIND_V4;
    srv[i].max = 4;
    note_created((uintptr_t)h);
    st.servers++;
    expect("server_start(pair)", ly_server_start(h), OK);
    srv[i].running = 1;
    refresh_addr(i);
    expect("client_create_manual(pair)",
           ly_client_create_manual(srv[i].addr, 100 + rnd(1000), PROTO, key_a, LY_KEY_SIZE, NULL, &c), OK);
    add_client(k, c, CK_MANUAL);
    expect("client_connect(pair)", ly_client_connect(c), OK);
    for (step = 0; step < 300 && state != LY_STATE_CONNECTED; step++) {
        expect("client_update(pair)", ly_client_update(c, 1.0 / 60), OK);
        expect("server_update(pair)", ly_server_update(h, 1.0 / 60), OK);
        drain_server(i);
        expect("client_get_state(pair)", ly_client_get_state(c, &state), OK);
        nanosleep(&(struct timespec){0, 200000}, NULL);
    }
    REQUIRE(state == LY_STATE_CONNECTED, "the pair's client did not connect: state %d", state);
    /* One more round: the server hears from the client (confirmed). */
    expect("client_update(pair)", ly_client_update(c, 1.0 / 60), OK);
    expect("server_update(pair)", ly_server_update(h, 1.0 / 60), OK);
    drain_server(i);
    pair_srv = i, pair_cli = k;
    pair_srv_h = h, pair_cli_h = c;
    st.pairs++;
}

#ifdef __linux__
static int hostile_fd = -1, raw_fd = -1, raw_tried;

/* Captured datagrams of a client to its server (UDP payloads). */
#define CAPTURES 16
static struct {
    uint16_t from, to;
    uint16_t len;
    uint8_t data[1300];
} captured[CAPTURES];
static unsigned ncaptured;

static uint16_t port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    return colon ? (uint16_t)atoi(colon + 1) : 0;
}

/* The raw socket, if this process may open one: it reads a copy of every
 * UDP datagram this host receives (capture) and sends datagrams with a
 * UDP header of our making (any source port on 127.0.0.1). */
static void raw_open(void)
{
    if (raw_tried)
        return;
    raw_tried = 1;
    hostile_fd = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(hostile_fd >= 0, "cannot open a UDP socket: %s", strerror(errno));
    raw_fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
    if (raw_fd < 0) {
        printf("fuzz_capi: no raw socket (%s): hostile datagrams come from their own port only\n", strerror(errno));
        return;
    }
    fcntl(raw_fd, F_SETFL, fcntl(raw_fd, F_GETFL) | O_NONBLOCK);
}

/* Keeps what the raw socket saw going from port from to port to. */
static void capture(uint16_t from, uint16_t to)
{
    uint8_t pkt[2048];
    int k;
    if (raw_fd < 0)
        return;
    for (k = 0; k < 256; k++) {
        ssize_t n = recv(raw_fd, pkt, sizeof pkt, 0);
        size_t ihl;
        uint16_t sport, dport, len;
        if (n < 0)
            return;
        if (n < 20 || (pkt[0] >> 4) != 4)
            continue;
        ihl = (size_t)(pkt[0] & 15) * 4;
        if ((size_t)n < ihl + 8)
            continue;
        sport = (uint16_t)(pkt[ihl] << 8 | pkt[ihl + 1]);
        dport = (uint16_t)(pkt[ihl + 2] << 8 | pkt[ihl + 3]);
        len = (uint16_t)((size_t)n - ihl - 8);
        if (sport != from || dport != to || len == 0 || len > sizeof captured[0].data)
            continue;
        captured[ncaptured % CAPTURES].from = from;
        captured[ncaptured % CAPTURES].to = to;
        captured[ncaptured % CAPTURES].len = len;
        memcpy(captured[ncaptured % CAPTURES].data, pkt + ihl + 8, len);
        ncaptured++;
        st.captured++;
    }
}

/* Sends data (n bytes) to 127.0.0.1:to from 127.0.0.1:from. */
static void spoof(uint16_t from, uint16_t to, const uint8_t *data, size_t n)
{
    uint8_t pkt[8 + 2048];
    struct sockaddr_in dst;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pkt[0] = (uint8_t)(from >> 8), pkt[1] = (uint8_t)from;
    pkt[2] = (uint8_t)(to >> 8), pkt[3] = (uint8_t)to;
    pkt[4] = (uint8_t)((n + 8) >> 8), pkt[5] = (uint8_t)(n + 8);
    pkt[6] = pkt[7] = 0; /* no checksum (IPv4) */
    memcpy(pkt + 8, data, n);
    if (sendto(raw_fd, pkt, n + 8, 0, (struct sockaddr *)&dst, sizeof dst) >= 0)
        st.spoofed++;
}

/* A datagram shaped like a netcode keep-alive or payload (or another
 * type) with a random sequence and garbage for body and tag, or random
 * bytes, or one over the largest packet, cut by the receive buffer. */
static size_t hostile_datagram(uint8_t *p, size_t room)
{
    size_t n, i;
    int sb;
    switch (rnd(6)) {
    case 0: n = rnd(40); break;
    case 1: n = 1200 + rnd(room - 1200); break; /* up to 2000: over 1225, and over 1500 */
    case 2: n = rnd(room); break;
    default:
        /* prefix, sequence, body around the keep-alive's 8 bytes or a
         * payload's 1..1200, tag */
        sb = chance(90) ? 1 + (int)rnd(8) : (int)rnd(16);
        n = 1 + (size_t)sb + (chance(40) ? 8 : chance(50) ? rnd(3) : rnd(1203)) + (chance(90) ? 16 : rnd(20));
        if (n > room)
            n = room;
        break;
    }
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)rnd64();
    if (n > 0 && chance(80))
        p[0] = (uint8_t)((chance(90) ? 1 + rnd(8) : rnd(16)) << 4 | (chance(80) ? 4 + rnd(2) : rnd(16)));
    return n;
}

static void op_hostile(void)
{
    int i, k, count, slot;
    uint16_t sport = 0, cport = 0;
    uint8_t buf[2000];
    char addr[LY_ADDRESS_STRING_SIZE];
    struct sockaddr_in dst;
    ly_stats before, after;

    raw_open();
    /* Mostly the pair's server, else any running IPv4 one. */
    i = pair_live() && chance(80) ? pair_srv : pick_live_server();
    if (i < 0 || !srv[i].running || strncmp(srv[i].addr, "127.0.0.1:", 10) != 0)
        return;
    sport = port_of(srv[i].addr);
    if (i == pair_srv && pair_live()) {
        int len = expect("client_local_address(hostile)", ly_client_local_address(pair_cli_h, addr, sizeof addr), OK);
        if (len > 0)
            cport = port_of(addr);
        capture(cport, sport);
        /* Its events polled: steady, so the next update reads in C. */
        drain_server(i);
    }
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    dst.sin_port = htons(sport);
    memset(&before, 0, sizeof before);
    before.struct_size = sizeof before;
    expect("server_stats(hostile)", ly_server_stats(srv[i].h, &before), OK);

    count = 1 + (int)rnd(32);
    tracef("hostile: %d datagrams at server slot %d (port %u, client port %u, %u captured)", count, i, sport, cport,
           ncaptured);
    for (k = 0; k < count; k++) {
        size_t n;
        if (cport && raw_fd >= 0 && chance(60)) {
            /* From the connected client's port. */
            if (ncaptured > 0 && chance(70)) {
                unsigned c = rnd(ncaptured < CAPTURES ? ncaptured : CAPTURES);
                n = captured[c].len;
                memcpy(buf, captured[c].data, n);
                switch (rnd(5)) {
                case 0: break;                                            /* replayed as it was */
                case 1: buf[rnd((uint32_t)n)] ^= (uint8_t)(1u << rnd(8)); break; /* a bit flipped */
                case 2: n = rnd((uint32_t)n); break;                      /* cut short */
                case 3: if (n > 1) buf[1] ^= (uint8_t)(1 + rnd(255)); break; /* another sequence */
                default: if (n > 1) buf[1 + rnd((uint32_t)n - 1)] = (uint8_t)rnd64(); break;
                }
            } else {
                n = hostile_datagram(buf, sizeof buf);
            }
            spoof(cport, sport, buf, n);
        } else {
            n = hostile_datagram(buf, sizeof buf);
            sendto(hostile_fd, buf, n, 0, (struct sockaddr *)&dst, sizeof dst);
        }
        st.hostile++;
        /* Read a few at a time: the first that C cannot take hands the
         * rest of its batch to Go, which gives the state back after the
         * update. */
        if (chance(40))
            expect("server_update(hostile)", ly_server_update(srv[i].h, chance(50) ? 0 : 1.0 / 60), OK | SOCK);
    }
    nanosleep(&(struct timespec){0, 100000}, NULL);
    if (i == pair_srv && pair_live() && chance(70)) {
        /* The client's own traffic in the same reads. */
        uint32_t n = 1 + rnd(LY_MAX_PAYLOAD_SIZE);
        uint8_t *p = guard_tail(&g_in, n);
        fill_payload(p, n);
        expect("client_send(hostile)", ly_client_send(pair_cli_h, p, n), OK | NCONN);
        expect("client_update(hostile)", ly_client_update(pair_cli_h, 1.0 / 60), OK | SOCK);
    }
    expect("server_update(hostile)", ly_server_update(srv[i].h, 1.0 / 60), OK | SOCK);
    slot = i;
    memset(&after, 0, sizeof after);
    after.struct_size = sizeof after;
    expect("server_stats(hostile)", ly_server_stats(srv[slot].h, &after), OK);
    REQUIRE(after.packets_received >= before.packets_received && after.dropped_malformed >= before.dropped_malformed &&
                after.dropped_replayed >= before.dropped_replayed &&
                after.dropped_decrypt_failed >= before.dropped_decrypt_failed &&
                after.dropped_unknown_address >= before.dropped_unknown_address &&
                after.dropped_oversized >= before.dropped_oversized,
            "server stats went back after hostile datagrams");
    if (i == pair_srv && pair_live())
        capture(cport, sport);
}

static void hostile_close(void)
{
    if (hostile_fd >= 0)
        close(hostile_fd);
    if (raw_fd >= 0)
        close(raw_fd);
    hostile_fd = raw_fd = -1;
}
#else
static void op_hostile(void) {}
static void hostile_close(void) {}
#endif

typedef void (*op_fn)(void);
static void op_server_send_one(void) { op_server_send(0); }
static void op_server_broadcast(void) { op_server_send(1); }

static const struct {
    op_fn fn;
    unsigned weight;
} ops[] = {
    {op_server_create, 5},         {op_server_destroy, 1},         {op_server_start, 5},
    {op_server_stop, 2},           {op_server_running, 2},         {op_server_update, 6},
    {op_server_send_one, 6},       {op_server_broadcast, 3},       {op_server_disconnect, 2},
    {op_server_queries, 3},        {op_server_client_info, 3},     {op_server_address, 2},
    {op_server_connect_local, 3},  {op_server_set_conditioner, 2}, {op_server_stats, 1},
    {op_server_poll, 8},           {op_server_poll_batch, 6},      {op_client_create, 4},
    {op_client_create_manual, 4},  {op_client_destroy, 1},         {op_client_connect, 5},
    {op_client_set_token, 2},      {op_client_update, 5},          {op_client_send, 7},
    {op_client_receive, 7},        {op_client_queries, 3},         {op_client_disconnect, 1},
    {op_client_set_conditioner, 2}, {op_client_stats, 1},          {op_tokens, 3},
    {op_server_flush, 3},          {op_web, 3},
    {op_misc, 2},                  {op_steam, 2},                  {op_pump, 10},
    {op_traffic, 6},               {op_fetch_fleet, 2},
    {op_pair, 2},                  {op_hostile, 6},
};

int main(int argc, char **argv)
{
    double seconds = 0, start, end;
    unsigned long long max_iter = 0;
    unsigned total = 0, k, r;
    int i, fds_before, fds_after;

    seed = (uint64_t)time(NULL) ^ (uint64_t)test_pid() << 32;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            max_iter = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else {
            fprintf(stderr, "usage: %s [--seed N] [--seconds S] [--iterations N] [--verbose]\n", argv[0]);
            return 2;
        }
    }
    if (seconds <= 0 && max_iter == 0)
        seconds = 5;
    rng = seed;
    printf("fuzz_capi: seed %" PRIu64 "%s\n", seed, verbose ? " (verbose)" : "");
    fflush(stdout);

    guard_init(&g_in);
    guard_init(&g_out);
    guard_init(&g_events);
    guard_init(&g_tok);
    guard_init(&g_str);
    guard_init(&g_misc);
    for (k = 0; k < LY_KEY_SIZE; k++)
        key_b[k] = (uint8_t)(k * 13 + 1);
#ifdef FAKESTEAM_PATH
    {
        void *lib = test_dlopen(FAKESTEAM_PATH);
        REQUIRE(lib != NULL, "cannot load the Steam double %s", FAKESTEAM_PATH);
        *(void **)&fake_live_messages = test_dlsym(lib, "FakeSteam_LiveMessages");
        REQUIRE(fake_live_messages != NULL, "FakeSteam_LiveMessages not found");
    }
#endif

    /* Warm up the library (the Go runtime opens its poller lazily) so
     * that the descriptor count is a fair baseline. */
    {
        ly_server_config cfg;
        ly_server *s = NULL;
        ly_server_config_defaults(&cfg);
        cfg.bind_addresses = "127.0.0.1:0";
        REQUIRE(ly_server_create(&cfg, &s) == LY_OK && ly_server_start(s) == LY_OK && ly_server_update(s, 0) == LY_OK &&
                    ly_server_destroy(s) == LY_OK,
                "warm-up server failed");
        calls += 4;
    }
    fds_before = count_fds();
    if (fds_before < 0)
        printf("fuzz_capi: the socket leak check is off: no /proc/self/fd here\n");
    regressions();

    for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
        total += ops[k].weight;
    start = now();
    end = seconds > 0 ? start + seconds : 0;
    for (iterations = 0; (!max_iter || iterations < max_iter) && (!end || (iterations & 63) || now() < end);
         iterations++) {
        if (rnd(20000) == 0) {
            op_shutdown();
            continue;
        }
        r = rnd(total);
        for (k = 0; r >= ops[k].weight; k++)
            r -= ops[k].weight;
        ops[k].fn();
    }

    /* The end: destroy everything; every handle is dead afterwards. */
    for (i = 0; i < NC; i++)
        if (cli[i].live) {
            uintptr_t h = (uintptr_t)cli[i].h;
            destroy_client(i);
            expect("client_destroy(twice)", ly_client_destroy((ly_client *)h), HND);
        }
    for (i = 0; i < NS; i++)
        if (srv[i].live) {
            uintptr_t h = (uintptr_t)srv[i].h;
            destroy_server(i);
            expect("server_destroy(twice)", ly_server_destroy((ly_server *)h), HND);
        }
    for (k = 0; k < NSTALE && k < nstale; k++) {
        expect("server_destroy(stale)", ly_server_destroy((ly_server *)stale[k]), HND);
        expect("client_destroy(stale)", ly_client_destroy((ly_client *)stale[k]), HND);
    }
    REQUIRE(live_handles == 0, "%d handles still counted live", live_handles);
    /* Slots are reused: the table never grew past the most handles that
     * were live at once, plus the 1024 free slots it keeps back so that a
     * slot is reused only after 1024 others (white box: the low 20 bits
     * are the slot, see reuseDistance in capi/handles.go). */
    REQUIRE(max_index < (uint32_t)peak_live + 1024, "handle slot %u used, but at most %d handles were live",
            max_index, peak_live);
    expect("steam_close", ly_steam_close(), OK);
#ifdef FAKESTEAM_PATH
    REQUIRE(fake_live_messages() == 0, "%ld Steam messages never released", fake_live_messages());
#endif
    hostile_close();
    fds_after = count_fds();
    REQUIRE(fds_after <= fds_before, "%d file descriptors open before, %d after destroying everything", fds_before,
            fds_after);
    expect("shutdown", ly_shutdown(), OK);

    printf("fuzz_capi: seed %" PRIu64 ": %llu iterations, %llu calls in %.1f s; %llu servers, %llu clients made, "
           "%llu connected, %llu disconnected and %llu warning events, %llu payloads at servers, %llu at clients, "
           "%llu buffer-too-small retries, %llu calls with an invalid handle, %llu shutdowns, %llu Steam opens; "
           "%llu connected pairs, %llu hostile datagrams (%llu from a client's port, %llu of its packets captured); "
           "peak %d live handles, highest slot %u; OK\n",
           seed, iterations, calls, now() - start, st.servers, st.clients, st.connected, st.disconnected,
           st.warnings, st.spayloads, st.cpayloads, st.too_small, st.invalid_handle_calls, st.shutdowns, st.steam_opens,
           st.pairs, st.hostile, st.spoofed, st.captured, peak_live, max_index);
    return 0;
}
