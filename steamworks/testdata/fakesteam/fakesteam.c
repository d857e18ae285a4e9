// fakesteam: a test double of Valve's Steam networking libraries.
//
// Built by the tests into a shared library (gcc -shared -fPIC) and loaded
// by the backend exactly as it loads the real one: dlopen, then dlsym of
// the flat API's real names. Compiled as is, it exports Steamworks'
// names (libsteam_api.so); with -DFAKESTEAM_GNS, GameNetworkingSockets'
// (init, interface getters, no P2P).
//
// It routes messages in memory between listen sockets and connections of
// this one process, delivers status changes through the global callback
// inside RunCallbacks on the calling thread, and allocates messages the
// way Valve does (a release function pointer in each), counting the live
// ones so a test can check that every message was released. Functions
// named FakeSteam_* are the tests' controls; Steam has no such names.
//
// Its struct declarations are its own, written independently of the
// backend's and asserted below against the offsets measured on Valve's
// headers (STEAM.md), so a layout mistake on either side shows.
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

// ---- layouts --------------------------------------------------------------

#pragma pack(push, 1)
typedef struct {
	uint8_t ipv6[16];
	uint16_t port;
} IPAddr;

typedef struct {
	int32_t type;
	int32_t size;
	union {
		uint64_t steamid;
		IPAddr ip;
		uint8_t raw[128];
	} u;
} Identity;
#pragma pack(pop)

typedef struct Msg {
	void *data;
	int32_t size;
	uint32_t conn;
	Identity peer;
	int64_t conn_user_data;
	int64_t usec_received;
	int64_t number;
	void (*free_data)(struct Msg *);
	void (*release)(struct Msg *);
	int32_t channel;
	int32_t flags;
	int64_t user_data;
	uint16_t lane;
	uint16_t pad;
} Msg;

// Valve's callback packing: 4 on Linux, macOS and FreeBSD, 8 elsewhere.
#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__)
#define CALLBACK_PACK 4
#pragma pack(push, 4)
#else
#define CALLBACK_PACK 8
#pragma pack(push, 8)
#endif
typedef struct {
	Identity remote;
	int64_t user_data;
	uint32_t listen;
	IPAddr addr;
	uint16_t pad;
	uint32_t pop_remote, pop_relay;
	int32_t state;
	int32_t end_reason;
	char end_debug[128];
	char description[128];
	int32_t flags;
	uint32_t reserved[63];
} ConnInfo;

typedef struct {
	uint32_t conn;
	ConnInfo info;
	int32_t old_state;
} StatusChanged;
#pragma pack(pop)

typedef struct {
	int32_t state, ping;
	float quality_local, quality_remote;
	float out_pps, out_bps, in_pps, in_bps;
	int32_t send_rate, pending_unreliable, pending_reliable, unacked_reliable;
	int64_t usec_queue;
	uint32_t reserved[16];
} RealTimeStatus;

#define AT(t, f, off) _Static_assert(offsetof(t, f) == (off), #t "." #f)
_Static_assert(sizeof(IPAddr) == 18, "IPAddr");
AT(IPAddr, port, 16);
_Static_assert(sizeof(Identity) == 136, "Identity");
AT(Identity, size, 4);
AT(Identity, u, 8);
_Static_assert(sizeof(Msg) == 216, "Msg");
AT(Msg, size, 8);
AT(Msg, conn, 12);
AT(Msg, peer, 16);
AT(Msg, conn_user_data, 152);
AT(Msg, usec_received, 160);
AT(Msg, number, 168);
AT(Msg, free_data, 176);
AT(Msg, release, 184);
AT(Msg, channel, 192);
AT(Msg, flags, 196);
AT(Msg, user_data, 200);
AT(Msg, lane, 208);
_Static_assert(sizeof(ConnInfo) == 696, "ConnInfo");
AT(ConnInfo, user_data, 136);
AT(ConnInfo, listen, 144);
AT(ConnInfo, addr, 148);
AT(ConnInfo, pop_remote, 168);
AT(ConnInfo, pop_relay, 172);
AT(ConnInfo, state, 176);
AT(ConnInfo, end_reason, 180);
AT(ConnInfo, end_debug, 184);
AT(ConnInfo, description, 312);
AT(ConnInfo, flags, 440);
#if CALLBACK_PACK == 4
_Static_assert(sizeof(StatusChanged) == 704, "StatusChanged");
AT(StatusChanged, info, 4);
AT(StatusChanged, old_state, 700);
#else
_Static_assert(sizeof(StatusChanged) == 712, "StatusChanged");
AT(StatusChanged, info, 8);
AT(StatusChanged, old_state, 704);
#endif
_Static_assert(sizeof(RealTimeStatus) == 120, "RealTimeStatus");
AT(RealTimeStatus, usec_queue, 48);

typedef void (*status_fn)(StatusChanged *);
typedef void (*debug_fn)(int, const char *);

// ---- constants (STEAM.md) ---------------------------------------------------

enum { ST_NONE, ST_CONNECTING, ST_FINDING_ROUTE, ST_CONNECTED, ST_CLOSED_BY_PEER, ST_PROBLEM };
enum { R_OK = 1, R_NO_CONNECTION = 3, R_INVALID_PARAM = 8, R_INVALID_STATE = 11 };
enum { ID_IP = 1, ID_STEAMID = 16 };
enum { END_MISC_TIMEOUT = 5003 };
enum { MAX_CONNS = 1024, MAX_LISTEN = 64, MAX_GROUPS = 64, MAX_CONFIG = 256 };

// ---- the world --------------------------------------------------------------

typedef struct {
	uint32_t handle; // 0: free slot
	int state;
	uint32_t peer;   // the other end, 0 once gone
	uint32_t listen; // server side: the listen socket it came in on
	uint32_t group;
	bool server_side;
	Identity remote;
	IPAddr addr;
	int end_reason;
	char end_debug[128];
	int64_t number;
} Conn;

typedef struct {
	uint32_t handle;
	bool p2p;
	int vport;
	IPAddr addr;
} Listen;

typedef struct Queued {
	Msg *msg;
	struct Queued *next;
} Queued;

typedef struct Event {
	StatusChanged cb;
	struct Event *next;
} Event;

// Counters the tests read by name.
static const char *counter_names[] = {
	"init", "shutdown", "gs_init", "gs_shutdown", "gns_init", "gns_kill",
	"api_run_callbacks", "gs_run_callbacks", "run_callbacks", "accepts", "closes",
	"sends", "bad_self", "options", "releases", "set_callback", "init_authentication",
	"gs_iface_calls", "last_send_flags", "gs_versions_ok", "debug_level", "init_relay",
};
enum { N_COUNTERS = sizeof counter_names / sizeof counter_names[0] };
enum {
	C_INIT, C_SHUTDOWN, C_GS_INIT, C_GS_SHUTDOWN, C_GNS_INIT, C_GNS_KILL,
	C_API_RUN_CALLBACKS, C_GS_RUN_CALLBACKS, C_RUN_CALLBACKS, C_ACCEPTS, C_CLOSES,
	C_SENDS, C_BAD_SELF, C_OPTIONS, C_RELEASES, C_SET_CALLBACK, C_INIT_AUTH,
	C_GS_IFACE_CALLS, C_LAST_SEND_FLAGS, C_GS_VERSIONS_OK, C_DEBUG_LEVEL, C_INIT_RELAY,
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static Conn conns[MAX_CONNS];
static Listen listens[MAX_LISTEN];
static uint32_t groups[MAX_GROUPS];
static Queued *msg_head, *msg_tail;
static Event *ev_head, *ev_tail;
static uint32_t next_handle = 1;
static uint16_t next_port = 50000;
static long counters[N_COUNTERS];
static long live_messages; // atomic: released without mu
static status_fn callback;
static debug_fn debug_output;
static int32_t config[MAX_CONFIG];
static bool client_inited, gs_inited, gns_inited;
static char fail_msg[1024];
static int fail_code;
static uint64_t local_steamid = 76561197960287930ull;
static uint64_t next_identity;
static struct {
	uint32_t ip;
	uint16_t game_port, query_port;
	int mode;
	char version[64];
} gs_args;

// The interface "objects": only their addresses matter.
static char sockets_iface, gs_sockets_iface, utils_iface;

static bool sockets_self(void *self) {
	if (self == &gs_sockets_iface) {
		counters[C_GS_IFACE_CALLS]++;
		return true;
	}
	if (self == &sockets_iface) {
		return true;
	}
	counters[C_BAD_SELF]++;
	return false;
}

static bool utils_self(void *self) {
	if (self == &utils_iface) {
		return true;
	}
	counters[C_BAD_SELF]++;
	return false;
}

static Conn *find_conn(uint32_t h) {
	if (h == 0) {
		return NULL;
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].handle == h) {
			return &conns[i];
		}
	}
	return NULL;
}

static Conn *new_conn(void) {
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].handle == 0) {
			memset(&conns[i], 0, sizeof conns[i]);
			conns[i].handle = next_handle++;
			return &conns[i];
		}
	}
	return NULL;
}

static Listen *find_listen(uint32_t h) {
	for (int i = 0; h != 0 && i < MAX_LISTEN; i++) {
		if (listens[i].handle == h) {
			return &listens[i];
		}
	}
	return NULL;
}

static int find_group(uint32_t h) {
	for (int i = 0; h != 0 && i < MAX_GROUPS; i++) {
		if (groups[i] == h) {
			return i;
		}
	}
	return -1;
}

static int64_t usec_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// set_state changes a connection's state and queues the status change the
// real library would post, with a snapshot of its info.
static void set_state(Conn *c, int state) {
	Event *e = calloc(1, sizeof *e);
	e->cb.conn = c->handle;
	e->cb.old_state = c->state;
	c->state = state;
	ConnInfo *in = &e->cb.info;
	in->remote = c->remote;
	in->listen = c->server_side ? c->listen : 0;
	in->addr = c->addr;
	in->state = state;
	in->end_reason = c->end_reason;
	memcpy(in->end_debug, c->end_debug, sizeof in->end_debug);
	snprintf(in->description, sizeof in->description, "fake connection #%u", c->handle);
	if (ev_tail) {
		ev_tail->next = e;
	} else {
		ev_head = e;
	}
	ev_tail = e;
}

static void set_end(Conn *c, int reason, const char *debug) {
	c->end_reason = reason;
	snprintf(c->end_debug, sizeof c->end_debug, "%s", debug ? debug : "");
}

static bool alive(const Conn *c) {
	return c && (c->state == ST_CONNECTING || c->state == ST_FINDING_ROUTE || c->state == ST_CONNECTED);
}

static void free_data(Msg *m) {
	free(m->data);
	m->data = NULL;
}

static void release(Msg *m) {
	if (m->free_data) {
		m->free_data(m);
	}
	free(m);
	__atomic_fetch_sub(&live_messages, 1, __ATOMIC_SEQ_CST);
}

// drop_messages frees the undelivered messages of a connection going away.
static void drop_messages(uint32_t h) {
	Queued **pp = &msg_head;
	msg_tail = NULL;
	while (*pp) {
		Queued *q = *pp;
		if (q->msg->conn == h) {
			*pp = q->next;
			release(q->msg);
			free(q);
			continue;
		}
		msg_tail = q;
		pp = &q->next;
	}
}

static void close_conn(Conn *c, int reason, const char *debug) {
	Conn *p = find_conn(c->peer);
	if (alive(c) && alive(p)) {
		set_end(p, reason, debug);
		p->peer = 0;
		set_state(p, ST_CLOSED_BY_PEER);
	} else if (p) {
		p->peer = 0;
	}
	drop_messages(c->handle);
	c->handle = 0;
	counters[C_CLOSES]++;
}

static bool is_wildcard(const IPAddr *a) {
	static const uint8_t any4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
	static const uint8_t any6[16] = {0};
	return memcmp(a->ipv6, any4, 16) == 0 || memcmp(a->ipv6, any6, 16) == 0;
}

static bool is_v4(const IPAddr *a) {
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->ipv6, prefix, 12) == 0;
}

static Listen *match_listen_ip(const IPAddr *to) {
	for (int i = 0; i < MAX_LISTEN; i++) {
		Listen *l = &listens[i];
		if (l->handle && !l->p2p && l->addr.port == to->port &&
		    (is_wildcard(&l->addr) || memcmp(l->addr.ipv6, to->ipv6, 16) == 0)) {
			return l;
		}
	}
	return NULL;
}

__attribute__((unused)) static void steamid_identity(Identity *id, uint64_t steamid) {
	memset(id, 0, sizeof *id);
	id->type = ID_STEAMID;
	id->size = 8;
	id->u.steamid = steamid;
}

__attribute__((unused)) static void ip_identity(Identity *id, const IPAddr *a) {
	memset(id, 0, sizeof *id);
	id->type = ID_IP;
	id->size = sizeof(IPAddr);
	id->u.ip = *a;
}

// connect_to makes the client end, and the server end when a listener
// matches; without one the attempt fails the way a timeout would.
static uint32_t connect_to(Listen *l, const IPAddr *to, const Identity *server) {
	Conn *c = new_conn();
	if (c == NULL) {
		return 0;
	}
	if (to) {
		c->addr = *to;
	}
	c->remote = *server;
	set_state(c, ST_CONNECTING);
	Conn *s = l ? new_conn() : NULL;
	if (s == NULL) {
		set_end(c, END_MISC_TIMEOUT, "no answer");
		set_state(c, ST_PROBLEM);
		next_identity = 0;
		return c->handle;
	}
	s->server_side = true;
	s->listen = l->handle;
	if (!l->p2p) {
		// The client's address as the server sees it.
		if (is_v4(to)) {
			static const uint8_t lo4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
			memcpy(s->addr.ipv6, lo4, 16);
		} else {
			s->addr.ipv6[15] = 1;
		}
		s->addr.port = next_port++;
	}
#ifdef FAKESTEAM_GNS
	ip_identity(&s->remote, &s->addr);
#else
	steamid_identity(&s->remote, next_identity ? next_identity : local_steamid);
#endif
	next_identity = 0;
	c->peer = s->handle;
	s->peer = c->handle;
	set_state(s, ST_CONNECTING);
	return c->handle;
}

static int send_message(Conn *c, const void *data, uint32_t size, int flags, int64_t *out_number) {
	if (c == NULL) {
		return R_INVALID_PARAM;
	}
	if (c->state != ST_CONNECTED) {
		return alive(c) ? R_INVALID_STATE : R_NO_CONNECTION;
	}
	Conn *p = find_conn(c->peer);
	if (p == NULL || p->state != ST_CONNECTED) {
		return R_NO_CONNECTION;
	}
	if (size > 512 * 1024) {
		return R_INVALID_PARAM;
	}
	Msg *m = calloc(1, sizeof *m);
	if (size > 0) { // Valve leaves pData NULL for an empty message
		m->data = malloc(size);
		memcpy(m->data, data, size);
	}
	m->size = (int32_t)size;
	m->conn = p->handle;
	m->peer = p->remote;
	m->usec_received = usec_now();
	m->number = ++p->number;
	m->free_data = free_data;
	m->release = release;
	m->flags = flags;
	Queued *q = calloc(1, sizeof *q);
	q->msg = m;
	if (msg_tail) {
		msg_tail->next = q;
	} else {
		msg_head = q;
	}
	msg_tail = q;
	__atomic_fetch_add(&live_messages, 1, __ATOMIC_SEQ_CST);
	counters[C_SENDS]++;
	counters[C_LAST_SEND_FLAGS] = flags;
	if (out_number) {
		*out_number = m->number;
	}
	return R_OK;
}

// take moves up to max queued messages accepted by want into out.
static int take(Msg **out, int max, bool (*want)(const Msg *, uint32_t), uint32_t key) {
	int n = 0;
	Queued **pp = &msg_head;
	msg_tail = NULL;
	while (*pp) {
		Queued *q = *pp;
		if (n < max && want(q->msg, key)) {
			out[n++] = q->msg;
			*pp = q->next;
			free(q);
			continue;
		}
		msg_tail = q;
		pp = &q->next;
	}
	return n;
}

static bool for_conn(const Msg *m, uint32_t h) { return m->conn == h; }

static bool for_group(const Msg *m, uint32_t g) {
	Conn *c = find_conn(m->conn);
	return c && c->group == g;
}

// ---- the flat API -----------------------------------------------------------

#define SOCKETS(name) EXPORT SteamAPI_ISteamNetworkingSockets_##name
#define UTILS(name) EXPORT SteamAPI_ISteamNetworkingUtils_##name

uint32_t SOCKETS(CreateListenSocketIP)(void *self, const IPAddr *addr, int nopt, const void *opts) {
	(void)opts;
	pthread_mutex_lock(&mu);
	uint32_t h = 0;
	if (!sockets_self(self) || addr == NULL || addr->port == 0) {
		goto out;
	}
	if (nopt) {
		counters[C_OPTIONS]++;
	}
	for (int i = 0; i < MAX_LISTEN; i++) {
		Listen *l = &listens[i];
		if (l->handle && !l->p2p && l->addr.port == addr->port) {
			goto out; // address in use
		}
	}
	for (int i = 0; i < MAX_LISTEN; i++) {
		if (listens[i].handle == 0) {
			listens[i] = (Listen){.handle = next_handle++, .addr = *addr};
			h = listens[i].handle;
			break;
		}
	}
out:
	pthread_mutex_unlock(&mu);
	return h;
}

uint32_t SOCKETS(ConnectByIPAddress)(void *self, const IPAddr *addr, int nopt, const void *opts) {
	(void)opts;
	pthread_mutex_lock(&mu);
	uint32_t h = 0;
	if (sockets_self(self) && addr != NULL) {
		if (nopt) {
			counters[C_OPTIONS]++;
		}
		Identity server;
#ifdef FAKESTEAM_GNS
		ip_identity(&server, addr);
#else
		steamid_identity(&server, local_steamid);
#endif
		h = connect_to(match_listen_ip(addr), addr, &server);
	}
	pthread_mutex_unlock(&mu);
	return h;
}

#ifndef FAKESTEAM_GNS
uint32_t SOCKETS(CreateListenSocketP2P)(void *self, int vport, int nopt, const void *opts) {
	(void)opts;
	pthread_mutex_lock(&mu);
	uint32_t h = 0;
	if (sockets_self(self)) {
		if (nopt) {
			counters[C_OPTIONS]++;
		}
		bool used = false;
		for (int i = 0; i < MAX_LISTEN; i++) {
			used |= listens[i].handle && listens[i].p2p && listens[i].vport == vport;
		}
		for (int i = 0; !used && i < MAX_LISTEN; i++) {
			if (listens[i].handle == 0) {
				listens[i] = (Listen){.handle = next_handle++, .p2p = true, .vport = vport};
				h = listens[i].handle;
				break;
			}
		}
	}
	pthread_mutex_unlock(&mu);
	return h;
}

uint32_t SOCKETS(ConnectP2P)(void *self, const Identity *id, int vport, int nopt, const void *opts) {
	(void)opts;
	pthread_mutex_lock(&mu);
	uint32_t h = 0;
	if (sockets_self(self) && id != NULL && id->type == ID_STEAMID) {
		if (nopt) {
			counters[C_OPTIONS]++;
		}
		// Every P2P listener of this process belongs to the local user.
		Listen *l = NULL;
		for (int i = 0; id->u.steamid == local_steamid && i < MAX_LISTEN; i++) {
			if (listens[i].handle && listens[i].p2p && listens[i].vport == vport) {
				l = &listens[i];
			}
		}
		h = connect_to(l, NULL, id);
	}
	pthread_mutex_unlock(&mu);
	return h;
}

bool SOCKETS(GetIdentity)(void *self, Identity *out) {
	pthread_mutex_lock(&mu);
	bool ok = sockets_self(self) && out != NULL;
	if (ok) {
		steamid_identity(out, local_steamid);
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

int SOCKETS(InitAuthentication)(void *self) {
	pthread_mutex_lock(&mu);
	sockets_self(self);
	counters[C_INIT_AUTH]++;
	pthread_mutex_unlock(&mu);
	return 100; // k_ESteamNetworkingAvailability_Current
}

EXPORT void SteamAPI_SteamNetworkingIdentity_SetSteamID64(Identity *id, uint64_t steamid) {
	steamid_identity(id, steamid);
}
#endif

int SOCKETS(AcceptConnection)(void *self, uint32_t h) {
	pthread_mutex_lock(&mu);
	int r = R_INVALID_PARAM;
	Conn *c = sockets_self(self) ? find_conn(h) : NULL;
	if (c != NULL) {
		Conn *p = find_conn(c->peer);
		if (!c->server_side || c->state != ST_CONNECTING) {
			r = R_INVALID_STATE;
		} else if (!alive(p)) {
			r = R_NO_CONNECTION;
		} else {
			set_state(c, ST_CONNECTED);
			set_state(p, ST_CONNECTED);
			counters[C_ACCEPTS]++;
			r = R_OK;
		}
	}
	pthread_mutex_unlock(&mu);
	return r;
}

bool SOCKETS(CloseConnection)(void *self, uint32_t h, int reason, const char *debug, bool linger) {
	(void)linger;
	pthread_mutex_lock(&mu);
	Conn *c = sockets_self(self) ? find_conn(h) : NULL;
	if (c != NULL) {
		close_conn(c, reason, debug);
	}
	pthread_mutex_unlock(&mu);
	return c != NULL;
}

bool SOCKETS(CloseListenSocket)(void *self, uint32_t h) {
	pthread_mutex_lock(&mu);
	Listen *l = sockets_self(self) ? find_listen(h) : NULL;
	if (l != NULL) {
		for (int i = 0; i < MAX_CONNS; i++) {
			if (conns[i].handle && conns[i].server_side && conns[i].listen == h) {
				close_conn(&conns[i], 0, "listen socket closed");
			}
		}
		l->handle = 0;
	}
	pthread_mutex_unlock(&mu);
	return l != NULL;
}

int SOCKETS(SendMessageToConnection)(void *self, uint32_t h, const void *data, uint32_t size, int flags, int64_t *out_number) {
	pthread_mutex_lock(&mu);
	int r = sockets_self(self) ? send_message(find_conn(h), data, size, flags, out_number) : R_INVALID_PARAM;
	pthread_mutex_unlock(&mu);
	return r;
}

int SOCKETS(ReceiveMessagesOnConnection)(void *self, uint32_t h, Msg **out, int max) {
	pthread_mutex_lock(&mu);
	int n = -1;
	if (sockets_self(self) && find_conn(h) != NULL) {
		n = take(out, max, for_conn, h);
	}
	pthread_mutex_unlock(&mu);
	return n;
}

uint32_t SOCKETS(CreatePollGroup)(void *self) {
	pthread_mutex_lock(&mu);
	uint32_t h = 0;
	bool ok = sockets_self(self);
	for (int i = 0; ok && i < MAX_GROUPS; i++) {
		if (groups[i] == 0) {
			h = groups[i] = next_handle++;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return h;
}

bool SOCKETS(DestroyPollGroup)(void *self, uint32_t g) {
	pthread_mutex_lock(&mu);
	int i = sockets_self(self) ? find_group(g) : -1;
	if (i >= 0) {
		groups[i] = 0;
		for (int j = 0; j < MAX_CONNS; j++) {
			if (conns[j].handle && conns[j].group == g) {
				conns[j].group = 0;
			}
		}
	}
	pthread_mutex_unlock(&mu);
	return i >= 0;
}

bool SOCKETS(SetConnectionPollGroup)(void *self, uint32_t h, uint32_t g) {
	pthread_mutex_lock(&mu);
	bool ok = false;
	Conn *c = sockets_self(self) ? find_conn(h) : NULL;
	if (c != NULL && (g == 0 || find_group(g) >= 0)) {
		c->group = g;
		ok = true;
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

int SOCKETS(ReceiveMessagesOnPollGroup)(void *self, uint32_t g, Msg **out, int max) {
	pthread_mutex_lock(&mu);
	int n = -1;
	if (sockets_self(self) && find_group(g) >= 0) {
		n = take(out, max, for_group, g);
	}
	pthread_mutex_unlock(&mu);
	return n;
}

int SOCKETS(GetConnectionRealTimeStatus)(void *self, uint32_t h, RealTimeStatus *st, int lanes, void *lane_status) {
	(void)lanes;
	(void)lane_status;
	pthread_mutex_lock(&mu);
	int r = R_NO_CONNECTION;
	Conn *c = sockets_self(self) ? find_conn(h) : NULL;
	if (c != NULL && st != NULL) {
		memset(st, 0, sizeof *st);
		st->state = c->state;
		st->ping = 7;
		st->quality_local = st->quality_remote = 1.0f;
		st->send_rate = 256000;
		st->usec_queue = 1500;
		r = R_OK;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

// RunCallbacks posts the queued status changes on the calling thread,
// outside the lock, as the real library does.
void SOCKETS(RunCallbacks)(void *self) {
	pthread_mutex_lock(&mu);
	sockets_self(self);
	counters[C_RUN_CALLBACKS]++;
	Event *e = ev_head;
	ev_head = ev_tail = NULL;
	status_fn fn = callback;
	pthread_mutex_unlock(&mu);
	while (e) {
		Event *next = e->next;
		if (fn) {
			fn(&e->cb);
		}
		free(e);
		e = next;
	}
}

bool UTILS(SetGlobalCallback_SteamNetConnectionStatusChanged)(void *self, status_fn fn) {
	pthread_mutex_lock(&mu);
	bool ok = utils_self(self);
	if (ok) {
		callback = fn;
		counters[C_SET_CALLBACK]++;
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

bool UTILS(SetGlobalConfigValueInt32)(void *self, int key, int32_t value) {
	pthread_mutex_lock(&mu);
	bool ok = utils_self(self) && key >= 0 && key < MAX_CONFIG;
	if (ok) {
		config[key] = value;
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

void UTILS(SetDebugOutputFunction)(void *self, int level, debug_fn fn) {
	pthread_mutex_lock(&mu);
	if (utils_self(self)) {
		counters[C_DEBUG_LEVEL] = level;
		debug_output = fn;
	}
	pthread_mutex_unlock(&mu);
}

EXPORT void SteamAPI_SteamNetworkingMessage_t_Release(Msg *m) {
	__atomic_fetch_add(&counters[C_RELEASES], 1, __ATOMIC_SEQ_CST);
	m->release(m);
}

// ---- initialisation and interfaces -------------------------------------------

static bool fail_init(char *err) {
	if (fail_msg[0] == 0) {
		if (err) {
			err[0] = 0;
		}
		return false;
	}
	if (err) {
		snprintf(err, 1024, "%s", fail_msg);
	}
	return true;
}

#ifdef FAKESTEAM_GNS
EXPORT bool GameNetworkingSockets_Init(const Identity *id, char *err) {
	(void)id;
	pthread_mutex_lock(&mu);
	counters[C_GNS_INIT]++;
	bool ok = false;
	if (gns_inited) {
		snprintf(err, 1024, "fakesteam: GameNetworkingSockets_Init called twice (the real library asserts)");
	} else if (!fail_init(err)) {
		gns_inited = ok = true;
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

EXPORT void GameNetworkingSockets_Kill(void) {
	pthread_mutex_lock(&mu);
	counters[C_GNS_KILL]++;
	gns_inited = false;
	pthread_mutex_unlock(&mu);
}

EXPORT void *SteamNetworkingSockets_LibV12(void) { return gns_inited ? &sockets_iface : NULL; }
EXPORT void *SteamNetworkingUtils_LibV4(void) { return gns_inited ? &utils_iface : NULL; }
#else
EXPORT int SteamAPI_InitFlat(char *err) {
	pthread_mutex_lock(&mu);
	counters[C_INIT]++;
	int r = 0;
	if (fail_init(err)) {
		r = fail_code;
	} else {
		client_inited = true;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT void SteamAPI_Shutdown(void) {
	pthread_mutex_lock(&mu);
	counters[C_SHUTDOWN]++;
	client_inited = false;
	pthread_mutex_unlock(&mu);
}

EXPORT void SteamAPI_RunCallbacks(void) { __atomic_fetch_add(&counters[C_API_RUN_CALLBACKS], 1, __ATOMIC_SEQ_CST); }

EXPORT int SteamInternal_GameServer_Init_V2(uint32_t ip, uint16_t game_port, uint16_t query_port, int mode,
                                            const char *version, const char *versions, char *err) {
	pthread_mutex_lock(&mu);
	counters[C_GS_INIT]++;
	gs_args.ip = ip;
	gs_args.game_port = game_port;
	gs_args.query_port = query_port;
	gs_args.mode = mode;
	snprintf(gs_args.version, sizeof gs_args.version, "%s", version ? version : "");
	// The list is NUL-separated and ends with an empty string.
	counters[C_GS_VERSIONS_OK] = 0;
	for (const char *v = versions; v && *v; v += strlen(v) + 1) {
		counters[C_GS_VERSIONS_OK] += strcmp(v, "SteamNetworkingSockets012") == 0 || strcmp(v, "SteamNetworkingUtils004") == 0;
	}
	int r = 0;
	if (fail_init(err)) {
		r = fail_code;
	} else {
		gs_inited = true;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT void SteamGameServer_Shutdown(void) {
	pthread_mutex_lock(&mu);
	counters[C_GS_SHUTDOWN]++;
	gs_inited = false;
	pthread_mutex_unlock(&mu);
}

EXPORT void SteamGameServer_RunCallbacks(void) { __atomic_fetch_add(&counters[C_GS_RUN_CALLBACKS], 1, __ATOMIC_SEQ_CST); }

EXPORT void *SteamAPI_SteamNetworkingSockets_SteamAPI_v012(void) { return client_inited ? &sockets_iface : NULL; }
// Steam's pipes: 0 until initialised, as in libsteam_api.
EXPORT int32_t SteamAPI_GetHSteamPipe(void) { return client_inited ? 1 : 0; }
EXPORT int32_t SteamGameServer_GetHSteamPipe(void) { return gs_inited ? 2 : 0; }
void UTILS(InitRelayNetworkAccess)(void *self) {
	(void)self;
	__atomic_fetch_add(&counters[C_INIT_RELAY], 1, __ATOMIC_SEQ_CST);
}
EXPORT void *SteamAPI_SteamGameServerNetworkingSockets_SteamAPI_v012(void) { return gs_inited ? &gs_sockets_iface : NULL; }
EXPORT void *SteamAPI_SteamNetworkingUtils_SteamAPI_v004(void) { return client_inited || gs_inited ? &utils_iface : NULL; }
#endif

// ---- test controls -----------------------------------------------------------

// FakeSteam_Reset forgets everything: connections, sockets, queued
// messages and changes, initialisation, counters and settings.
EXPORT void FakeSteam_Reset(void) {
	pthread_mutex_lock(&mu);
	while (msg_head) {
		Queued *q = msg_head;
		msg_head = q->next;
		release(q->msg);
		free(q);
	}
	msg_tail = NULL;
	while (ev_head) {
		Event *e = ev_head;
		ev_head = e->next;
		free(e);
	}
	ev_tail = NULL;
	memset(conns, 0, sizeof conns);
	memset(listens, 0, sizeof listens);
	memset(groups, 0, sizeof groups);
	memset(counters, 0, sizeof counters);
	memset(config, 0, sizeof config);
	memset(&gs_args, 0, sizeof gs_args);
	__atomic_store_n(&live_messages, 0, __ATOMIC_SEQ_CST);
	callback = NULL;
	debug_output = NULL;
	client_inited = gs_inited = gns_inited = false;
	fail_msg[0] = 0;
	fail_code = 0;
	local_steamid = 76561197960287930ull;
	next_identity = 0;
	next_port = 50000;
	pthread_mutex_unlock(&mu);
}

// FakeSteam_Preinit plays a host process that initialised Steam itself:
// 1 client, 2 game server, 3 GameNetworkingSockets.
EXPORT void FakeSteam_Preinit(int which) {
	pthread_mutex_lock(&mu);
	client_inited |= which == 1;
	gs_inited |= which == 2;
	gns_inited |= which == 3;
	pthread_mutex_unlock(&mu);
}

EXPORT long FakeSteam_Counter(const char *name) {
	for (int i = 0; i < N_COUNTERS; i++) {
		if (strcmp(name, counter_names[i]) == 0) {
			return __atomic_load_n(&counters[i], __ATOMIC_SEQ_CST);
		}
	}
	return -1;
}

// FakeSteam_FailInit makes the next inits fail with Steam's code and
// message; NULL makes them succeed again.
EXPORT void FakeSteam_FailInit(const char *msg, int code) {
	pthread_mutex_lock(&mu);
	snprintf(fail_msg, sizeof fail_msg, "%s", msg ? msg : "");
	fail_code = code;
	pthread_mutex_unlock(&mu);
}

EXPORT void FakeSteam_SetLocalSteamID(uint64_t id) {
	pthread_mutex_lock(&mu);
	local_steamid = id;
	pthread_mutex_unlock(&mu);
}

// FakeSteam_SetNextIdentity gives the next connection's server end this
// SteamID as the peer's identity (Steamworks build), so that one process
// can play several Steam users.
EXPORT void FakeSteam_SetNextIdentity(uint64_t id) {
	pthread_mutex_lock(&mu);
	next_identity = id;
	pthread_mutex_unlock(&mu);
}

EXPORT long FakeSteam_LiveMessages(void) { return __atomic_load_n(&live_messages, __ATOMIC_SEQ_CST); }

// FakeSteam_Send sends from a connection like SendMessageToConnection,
// including the empty messages the backend never sends.
EXPORT int FakeSteam_Send(uint32_t from, const void *data, uint32_t size) {
	pthread_mutex_lock(&mu);
	int r = send_message(find_conn(from), data, size, 1, NULL);
	pthread_mutex_unlock(&mu);
	return r;
}

EXPORT uint32_t FakeSteam_PeerOf(uint32_t h) {
	pthread_mutex_lock(&mu);
	Conn *c = find_conn(h);
	uint32_t p = c ? c->peer : 0;
	pthread_mutex_unlock(&mu);
	return p;
}

// FakeSteam_Problem makes connection h detect a problem (a timeout): it
// goes to ProblemDetectedLocally; its peer hears nothing.
EXPORT void FakeSteam_Problem(uint32_t h) {
	pthread_mutex_lock(&mu);
	Conn *c = find_conn(h);
	if (alive(c)) {
		Conn *p = find_conn(c->peer);
		if (p) {
			p->peer = 0;
		}
		c->peer = 0;
		set_end(c, END_MISC_TIMEOUT, "timed out");
		set_state(c, ST_PROBLEM);
	}
	pthread_mutex_unlock(&mu);
}

EXPORT int FakeSteam_Config(int key) {
	pthread_mutex_lock(&mu);
	int v = key >= 0 && key < MAX_CONFIG ? config[key] : -1;
	pthread_mutex_unlock(&mu);
	return v;
}

EXPORT bool FakeSteam_HasCallback(void) {
	pthread_mutex_lock(&mu);
	bool has = callback != NULL;
	pthread_mutex_unlock(&mu);
	return has;
}

// FakeSteam_Handles counts open connections, listen sockets and poll
// groups: after a test, the backend must have freed every one.
EXPORT int FakeSteam_Handles(void) {
	pthread_mutex_lock(&mu);
	int n = 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		n += conns[i].handle != 0;
	}
	for (int i = 0; i < MAX_LISTEN; i++) {
		n += listens[i].handle != 0;
	}
	for (int i = 0; i < MAX_GROUPS; i++) {
		n += groups[i] != 0;
	}
	pthread_mutex_unlock(&mu);
	return n;
}

EXPORT void FakeSteam_GameServerArgs(uint32_t *ip, uint16_t *game_port, uint16_t *query_port, int *mode, char *version, int cap) {
	pthread_mutex_lock(&mu);
	*ip = gs_args.ip;
	*game_port = gs_args.game_port;
	*query_port = gs_args.query_port;
	*mode = gs_args.mode;
	snprintf(version, (size_t)cap, "%s", gs_args.version);
	pthread_mutex_unlock(&mu);
}
