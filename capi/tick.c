/* The tick in C: a steady netcode server's packet path without entering
 * Go (Linux).
 *
 * Every call from C into Go after the game's sleep wakes the Go runtime's
 * monitor thread and hands its P around: about three context switches and
 * 60 us of CPU a tick on this machine whatever the call does (DESIGN.md,
 * "The tick in C"), more than a small server's whole work. So while a
 * server is steady (netcode.Server.Steady: a fixed set of confirmed
 * clients over UDP sockets, nothing queued), Go exports each client's
 * packet state here (tick.go) and the game's tick runs in C:
 * ly_server_update reads the sockets with recvmmsg, decrypts keep-alives
 * and payloads of known clients, checks their replay windows, queues the
 * payloads, sends keep-alives every 0.1 s and watches timeouts;
 * ly_server_send, _broadcast and _flush encrypt and send with sendmmsg;
 * ly_server_poll(_batch) hand out the payloads. It is the same protocol
 * as core/netcode, step for step (the comments name the Go it mirrors),
 * and a test runs every scenario both ways (capi/tick_test.go).
 *
 * Anything else goes to Go, which stays the only implementation of
 * everything but that path: a datagram that is not a clean keep-alive or
 * payload of a known client (a request, a disconnect, a failed check: it
 * is handed back to the transport with the rest of its batch, so Go reads
 * them next, in order), a timeout, an error, a queue or buffer too small,
 * and every other call. The mirror then goes back to Go (tick.go imports
 * the clients' sequences, replay windows, times and counters before the
 * call runs), and Go exports it again at the end of an update, poll or
 * flush that leaves the server steady.
 *
 * The mirror of each handle is in a slot (handle index mod TICK_SLOTS)
 * with a mutex: the entries run under it, and Go takes it to export and
 * import. A server whose slot belongs to another handle keeps the Go path. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* recvmmsg, sendmmsg */
#endif
#include "tick.h"

#if defined(__linux__)
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "aead.h"

#define TICK_SLOTS 256
#define VERSION_SIZE 13
#define AD_SIZE (VERSION_SIZE + 8 + 1)
#define MAC_SIZE 16
#define MAX_PAYLOAD LY_MAX_PAYLOAD_SIZE
#define MAX_PACKET (1 + 8 + MAX_PAYLOAD + MAC_SIZE) /* netcode maxPacketSize */
#define MIN_PACKET 18                              /* prefix, one sequence byte, MAC */
#define KEEP_ALIVE_BODY 8
#define PACKET_KEEP_ALIVE 4
#define PACKET_PAYLOAD 5
#define REPLAY_EMPTY UINT64_MAX
#define MAX_CLOCK INT64_MAX
#define ARENA_MAX (1024 * MAX_PAYLOAD)
#define SEND_WAITS 10 /* 100 ms polls for a full send buffer */

static const uint8_t netcode_version[VERSION_SIZE] = "NETCODE 1.02";

/* Datagrams queued for one socket. */
struct outbox {
    int fd;
    int is4; /* AF_INET socket */
    uint32_t n;
    struct mmsghdr hdrs[LY__TICK_BATCH];
    struct iovec iovs[LY__TICK_BATCH];
    struct sockaddr_in6 names[LY__TICK_BATCH];
    uint8_t bufs[LY__TICK_BATCH][MAX_PACKET];
};

/* The mirror and what only C uses. */
struct tick {
    ly__tick_server m; /* first: Go's pointer is this struct's */
    struct slot *home;
    uint32_t client_cap;
    /* Open addressing, index+1 (0: empty); mask = size-1. */
    uint32_t *by_addr, *by_id, mask, table_size;
    uint8_t ad[AD_SIZE];
    struct outbox out[LY__TICK_MAX_SOCKS];
    /* The receive batch. */
    struct mmsghdr rx_hdrs[LY__TICK_BATCH];
    struct iovec rx_iovs[LY__TICK_BATCH];
    struct sockaddr_in6 rx_names[LY__TICK_BATCH];
    uint8_t rx_bufs[LY__TICK_BATCH][LY__TICK_DATAGRAM];
};

struct slot {
    pthread_mutex_t mu;
    uint64_t owner; /* guarded by mu */
    struct tick *t;
};

static struct slot slots[TICK_SLOTS];
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static unsigned long tick_hits; /* pointer-sized: no libatomic on 32-bit ABIs */

static void init_slots(void)
{
    for (int i = 0; i < TICK_SLOTS; i++)
        pthread_mutex_init(&slots[i].mu, NULL);
}

static struct slot *slot_of(uint64_t h)
{
    pthread_once(&slots_once, init_slots);
    return &slots[(h & 0xFFFFF) % TICK_SLOTS];
}

uint64_t ly__tick_hits(void) { return (uint64_t)__atomic_load_n(&tick_hits, __ATOMIC_RELAXED); }

int ly__tick_slot_taken(uint64_t h)
{
    struct slot *s = slot_of(h);
    pthread_mutex_lock(&s->mu);
    int taken = s->owner != 0 && s->owner != h;
    pthread_mutex_unlock(&s->mu);
    return taken;
}

/* Clears memory that held keys, so that freeing it leaves none behind. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *b = p;
    while (n-- > 0)
        *b++ = 0;
}

static void free_tick(struct tick *t)
{
    if (t == NULL)
        return;
    if (t->m.clients != NULL)
        wipe(t->m.clients, (size_t)t->client_cap * sizeof *t->m.clients);
    free(t->m.clients);
    free(t->m.events);
    free(t->m.arena);
    free(t->by_addr);
    free(t->by_id);
    free(t);
}

/* Grows t to hold nclients clients and event_cap events; 0 when out of memory. */
static int reserve(struct tick *t, uint32_t nclients, uint32_t event_cap)
{
    if (nclients > t->client_cap) {
        uint32_t cap = t->client_cap < 16 ? 16 : t->client_cap;
        while (cap < nclients)
            cap *= 2;
        ly__tick_client *c = realloc(t->m.clients, (size_t)cap * sizeof *c);
        if (c == NULL)
            return 0;
        t->m.clients = c;
        t->client_cap = cap;
    }
    uint32_t size = 16;
    while (size < 2 * (uint64_t)t->client_cap)
        size *= 2;
    if (size > t->table_size) {
        uint32_t *a = calloc(size, sizeof *a), *b = calloc(size, sizeof *b);
        if (a == NULL || b == NULL) {
            free(a), free(b);
            return 0;
        }
        free(t->by_addr), free(t->by_id);
        t->by_addr = a, t->by_id = b, t->table_size = size, t->mask = size - 1;
    }
    if (event_cap < 1)
        event_cap = 1;
    if (event_cap > t->m.event_cap) {
        /* Only while empty: Go imports the queue before exporting again. */
        ly__tick_event *e = realloc(t->m.events, (size_t)event_cap * sizeof *e);
        if (e == NULL)
            return 0;
        t->m.events = e;
        t->m.event_cap = event_cap;
    }
    uint64_t arena = (uint64_t)event_cap * MAX_PAYLOAD;
    if (arena > ARENA_MAX)
        arena = ARENA_MAX;
    if (arena > t->m.arena_size) {
        uint8_t *a = realloc(t->m.arena, (size_t)arena);
        if (a == NULL)
            return 0;
        t->m.arena = a;
        t->m.arena_size = (uint32_t)arena;
    }
    return 1;
}

ly__tick_server *ly__tick_claim(uint64_t h, uint32_t nclients, uint32_t event_cap)
{
    if (h == 0)
        return NULL;
    struct slot *s = slot_of(h);
    pthread_mutex_lock(&s->mu);
    if (s->owner != 0 && s->owner != h)
        goto refuse;
    if (s->t == NULL) {
        s->t = calloc(1, sizeof *s->t);
        if (s->t == NULL)
            goto refuse;
        s->t->home = s;
        for (int i = 0; i < LY__TICK_BATCH; i++) {
            struct msghdr *mh = &s->t->rx_hdrs[i].msg_hdr;
            s->t->rx_iovs[i].iov_base = s->t->rx_bufs[i];
            s->t->rx_iovs[i].iov_len = LY__TICK_DATAGRAM;
            mh->msg_iov = &s->t->rx_iovs[i];
            mh->msg_iovlen = 1;
            mh->msg_name = &s->t->rx_names[i];
        }
    }
    s->owner = h;
    if (s->t->m.state != LY__TICK_GO || !reserve(s->t, nclients, event_cap))
        goto refuse;
    return &s->t->m;
refuse:
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

ly__tick_server *ly__tick_lock(uint64_t h)
{
    if (h == 0)
        return NULL;
    struct slot *s = slot_of(h);
    pthread_mutex_lock(&s->mu);
    if (s->owner == h && s->t != NULL)
        return &s->t->m;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void ly__tick_unlock(ly__tick_server *m) { pthread_mutex_unlock(&((struct tick *)m)->home->mu); }

void ly__tick_release(uint64_t h)
{
    if (h == 0)
        return;
    struct slot *s = slot_of(h);
    pthread_mutex_lock(&s->mu);
    if (s->owner == h) {
        free_tick(s->t);
        s->t = NULL;
        s->owner = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ */
/* Indexes                                                             */

static uint32_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (uint32_t)x;
}

static uint32_t addr_hash(uint32_t sock, int is4, const uint8_t *ip, uint16_t port)
{
    uint64_t a = 0, b = 0;
    memcpy(&a, ip, 8);
    if (!is4)
        memcpy(&b, ip + 8, 8);
    return mix(a ^ mix(b ^ ((uint64_t)sock << 32 | (uint64_t)port << 1 | (uint64_t)is4)));
}

static int same_addr(const ly__tick_client *c, uint32_t sock, int is4, const uint8_t *ip, uint16_t port)
{
    return c->sock == sock && (int)c->is4 == is4 && c->port == port && memcmp(c->ip, ip, is4 ? 4 : 16) == 0;
}

static ly__tick_client *find_addr(struct tick *t, uint32_t sock, int is4, const uint8_t *ip, uint16_t port)
{
    for (uint32_t i = addr_hash(sock, is4, ip, port) & t->mask;; i = (i + 1) & t->mask) {
        uint32_t k = t->by_addr[i];
        if (k == 0)
            return NULL;
        ly__tick_client *c = &t->m.clients[k - 1];
        if (same_addr(c, sock, is4, ip, port))
            return c;
    }
}

static ly__tick_client *find_id(struct tick *t, uint64_t id)
{
    for (uint32_t i = mix(id) & t->mask;; i = (i + 1) & t->mask) {
        uint32_t k = t->by_id[i];
        if (k == 0)
            return NULL;
        if (t->m.clients[k - 1].id == id)
            return &t->m.clients[k - 1];
    }
}

/* The sender of a received datagram, as transport.decodeSockaddr reads it
 * (IPv4 peers of a dual-stack socket unmapped); 0 for a scoped IPv6
 * address, which no client in the mirror has (Steady). */
static int read_sender(const struct sockaddr_in6 *sa, socklen_t len, int *is4, uint8_t ip[16], uint16_t *port)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(ip, 0, 16);
    if (sa->sin6_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        memcpy(ip, &s4->sin_addr, 4);
        *is4 = 1, *port = ntohs(s4->sin_port);
        return 1;
    }
    if (sa->sin6_family != AF_INET6 || len < sizeof(struct sockaddr_in6))
        return 0;
    *port = ntohs(sa->sin6_port);
    if (memcmp(sa->sin6_addr.s6_addr, mapped, 12) == 0) {
        memcpy(ip, sa->sin6_addr.s6_addr + 12, 4);
        *is4 = 1;
        return 1;
    }
    if (sa->sin6_scope_id != 0)
        return 0;
    memcpy(ip, sa->sin6_addr.s6_addr, 16);
    *is4 = 0;
    return 1;
}

/* A client's address for its socket, as transport.encodeSockaddr writes it
 * (IPv4 mapped for an IPv6 socket); 0 when that socket cannot reach it. */
static socklen_t write_dest(const ly__tick_client *c, int sock_is4, struct sockaddr_in6 *sa)
{
    memset(sa, 0, sizeof *sa);
    if (sock_is4) {
        if (!c->is4)
            return 0;
        struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(c->port);
        memcpy(&s4->sin_addr, c->ip, 4);
        return sizeof *s4;
    }
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(c->port);
    if (c->is4) {
        sa->sin6_addr.s6_addr[10] = sa->sin6_addr.s6_addr[11] = 0xff;
        memcpy(sa->sin6_addr.s6_addr + 12, c->ip, 4);
    } else {
        memcpy(sa->sin6_addr.s6_addr, c->ip, 16);
    }
    return sizeof *sa;
}

int ly__tick_publish(ly__tick_server *m)
{
    struct tick *t = (struct tick *)m;
    if (m->nfds < 1 || m->nfds > LY__TICK_MAX_SOCKS || m->nclients > t->client_cap)
        return 0;
    for (int i = 0; i < m->nfds; i++) {
        int domain;
        socklen_t len = sizeof domain;
        if (getsockopt(m->fds[i], SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
            return 0;
        t->out[i].fd = m->fds[i];
        t->out[i].is4 = domain == AF_INET;
        t->out[i].n = 0;
    }
    memset(t->by_addr, 0, t->table_size * sizeof *t->by_addr);
    memset(t->by_id, 0, t->table_size * sizeof *t->by_id);
    struct sockaddr_in6 probe;
    for (uint32_t k = 0; k < m->nclients; k++) {
        ly__tick_client *c = &m->clients[k];
        if (c->sock >= (uint32_t)m->nfds || write_dest(c, t->out[c->sock].is4, &probe) == 0)
            return 0;
        uint32_t i = addr_hash(c->sock, (int)c->is4, c->ip, c->port) & t->mask;
        while (t->by_addr[i] != 0)
            i = (i + 1) & t->mask;
        t->by_addr[i] = k + 1;
        for (i = mix(c->id) & t->mask; t->by_id[i] != 0; i = (i + 1) & t->mask)
            ;
        t->by_id[i] = k + 1;
        c->packets_sent = c->bytes_sent = c->packets_received = c->bytes_received = 0;
    }
    /* The associated data: VERSION || protocol id || prefix byte. */
    memcpy(t->ad, netcode_version, VERSION_SIZE);
    for (int i = 0; i < 8; i++)
        t->ad[VERSION_SIZE + i] = (uint8_t)(m->protocol_id >> (8 * i));
    m->packets_sent = m->bytes_sent = m->packets_received = m->bytes_received = 0;
    m->event_head = m->event_count = m->arena_head = m->arena_tail = 0;
    m->handoff_count = 0;
    m->state = LY__TICK_C;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Entering: the mirror of a handle whose tick runs here, locked.      */

static struct tick *enter(uint64_t h, struct slot **sp)
{
    if (h == 0)
        return NULL;
    struct slot *s = slot_of(h);
    pthread_mutex_lock(&s->mu);
    if (s->owner != h || s->t == NULL || s->t->m.state != LY__TICK_C) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    *sp = s;
    return s->t;
}

static void leave(struct slot *s) { pthread_mutex_unlock(&s->mu); }

/* ------------------------------------------------------------------ */
/* Sending                                                             */

static void nonce_of(uint8_t nonce[12], uint64_t seq)
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (uint8_t)(seq >> (8 * i));
}

static int sequence_bytes(uint64_t seq)
{
    int n = 1;
    while (n < 8 && (seq >> (8 * n)) != 0)
        n++;
    return n;
}

/* Errors that concern one peer, not the socket (transport.transientErrno). */
static int transient(int e)
{
    return e == ECONNREFUSED || e == ECONNRESET || e == EHOSTUNREACH || e == EHOSTDOWN || e == ENETUNREACH ||
           e == ENETDOWN || e == EMSGSIZE || e == ENOPROTOOPT || e == EOPNOTSUPP || e == EACCES || e == EPERM ||
           e == ENOBUFS || e == ENOMEM || e == EINVAL || e == EAFNOSUPPORT || e == EADDRNOTAVAIL ||
           e == ETIMEDOUT || e == EPROTO;
}

/* Writes every datagram queued on o (outbox.flush and UDP.WriteBatch):
 * one that the network refuses is skipped and still counts as sent, a
 * full send buffer is waited for in poll(2) (up to a second, where Go
 * waits on: this holds the mirror's lock), a socket error loses the
 * rest, which the next read then reports. */
static void flush_out(struct tick *t, struct outbox *o)
{
    uint32_t pos = 0, waits = 0;
    while (pos < o->n) {
        int k = sendmmsg(o->fd, &o->hdrs[pos], o->n - pos, MSG_DONTWAIT);
        if (k > 0) {
            pos += (uint32_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waits++ < SEND_WAITS) {
            struct pollfd p = {.fd = o->fd, .events = POLLOUT};
            poll(&p, 1, 100);
            continue;
        }
        if (k == 0 || transient(errno)) {
            pos++; /* this peer only */
            continue;
        }
        break;
    }
    for (uint32_t i = 0; i < pos; i++) {
        t->m.packets_sent++;
        t->m.bytes_sent += o->iovs[i].iov_len;
    }
    o->n = 0;
}

static void flush_all(struct tick *t)
{
    for (int i = 0; i < t->m.nfds; i++)
        if (t->out[i].n > 0)
            flush_out(t, &t->out[i]);
}

/* Queues a packet of type typ with body (n bytes) to c, sealed with its
 * next sequence (Server.sendSealed). */
static void send_packet(struct tick *t, ly__tick_client *c, int typ, const uint8_t *body, uint32_t n)
{
    struct outbox *o = &t->out[c->sock];
    if (o->n == LY__TICK_BATCH)
        flush_out(t, o);
    uint32_t j = o->n;
    uint8_t *buf = o->bufs[j];
    int sb = sequence_bytes(c->sequence);
    uint8_t prefix = (uint8_t)(sb << 4 | typ);
    buf[0] = prefix;
    for (int i = 0; i < sb; i++)
        buf[1 + i] = (uint8_t)(c->sequence >> (8 * i));
    uint8_t nonce[12];
    nonce_of(nonce, c->sequence);
    t->ad[AD_SIZE - 1] = prefix;
    ly__aead_seal(buf + 1 + sb, body, n, t->ad, AD_SIZE, nonce, c->s2c);
    uint32_t size = 1 + (uint32_t)sb + n + MAC_SIZE;
    o->iovs[j].iov_base = buf;
    o->iovs[j].iov_len = size;
    struct msghdr *mh = &o->hdrs[j].msg_hdr;
    memset(mh, 0, sizeof *mh);
    mh->msg_name = &o->names[j];
    mh->msg_namelen = write_dest(c, o->is4, &o->names[j]);
    mh->msg_iov = &o->iovs[j];
    mh->msg_iovlen = 1;
    o->n++;
    c->sequence++;
    c->last_send = t->m.now;
    c->packets_sent++;
    c->bytes_sent += size;
}

static void send_keep_alive(struct tick *t, ly__tick_client *c)
{
    uint8_t body[KEEP_ALIVE_BODY];
    for (int i = 0; i < 4; i++) {
        body[i] = (uint8_t)(c->index >> (8 * i));
        body[4 + i] = (uint8_t)(t->m.max_clients >> (8 * i));
    }
    send_packet(t, c, PACKET_KEEP_ALIVE, body, KEEP_ALIVE_BODY);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

/* Where n bytes of payload go in the arena's ring, or 0 if they do not
 * fit: after the newest payload, else (not wrapped yet) from the start,
 * up to the oldest. A game that polls some events and leaves others for
 * later thus keeps its tick in C. */
static int arena_place(const ly__tick_server *m, uint32_t n, uint32_t *off)
{
    uint32_t head = m->arena_head, tail = m->arena_tail;
    if (m->event_count == 0 || tail > head) {
        if (n <= m->arena_size - tail) {
            *off = tail;
            return 1;
        }
        if (n <= head) {
            *off = 0;
            return 1;
        }
        return 0;
    }
    if (n <= head - tail) { /* wrapped (tail == head: full) */
        *off = tail;
        return 1;
    }
    return 0;
}

static int queue_payload(struct tick *t, uint64_t id, const uint8_t *p, uint32_t n, int commit)
{
    ly__tick_server *m = &t->m;
    uint32_t off;
    if (m->event_count == m->event_cap || !arena_place(m, n, &off))
        return 0;
    if (commit) {
        ly__tick_event *e = &m->events[(m->event_head + m->event_count) % m->event_cap];
        e->client = id, e->size = n, e->offset = off;
        memcpy(m->arena + off, p, n);
        m->arena_tail = off + n;
        m->event_count++;
    }
    return 1;
}

/* Takes one received datagram if it is a keep-alive or payload of a known
 * client that passes every check (Server.handle, codec.readEncrypted,
 * Server.handleConnected); 0 leaves it, intact, to Go. Every check comes
 * before the decryption, which is the last step and leaves the datagram
 * as it was when the tag does not match. */
static int take(struct tick *t, uint32_t sock, uint8_t *pkt, uint32_t len, int flags, const struct sockaddr_in6 *from,
                socklen_t fromlen)
{
    if ((flags & MSG_TRUNC) || len > MAX_PACKET || len < MIN_PACKET)
        return 0;
    int typ = pkt[0] & 0xf, sb = pkt[0] >> 4;
    if ((typ != PACKET_KEEP_ALIVE && typ != PACKET_PAYLOAD) || sb < 1 || sb > 8 || len < (uint32_t)(1 + sb + MAC_SIZE))
        return 0;
    int is4;
    uint8_t ip[16];
    uint16_t port;
    if (!read_sender(from, fromlen, &is4, ip, &port))
        return 0;
    ly__tick_client *c = find_addr(t, sock, is4, ip, port);
    if (c == NULL)
        return 0;
    uint32_t body = len - 1 - (uint32_t)sb - MAC_SIZE;
    if (typ == PACKET_KEEP_ALIVE ? body != KEEP_ALIVE_BODY : (body < 1 || body > MAX_PAYLOAD))
        return 0;
    uint64_t seq = 0;
    for (int i = 0; i < sb; i++)
        seq |= (uint64_t)pkt[1 + i] << (8 * i);
    /* replayWindow.alreadyReceived */
    if (c->replay_recent >= LY__TICK_REPLAY && seq <= c->replay_recent - LY__TICK_REPLAY)
        return 0;
    uint64_t seen = c->replay[seq % LY__TICK_REPLAY];
    if (seen != REPLAY_EMPTY && seen >= seq)
        return 0;
    uint8_t *p = pkt + 1 + sb;
    if (typ == PACKET_PAYLOAD && !queue_payload(t, c->id, p, body, 0))
        return 0;
    uint8_t nonce[12];
    nonce_of(nonce, seq);
    t->ad[AD_SIZE - 1] = pkt[0];
    if (ly__aead_open(p, p, body, t->ad, AD_SIZE, nonce, c->c2s) != 0)
        return 0;
    /* replayWindow.advance */
    if (seq > c->replay_recent)
        c->replay_recent = seq;
    c->replay[seq % LY__TICK_REPLAY] = seq;
    t->m.packets_received++, t->m.bytes_received += len;
    c->packets_received++, c->bytes_received += len;
    c->last_recv = t->m.now;
    if (typ == PACKET_PAYLOAD)
        queue_payload(t, c->id, p, body, 1);
    return 1;
}

/* Hands datagrams first..n-1 of the batch to Go. */
static void hand_off(struct tick *t, uint32_t sock, int first, int n)
{
    ly__tick_server *m = &t->m;
    m->handoff_sock = sock;
    m->handoff_count = 0;
    for (int i = first; i < n; i++) {
        struct msghdr *mh = &t->rx_hdrs[i].msg_hdr;
        ly__tick_handoff *d = &m->handoff[m->handoff_count++];
        d->data = t->rx_bufs[i];
        d->size = t->rx_hdrs[i].msg_len;
        d->truncated = (mh->msg_flags & MSG_TRUNC) != 0;
        d->name = (const uint8_t *)&t->rx_names[i];
        d->namelen = mh->msg_namelen;
    }
    m->state = LY__TICK_DIRTY;
}

/* Reads socket sock until it is drained or max_reads datagrams were read
 * (Server.receive, UDP.read). 0 when Go must take over: a datagram it
 * must handle (handed off) or a read error (Go reads it again). */
static int receive(struct tick *t, uint32_t sock)
{
    int fd = t->m.fds[sock];
    for (uint32_t read = 0, tries = 0; read < t->m.max_reads;) {
        uint32_t want = t->m.max_reads - read;
        if (want > LY__TICK_BATCH)
            want = LY__TICK_BATCH;
        for (uint32_t i = 0; i < want; i++) {
            t->rx_hdrs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
            t->rx_hdrs[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(fd, t->rx_hdrs, want, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            if (transient(errno) && tries++ < 4)
                continue;
            t->m.handoff_count = 0;
            t->m.state = LY__TICK_DIRTY;
            return 0;
        }
        read += (uint32_t)n;
        for (int i = 0; i < n; i++) {
            struct msghdr *mh = &t->rx_hdrs[i].msg_hdr;
            if (!take(t, sock, t->rx_bufs[i], t->rx_hdrs[i].msg_len, mh->msg_flags, &t->rx_names[i],
                      mh->msg_namelen)) {
                hand_off(t, sock, i, n);
                return 0;
            }
        }
        if ((uint32_t)n < want)
            return 1; /* a short batch: drained (UDP.ReadDrained) */
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* The entries                                                         */

int ly__tick_update(uint64_t h, double dt)
{
    /* dt as Go converts it (capi/convert.go, duration); anything Go would
     * refuse, or saturate, takes the Go path. */
    if (!(dt >= 0.0) || dt > 1e6)
        return 0;
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    ly__tick_server *m = &t->m;
    int64_t ns = (int64_t)(dt * 1e9);
    /* core.AdvanceClock */
    m->now = (m->now > 0 && ns > MAX_CLOCK - m->now) ? MAX_CLOCK : m->now + ns;
    /* Server.Update: flush, receive, keep-alives, timeouts, flush. */
    flush_all(t);
    for (int i = 0; i < m->nfds; i++) {
        if (!receive(t, (uint32_t)i)) {
            flush_all(t);
            leave(s);
            return LY__TICK_CONTINUE;
        }
    }
    int timed_out = 0;
    for (uint32_t k = 0; k < m->nclients; k++) {
        ly__tick_client *c = &m->clients[k];
        if (m->now - c->last_send >= m->keep_alive)
            send_keep_alive(t, c);
        if (c->timeout > 0 && m->now - c->last_recv >= c->timeout)
            timed_out = 1;
    }
    flush_all(t);
    if (timed_out) {
        /* Go disconnects it. */
        m->handoff_count = 0;
        m->state = LY__TICK_DIRTY;
        leave(s);
        return LY__TICK_CONTINUE;
    }
    __atomic_fetch_add(&tick_hits, 1, __ATOMIC_RELAXED);
    leave(s);
    return 1;
}

/* Before Go imports the state: the datagrams the entries queued with
 * batch_sends and not flushed yet leave now. Go's copy of the server has
 * no part of them, and publish starts the outboxes empty, so any left
 * here would be lost (their sequences spent): a send, then any call that
 * enters Go (stats, a poll with a buffer too small, ...), then the
 * flush. They count in the counters Go reads next. */
void ly__tick_flush_locked(ly__tick_server *m) { flush_all((struct tick *)m); }

int ly__tick_flush(uint64_t h)
{
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    flush_all(t);
    leave(s);
    return 1;
}

static int payload_ok(const uint8_t *data, uint32_t size) { return data != NULL && size >= 1 && size <= MAX_PAYLOAD; }

int ly__tick_send(uint64_t h, ly_client_id client, const uint8_t *data, uint32_t size)
{
    if (!payload_ok(data, size))
        return 0;
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    ly__tick_client *c = client.kind == t->m.netcode_kind ? find_id(t, client.id) : NULL;
    if (c != NULL) {
        send_packet(t, c, PACKET_PAYLOAD, data, size);
        if (!t->m.batch_sends)
            flush_out(t, &t->out[c->sock]);
    }
    leave(s);
    return c != NULL;
}

int ly__tick_broadcast(uint64_t h, const uint8_t *data, uint32_t size)
{
    if (!payload_ok(data, size))
        return 0;
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    for (uint32_t k = 0; k < t->m.nclients; k++)
        send_packet(t, &t->m.clients[k], PACKET_PAYLOAD, data, size);
    if (!t->m.batch_sends)
        flush_all(t);
    leave(s);
    return 1;
}

int ly__tick_num_connected(uint64_t h, int *n)
{
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    *n = (int)t->m.nclients;
    leave(s);
    return 1;
}

int ly__tick_running(uint64_t h)
{
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    leave(s); /* published means running: a stop imports first */
    return 1;
}

static void fill_event(ly_event *e, const ly__tick_server *m, const ly__tick_event *q, uint32_t offset)
{
    memset(e, 0, sizeof *e);
    e->type = LY_EVENT_PAYLOAD;
    e->client.id = q->client;
    e->client.kind = m->netcode_kind;
    e->payload_size = q->size;
    e->payload_offset = offset;
}

static void pop_event(ly__tick_server *m)
{
    m->event_head = (m->event_head + 1) % m->event_cap;
    if (--m->event_count == 0)
        m->event_head = m->arena_head = m->arena_tail = 0;
    else
        m->arena_head = m->events[m->event_head].offset;
}

int ly__tick_poll(uint64_t h, ly_event *event, uint8_t *buf, uint32_t buf_size, int *rc)
{
    if (event == NULL || (buf == NULL && buf_size > 0))
        return 0;
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    ly__tick_server *m = &t->m;
    int done = 1;
    if (m->event_count == 0) {
        memset(event, 0, sizeof *event);
        *rc = 0;
    } else {
        const ly__tick_event *q = &m->events[m->event_head];
        if (q->size > buf_size) {
            done = 0; /* Go holds it and says why */
        } else {
            fill_event(event, m, q, 0);
            memcpy(buf, m->arena + q->offset, q->size);
            pop_event(m);
            *rc = 1;
        }
    }
    leave(s);
    return done;
}

int ly__tick_poll_batch(uint64_t h, ly_event *events, uint32_t max_events, uint8_t *buf, uint32_t buf_size, int *rc)
{
    if ((events == NULL && max_events > 0) || (buf == NULL && buf_size > 0))
        return 0;
    struct slot *s;
    struct tick *t = enter(h, &s);
    if (t == NULL)
        return 0;
    ly__tick_server *m = &t->m;
    uint32_t n = 0, offset = 0;
    if (m->event_count > 0 && max_events > 0 && m->events[m->event_head].size > buf_size) {
        leave(s);
        return 0; /* not even the first fits: Go holds it and says why */
    }
    while (n < max_events && m->event_count > 0) {
        const ly__tick_event *q = &m->events[m->event_head];
        if (q->size > buf_size - offset)
            break; /* stays queued for the next call */
        fill_event(&events[n], m, q, offset);
        memcpy(buf + offset, m->arena + q->offset, q->size);
        offset += q->size;
        pop_event(m);
        n++;
    }
    *rc = (int)n;
    leave(s);
    return 1;
}

#else
/* Elsewhere the Go path always runs. */
ly__tick_server *ly__tick_claim(uint64_t h, uint32_t nclients, uint32_t event_cap)
{
    (void)h, (void)nclients, (void)event_cap;
    return NULL;
}
ly__tick_server *ly__tick_lock(uint64_t h)
{
    (void)h;
    return NULL;
}
void ly__tick_unlock(ly__tick_server *m) { (void)m; }
int ly__tick_publish(ly__tick_server *m)
{
    (void)m;
    return 0;
}
void ly__tick_flush_locked(ly__tick_server *m) { (void)m; }
void ly__tick_release(uint64_t h) { (void)h; }
uint64_t ly__tick_hits(void) { return 0; }
int ly__tick_slot_taken(uint64_t h)
{
    (void)h;
    return 0;
}
int ly__tick_update(uint64_t h, double dt)
{
    (void)h, (void)dt;
    return 0;
}
int ly__tick_flush(uint64_t h)
{
    (void)h;
    return 0;
}
int ly__tick_send(uint64_t h, ly_client_id client, const uint8_t *data, uint32_t size)
{
    (void)h, (void)client, (void)data, (void)size;
    return 0;
}
int ly__tick_broadcast(uint64_t h, const uint8_t *data, uint32_t size)
{
    (void)h, (void)data, (void)size;
    return 0;
}
int ly__tick_num_connected(uint64_t h, int *n)
{
    (void)h, (void)n;
    return 0;
}
int ly__tick_running(uint64_t h)
{
    (void)h;
    return 0;
}
int ly__tick_poll(uint64_t h, ly_event *event, uint8_t *buf, uint32_t buf_size, int *rc)
{
    (void)h, (void)event, (void)buf, (void)buf_size, (void)rc;
    return 0;
}
int ly__tick_poll_batch(uint64_t h, ly_event *events, uint32_t max_events, uint8_t *buf, uint32_t buf_size, int *rc)
{
    (void)h, (void)events, (void)max_events, (void)buf, (void)buf_size, (void)rc;
    return 0;
}
#endif
