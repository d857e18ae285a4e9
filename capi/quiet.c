/* Quiet servers: the tick of an idle server without entering Go (Linux).
 *
 * Every call from C into Go after an idle gap wakes the runtime's monitor
 * thread (sysmon) and costs a few context switches (DESIGN.md, "The Go
 * runtime between ticks"). A server with nothing to do, which is most of a
 * small game server's life between matches, pays them every tick for no
 * work. So Go publishes here, under the handle's lock at the end of each
 * ly_server_update, that a server is quiet: a running netcode server over
 * UDP sockets only, with no client, handshake, local client, event or
 * outgoing datagram, where an update would do nothing but advance the
 * clock until a datagram arrives (netcode.Server.Idle, local.Server.Idle,
 * capi/quiet.go). While it stays published, ly_server_update polls the
 * sockets once (timeout 0) and, if none is readable, adds dt to a pending
 * sum here and returns LY_OK; ly_server_poll(_batch), ly_server_flush,
 * ly_server_num_connected and ly_server_running answer from here too.
 * Any Go call on the server unpublishes it first, under the lock, and
 * advances its clock by the pending sum, so the clock is exact.
 *
 * The mirror: one slot per (handle index mod QUIET_SLOTS), claimed by the
 * first server to publish there and released when it is destroyed; a
 * server that finds its slot taken just keeps the Go path. A slot's state
 * word packs a sequence number, the quiet bit and the pending sum in
 * nanoseconds (summed as Go sums dt: ns truncated per call). Go bumps the
 * sequence on every publish and unpublish; the fast paths change only the
 * pending sum, with a compare-and-swap.
 *
 * Why a fast path never answers for a server that is stopped or destroyed
 * (or whose slot now belongs to another handle): it loads the state (quiet,
 * sequence s), then the owner (== the handle), then does its work (the
 * poll), then a compare-and-swap that requires the sequence still to be s.
 * Stop, destroy and every other Go call unpublish (sequence s+1) under the
 * handle's lock before they change anything, and a new owner claims a slot
 * only after the old one unpublished it. If the owner load saw the handle,
 * the state that load's claim followed is at least s's own publish, and a
 * later unpublish makes the final compare-and-swap (which reads the latest
 * value) fail: the call then takes the Go path, which answers for the
 * handle as it is. If it succeeds, the call took effect while the server
 * was still quiet and alive: before the stop or destroy, which has not yet
 * unpublished. The poll may have looked at descriptors closed or reused
 * meanwhile; its answer then does not count, because the swap fails.
 * (The sequence has 23 bits: fooling the swap would take 2^22 Go updates
 * of the server during one poll with timeout 0.) */
#include "capi_internal.h"

#if defined(__linux__)
#include <poll.h>

#define QUIET_SLOTS 256
#define PENDING_BITS 40 /* 2^40 ns: about 18 minutes of skipped ticks */
#define PENDING_MASK ((UINT64_C(1) << PENDING_BITS) - 1)
#define QUIET_BIT (UINT64_C(1) << PENDING_BITS)
#define SEQ_ONE (UINT64_C(1) << (PENDING_BITS + 1))
#define SEQ_QUIET_MASK (~PENDING_MASK)

/* 8-byte alignment for the 64-bit atomics on 32-bit ABIs too. */
struct quiet_slot {
    uint64_t owner __attribute__((aligned(8))); /* the handle publishing here, 0 if free */
    uint64_t state __attribute__((aligned(8))); /* sequence (23 bits) | quiet | pending ns (40 bits) */
    int nfds;       /* the sockets, written while not quiet */
    int fds[LY__QUIET_MAX_FDS];
};

static struct quiet_slot quiet_slots[QUIET_SLOTS];

/* Testing: how many ly_server_update calls the fast path answered. */
static uint64_t quiet_hits;

static struct quiet_slot *slot_of(uint64_t h) { return &quiet_slots[(h & 0xFFFFF) % QUIET_SLOTS]; }

int ly__quiet_publish(uint64_t h, const int *fds, int nfds)
{
    struct quiet_slot *q = slot_of(h);
    if (nfds < 1 || nfds > LY__QUIET_MAX_FDS)
        return 0;
    uint64_t owner = __atomic_load_n(&q->owner, __ATOMIC_ACQUIRE);
    if (owner != h) {
        uint64_t free_slot = 0;
        if (owner != 0 ||
            !__atomic_compare_exchange_n(&q->owner, &free_slot, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 0;
    }
    for (int i = 0; i < nfds; i++)
        __atomic_store_n(&q->fds[i], fds[i], __ATOMIC_RELAXED);
    __atomic_store_n(&q->nfds, nfds, __ATOMIC_RELAXED);
    /* Not quiet now, so no fast path writes the word: only this handle's
     * Go calls, which its lock serialises. The release store publishes
     * the descriptors with it. */
    uint64_t w = __atomic_load_n(&q->state, __ATOMIC_RELAXED);
    __atomic_store_n(&q->state, ((w & ~(QUIET_BIT | PENDING_MASK)) + SEQ_ONE) | QUIET_BIT | (w & PENDING_MASK),
                     __ATOMIC_RELEASE);
    return 1;
}

int64_t ly__quiet_unpublish(uint64_t h)
{
    struct quiet_slot *q = slot_of(h);
    if (__atomic_load_n(&q->owner, __ATOMIC_ACQUIRE) != h)
        return 0;
    uint64_t w = __atomic_load_n(&q->state, __ATOMIC_ACQUIRE);
    for (;;) {
        uint64_t nw = (w & ~(QUIET_BIT | PENDING_MASK)) + SEQ_ONE;
        if (__atomic_compare_exchange_n(&q->state, &w, nw, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return (int64_t)(w & PENDING_MASK);
    }
}

void ly__quiet_release(uint64_t h)
{
    struct quiet_slot *q = slot_of(h);
    uint64_t expect = h;
    ly__quiet_unpublish(h);
    __atomic_compare_exchange_n(&q->owner, &expect, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

uint64_t ly__quiet_hits(void) { return __atomic_load_n(&quiet_hits, __ATOMIC_RELAXED); }

/* The slot of a server published quiet, with its state word in *w. */
static struct quiet_slot *quiet_of(uint64_t h, uint64_t *w)
{
    if (h == 0)
        return NULL;
    struct quiet_slot *q = slot_of(h);
    uint64_t s = __atomic_load_n(&q->state, __ATOMIC_ACQUIRE);
    if (!(s & QUIET_BIT) || __atomic_load_n(&q->owner, __ATOMIC_ACQUIRE) != h)
        return NULL;
    *w = s;
    return q;
}

/* Adds add_ns to the pending sum if the server is still quiet in the
 * publication w was read from (the closing compare-and-swap above). */
static int still_quiet(struct quiet_slot *q, uint64_t w, uint64_t add_ns)
{
    uint64_t cur = w;
    for (;;) {
        if ((cur & SEQ_QUIET_MASK) != (w & SEQ_QUIET_MASK) || (cur & PENDING_MASK) + add_ns > PENDING_MASK)
            return 0;
        if (__atomic_compare_exchange_n(&q->state, &cur, cur + add_ns, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 1;
        /* Another thread's fast path added its dt: same publication. */
    }
}

int ly__quiet_update(uint64_t h, double dt)
{
    uint64_t w;
    struct quiet_slot *q = quiet_of(h, &w);
    /* dt as Go converts it (capi/convert.go, duration): seconds * 1e9,
     * truncated. NaN, negative, infinite and huge values take the Go
     * path, which refuses them or handles them. */
    if (q == NULL || !(dt >= 0.0) || dt > 1e6)
        return 0;
    uint64_t ns = (uint64_t)(dt * 1e9);
    struct pollfd pfd[LY__QUIET_MAX_FDS];
    int n = __atomic_load_n(&q->nfds, __ATOMIC_RELAXED);
    if (n < 1 || n > LY__QUIET_MAX_FDS)
        return 0;
    for (int i = 0; i < n; i++) {
        pfd[i].fd = __atomic_load_n(&q->fds[i], __ATOMIC_RELAXED);
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
    }
    /* Anything to read, an error or a closed descriptor: Go reads. */
    if (poll(pfd, (nfds_t)n, 0) != 0)
        return 0;
    if (!still_quiet(q, w, ns))
        return 0;
    __atomic_fetch_add(&quiet_hits, 1, __ATOMIC_RELAXED);
    return 1;
}

int ly__quiet_check(uint64_t h)
{
    uint64_t w;
    struct quiet_slot *q = quiet_of(h, &w);
    return q != NULL && still_quiet(q, w, 0);
}

#else
/* Elsewhere the Go path always runs. */
int ly__quiet_publish(uint64_t h, const int *fds, int nfds)
{
    (void)h, (void)fds, (void)nfds;
    return 0;
}
int64_t ly__quiet_unpublish(uint64_t h)
{
    (void)h;
    return 0;
}
void ly__quiet_release(uint64_t h) { (void)h; }
uint64_t ly__quiet_hits(void) { return 0; }
int ly__quiet_update(uint64_t h, double dt)
{
    (void)h, (void)dt;
    return 0;
}
int ly__quiet_check(uint64_t h)
{
    (void)h;
    return 0;
}
#endif
