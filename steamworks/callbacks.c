// Status changes. Steam calls the global status callback, a plain C
// function pointer with no user data, from inside the sockets interface's
// RunCallbacks. The trampoline below copies the fields the backend needs
// into a queue in C memory; Go drains the queue right after RunCallbacks,
// in the same cgo call for the first batch. No Go code ever runs on a
// thread Steam chose: if a host process pumps RunCallbacks itself (attach
// mode), the trampoline still only queues, under the queue's mutex.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shim.h"

typedef bool (*set_callback_fn)(void *, lys_status_fn);
typedef void (*set_debug_fn)(void *, int, lys_debug_fn);
typedef void (*run_fn)(void *);
typedef void (*void_fn)(void);

// A ring that grows up to queue_limit entries; beyond it changes are
// dropped and counted (that needs tens of thousands of changes between two
// updates).
enum { queue_initial = 256, queue_limit = 1 << 16 };

// The queue's lock. On Windows a slim reader/writer lock, so that the DLL
// needs no pthread library (mingw's winpthread would be one more DLL to
// ship).
#ifdef _WIN32
#include <windows.h>
static SRWLOCK queue_mu = SRWLOCK_INIT;
#define queue_lock() AcquireSRWLockExclusive(&queue_mu)
#define queue_unlock() ReleaseSRWLockExclusive(&queue_mu)
#else
#include <pthread.h>
static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
#define queue_lock() pthread_mutex_lock(&queue_mu)
#define queue_unlock() pthread_mutex_unlock(&queue_mu)
#endif

static lys_status *queue;
static int queue_cap, queue_head, queue_len;
static uint64_t queue_dropped;

static bool queue_grow(void) {
	int cap = queue_cap ? 2 * queue_cap : queue_initial;
	if (cap > queue_limit) {
		return false;
	}
	lys_status *next = malloc((size_t)cap * sizeof *next);
	if (next == NULL) {
		return false;
	}
	for (int i = 0; i < queue_len; i++) {
		next[i] = queue[(queue_head + i) % queue_cap];
	}
	free(queue);
	queue = next;
	queue_cap = cap;
	queue_head = 0;
	return true;
}

static void status_trampoline(lys_StatusChanged *cb) {
	lys_status s;
	memset(&s, 0, sizeof s);
	const lys_ConnInfo *info = &cb->info;
	s.conn = cb->hConn;
	s.old_state = cb->eOldState;
	s.listen_socket = info->listenSocket;
	s.state = info->eState;
	s.end_reason = info->eEndReason;
	s.identity_type = info->identityRemote.eType;
	if (s.identity_type == LYS_IDENTITY_STEAMID) {
		s.steam_id = info->identityRemote.u.steamID64;
	}
	memcpy(s.addr, info->addrRemote.ipv6, sizeof s.addr);
	s.port = info->addrRemote.port;
	memcpy(s.end_debug, info->endDebug, sizeof s.end_debug);
	s.end_debug[sizeof s.end_debug - 1] = 0;

	queue_lock();
	if (queue_len == queue_cap && !queue_grow()) {
		queue_dropped++;
	} else {
		queue[(queue_head + queue_len) % queue_cap] = s;
		queue_len++;
	}
	queue_unlock();
}

bool lys_install_status_callback(lys_lib *l, bool on) {
	return ((set_callback_fn)l->slot[LYS_SET_GLOBAL_CALLBACK])(l->utils, on ? status_trampoline : NULL);
}

static void debug_print(int level, const char *msg) {
	fprintf(stderr, "steamworks[%d]: %s\n", level, msg ? msg : "");
}

void lys_install_debug_output(lys_lib *l, int level) {
	((set_debug_fn)l->slot[LYS_SET_DEBUG_OUTPUT])(l->utils, level, level > 0 ? debug_print : NULL);
}

void lys_queue_reset(void) {
	queue_lock();
	queue_head = queue_len = 0;
	queue_dropped = 0;
	queue_unlock();
}

int lys_drain(lys_status *out, int max) {
	queue_lock();
	int n = 0;
	while (n < max && queue_len > 0) {
		out[n++] = queue[queue_head];
		queue_head = (queue_head + 1) % queue_cap;
		queue_len--;
	}
	queue_unlock();
	return n;
}

// Runs Steam's callbacks (the Steam API's own first when this library
// initialised Steam, so that its internal queue does not grow), then
// drains the first batch of status changes on the same thread.
int lys_pump(lys_lib *l, lys_status *out, int max) {
	if (l->pump == LYS_PUMP_API) {
		((void_fn)l->slot[LYS_API_RUN_CALLBACKS])();
	} else if (l->pump == LYS_PUMP_GAME_SERVER) {
		((void_fn)l->slot[LYS_GS_RUN_CALLBACKS])();
	}
	((run_fn)l->slot[LYS_RUN_CALLBACKS])(l->sockets);
	return lys_drain(out, max);
}

uint64_t lys_queue_dropped(void) {
	queue_lock();
	uint64_t n = queue_dropped;
	queue_unlock();
	return n;
}
