/*
 * lightyear_conn.h - the C ABI of liblightyear_conn.
 *
 * Stateful, authenticated connections for games: netcode.io 1.02 clients
 * and servers (byte-compatible with the reference implementation), polled
 * from the game loop. This header is the one source of truth for the ABI;
 * the C# and Rust bindings are written against it.
 *
 * Conventions
 *  - Every function returning int returns LY_OK (0) or a non-negative
 *    result on success and a negative LY_ERR_* code on failure. After a
 *    failure, ly_last_error() gives a message with detail for the calling
 *    thread.
 *  - Handles (ly_server*, ly_client*, ly_token_request*) are opaque tokens, never pointers to
 *    memory: NULL, destroyed, twice-destroyed and made-up handles are
 *    detected and return LY_ERR_INVALID_HANDLE. Nothing dereferences them.
 *    A handle value is never made twice in the life of the process, so a
 *    stale handle can never reach a newer server or client. At most
 *    1,048,576 handles are live at once; creating more fails with
 *    LY_ERR_INTERNAL.
 *  - Threads: every function may be called from any thread, also while
 *    the host's garbage collector stops threads (Mono, Boehm, IL2CPP).
 *    Calls on one handle are serialised inside the library; calls on
 *    different handles run in parallel. One limit, the Go runtime's: a
 *    thread's first call attaches it to the runtime with every signal
 *    blocked and allocates with malloc meanwhile. Under a collector that
 *    stops threads with signals (Mono's preemptive suspend; Boehm, as in
 *    Unity, on Linux and Android) that first call can wait for ever on a
 *    malloc lock held by a thread the collector stopped, and the
 *    collector for it. Make each thread's first call before it races
 *    with collections (the main thread at start-up, a worker when it
 *    starts), not from short-lived threads while the game runs.
 *    DESIGN.md, "A thread's first call".
 *  - Signals (Linux and Android; on Windows there are none, on macOS and
 *    iOS the Go runtime's defaults apply): the host's signal actions stay
 *    the host's. Loading the library starts the Go runtime, which takes
 *    SIGSEGV, SIGBUS and SIGURG (a fault outside Go code still reaches the
 *    host's handler; a host SIGURG handler is no longer called), and
 *    SIGPIPE if the host left it at SIG_DFL (a write from Go code then
 *    fails instead of killing the process). Every other action is
 *    restored exactly as it was before loading, without the SA_ONSTACK Go
 *    adds, except that a host handler of SIGCHLD, SIGPROF, SIGSTKFLT or
 *    signal 34 keeps SA_ONSTACK: the runtime's own threads cannot block
 *    those. The runtime's threads block every other asynchronous signal,
 *    and a thread calling into the library blocks, for the length of the
 *    call, the asynchronous signals the host handled at its first call
 *    into the library: such a signal is handled when the call returns, on
 *    the thread's own stack (two system calls per call; a host with no
 *    such handler pays nothing). Install signal handlers before the first
 *    call; one installed later must use SA_ONSTACK, as Go asks of every
 *    program that loads Go code. DESIGN.md, "Signals".
 *  - Memory: the library never hands out memory the caller must free, and
 *    never keeps a pointer the caller passed after the call returns. Output
 *    goes into caller-owned buffers; a buffer that is too small returns
 *    LY_ERR_BUFFER_TOO_SMALL with the size needed, and nothing is lost.
 *  - Time is driven by the caller: nothing happens between update calls.
 *  - Structs that may grow carry struct_size first; fill them with the
 *    matching *_defaults() function, then change what you need.
 *  - Addresses are strings: "127.0.0.1:40000", "[::1]:40000". Where a list
 *    is taken, separate addresses with spaces or commas.
 *  - No function aborts the process: a failure inside the library comes
 *    back as LY_ERR_INTERNAL.
 *  - When several errors apply, argument errors (NULL pointers, sizes)
 *    are reported before handle errors. A client id whose kind no backend
 *    of the server serves is LY_ERR_UNKNOWN_CLIENT, like any id that is
 *    not connected.
 */
#ifndef LIGHTYEAR_CONN_H
#define LIGHTYEAR_CONN_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(LY_BUILDING_LIBRARY)
#    define LY_API __declspec(dllexport)
#  else
#    define LY_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define LY_API __attribute__((visibility("default")))
#else
#  define LY_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Version                                                             */
/* ------------------------------------------------------------------ */

#define LY_VERSION_MAJOR 0
#define LY_VERSION_MINOR 1
#define LY_VERSION_PATCH 0
/* The version packed as 0x00MMmmpp. */
#define LY_VERSION ((LY_VERSION_MAJOR << 16) | (LY_VERSION_MINOR << 8) | LY_VERSION_PATCH)

/* The version of the library loaded at run time, packed as LY_VERSION.
 * Bindings compare its major part with the LY_VERSION_MAJOR they were
 * written for. Thread-safe, never fails. */
LY_API uint32_t ly_version(void);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

#define LY_OK 0
/* A NULL, destroyed or unknown handle. */
#define LY_ERR_INVALID_HANDLE -1
/* A NULL pointer where one is required, a bad enum value, a malformed
 * address, a config whose struct_size is too small, a negative time. */
#define LY_ERR_INVALID_ARGUMENT -2
/* An output buffer is too small; the size needed was reported. */
#define LY_ERR_BUFFER_TOO_SMALL -3
/* A payload of 0 bytes or more than LY_MAX_PAYLOAD_SIZE bytes. */
#define LY_ERR_PAYLOAD_SIZE -4
/* The client is not connected (sending needs LY_STATE_CONNECTED). */
#define LY_ERR_NOT_CONNECTED -5
/* No connected client has that id. */
#define LY_ERR_UNKNOWN_CLIENT -6
/* Connect-token bytes that do not parse, or parameters that cannot make
 * a token (no address, more than 32). */
#define LY_ERR_INVALID_TOKEN -7
/* A key of the wrong length or a failed key generation. */
#define LY_ERR_INVALID_KEY -8
/* The server is not running (start it first). */
#define LY_ERR_NOT_RUNNING -9
/* The server is already running, or the client already connecting or
 * connected. */
#define LY_ERR_ALREADY_ACTIVE -10
/* A socket could not be opened or failed (address in use, no IPv6, ...). */
#define LY_ERR_SOCKET -11
/* A failure inside the library (a bug); ly_last_error() has the detail.
 * The handle stays usable. Also returned by the functions that make a
 * handle when the handle table is full (1,048,576 live handles). */
#define LY_ERR_INTERNAL -12
/* No Steam networking library could be loaded; ly_last_error() names
 * every path tried. */
#define LY_ERR_STEAM_UNAVAILABLE -13

/* Steam could not be initialised (no Steam client running, no app id,
 * ...) or, when attaching, nobody initialised it; ly_last_error() carries
 * Steam's own message. */
#define LY_ERR_STEAM_INIT_FAILED -14

/* The transport's send buffer is full: this payload was not sent, and
 * nothing else was lost. Only the Steam backend returns it (Steam queues
 * up to its send buffer, 512 KiB by default, about 438 payloads of 1,200
 * bytes; netcode's UDP sends never fail this way). Send less per tick,
 * drop or resend the payload later, or raise ly_steam_config's
 * send_buffer_size or send_rate_max. */
#define LY_ERR_SEND_BUFFER_FULL -15

/* Token fetch (ly_token_fetch and friends). ly_last_error() carries the
 * HTTP status ("HTTP 401") and the service's text where there was one. */
/* The token service refused the credential (HTTP 401 or 403). */
#define LY_ERR_UNAUTHORIZED -16
/* Too many requests (HTTP 429); the message ends with "(retry after N s)"
 * when the service sent Retry-After. Wait that long before asking again. */
#define LY_ERR_RATE_LIMITED -17
/* No game server has room, or none matches the tag (HTTP 503). */
#define LY_ERR_NO_SERVER -18
/* The TLS handshake failed: the certificate does not match the pinned
 * fingerprint, no CA of ca_file (or of the system) vouches for it, or the
 * handshake itself broke. */
#define LY_ERR_TLS -19
/* No answer within the fetch's timeout_ms. */
#define LY_ERR_TIMEOUT -20
/* Any other HTTP status, a redirect (never followed), or an answer that is
 * not a LY_CONNECT_TOKEN_SIZE-byte token. */
#define LY_ERR_HTTP -21

/* A static English description of an error code ("unknown error" for
 * codes this version does not know). Never NULL; thread-safe. */
LY_API const char *ly_error_string(int code);

/* The message of the last failure on the calling thread, with detail
 * (for example which address failed to bind), or "" if none. The string
 * belongs to the library and stays valid until the next failing call on
 * the same thread. */
LY_API const char *ly_last_error(void);

/* ------------------------------------------------------------------ */
/* Library lifetime                                                    */
/* ------------------------------------------------------------------ */

/* Destroys every server, client and token request handle (servers are
 * stopped and leave the fleet, clients disconnected, telling their peers,
 * token fetches cancelled), closes every socket and waits for
 * every thread the library started. Handles made before the call become
 * invalid; the library can be used again afterwards.
 *
 * A Go shared library can never be unloaded (golang/go#11100), and Unity keeps native
 * plugins loaded across Play-mode runs: call this when play stops.
 * Returns LY_OK. */
LY_API int ly_shutdown(void);

/* ------------------------------------------------------------------ */
/* Constants and small types                                           */
/* ------------------------------------------------------------------ */

#define LY_KEY_SIZE 32
#define LY_CONNECT_TOKEN_SIZE 2048
#define LY_USER_DATA_SIZE 256
#define LY_MAX_PAYLOAD_SIZE 1200
#define LY_MAX_SERVER_ADDRESSES 32
/* Enough for any address string with its NUL: "[ipv6%zone]:port". */
#define LY_ADDRESS_STRING_SIZE 64
/* A token that never expires has this expire timestamp. */
#define LY_NEVER_EXPIRES UINT64_MAX

/* Opaque handles (see the conventions above). */
typedef struct ly_server ly_server;
typedef struct ly_client ly_client;

/* The backend a client id belongs to. */
typedef enum ly_kind {
    LY_KIND_NETCODE = 1,
    LY_KIND_STEAM = 2,
    LY_KIND_LOCAL = 3
} ly_kind;

/* A client id as a server knows it: the backend's 64-bit id (the netcode
 * client id from the connect token, the SteamID, or a local id) tagged
 * with the backend, so that netcode 1 and steam 1 are different clients.
 * Fixed layout: 16 bytes, never grows. */
typedef struct ly_client_id {
    uint64_t id;
    uint32_t kind; /* ly_kind */
    uint32_t reserved; /* zero */
} ly_client_id;

/* Client states: netcode.io's numeric codes (netcode.h,
 * NETCODE_CLIENT_STATE_*). Negative states are how a
 * connection or an attempt ended. */
typedef enum ly_client_state {
    LY_STATE_CONNECT_TOKEN_EXPIRED = -6,
    LY_STATE_INVALID_CONNECT_TOKEN = -5,
    LY_STATE_CONNECTION_TIMED_OUT = -4,
    LY_STATE_CONNECTION_RESPONSE_TIMED_OUT = -3,
    LY_STATE_CONNECTION_REQUEST_TIMED_OUT = -2,
    LY_STATE_CONNECTION_DENIED = -1,
    LY_STATE_DISCONNECTED = 0,
    LY_STATE_SENDING_CONNECTION_REQUEST = 1,
    LY_STATE_SENDING_CONNECTION_RESPONSE = 2,
    LY_STATE_CONNECTED = 3
} ly_client_state;

/* Why a connection ended, on either side. */
typedef enum ly_disconnect_reason {
    LY_REASON_NONE = 0,
    LY_REASON_LOCAL = 1,           /* this side disconnected */
    LY_REASON_REMOTE = 2,          /* the peer sent a disconnect */
    LY_REASON_TIMED_OUT = 3,       /* nothing received within the timeout */
    LY_REASON_SERVER_STOPPED = 4,  /* the server stopped */
    LY_REASON_DENIED = 5,          /* the server refused the connection */
    LY_REASON_REQUEST_TIMED_OUT = 6,
    LY_REASON_RESPONSE_TIMED_OUT = 7,
    LY_REASON_TOKEN_EXPIRED = 8,
    LY_REASON_INVALID_TOKEN = 9,
    LY_REASON_TRANSPORT_ERROR = 10 /* the socket failed */
} ly_disconnect_reason;

/* Static English names; never NULL, thread-safe. */
LY_API const char *ly_state_string(int state);
LY_API const char *ly_reason_string(int reason);

/* ------------------------------------------------------------------ */
/* Keys and connect tokens (what a game's backend service does)        */
/* ------------------------------------------------------------------ */

/* Fills key[LY_KEY_SIZE] from the operating system's CSPRNG.
 * Errors: LY_ERR_INVALID_ARGUMENT (key NULL), LY_ERR_INVALID_KEY (no
 * randomness available). */
LY_API int ly_key_generate(uint8_t *key);

typedef struct ly_token_params {
    uint32_t struct_size;       /* sizeof(ly_token_params) */
    uint64_t protocol_id;
    uint64_t client_id;
    /* The private key shared with the servers (LY_KEY_SIZE bytes). */
    const uint8_t *private_key;
    /* Where clients connect, tried in order: 1..32 addresses. */
    const char *public_addresses;
    /* The same servers as they know themselves (written in the private
     * part); NULL or "" means the same as public_addresses. */
    const char *internal_addresses;
    /* Seconds until the token is refused; negative: never. Default 30. */
    int64_t expire_seconds;
    /* Seconds without a packet before a connection times out; zero or
     * negative: never. Default 5. */
    int32_t timeout_seconds;
    /* Up to LY_USER_DATA_SIZE bytes the servers see for this client; the
     * rest is zero. May be NULL when user_data_size is 0. */
    const uint8_t *user_data;
    uint32_t user_data_size;
} ly_token_params;

/* Fills params with defaults: struct_size set, expire 30 s, timeout 5 s,
 * everything else zero. Does nothing if params is NULL. */
LY_API void ly_token_params_defaults(ly_token_params *params);

/* Makes and seals a connect token into out (LY_CONNECT_TOKEN_SIZE bytes).
 * The token is for one client and one connection: hand it to the client
 * over a secure channel (TLS); anyone who reads it can connect as it.
 * Errors: LY_ERR_INVALID_ARGUMENT (NULLs, bad struct_size, bad address),
 * LY_ERR_BUFFER_TOO_SMALL (out_size < LY_CONNECT_TOKEN_SIZE),
 * LY_ERR_INVALID_TOKEN (no addresses or more than 32; user data too
 * long). */
LY_API int ly_token_generate(const ly_token_params *params, uint8_t *out, uint32_t out_size);

/* The public part of a connect token: what a client can read. */
typedef struct ly_token_info {
    uint32_t struct_size;       /* sizeof(ly_token_info); set by the caller */
    uint64_t protocol_id;
    uint64_t create_timestamp;  /* unix seconds */
    uint64_t expire_timestamp;  /* unix seconds, or LY_NEVER_EXPIRES */
    int32_t timeout_seconds;    /* <= 0: no timeout */
    uint32_t num_addresses;     /* server addresses, 1..32 */
} ly_token_info;

/* Reads the public part of a token into info (whose struct_size the
 * caller sets). Errors: LY_ERR_INVALID_ARGUMENT, LY_ERR_INVALID_TOKEN. */
LY_API int ly_token_read(const uint8_t *token, uint32_t token_size, ly_token_info *info);

/* Writes server address number index of a token as a NUL-terminated
 * string into buf. Returns the string's length without the NUL.
 * Errors: LY_ERR_INVALID_ARGUMENT (index out of range, NULLs),
 * LY_ERR_INVALID_TOKEN, LY_ERR_BUFFER_TOO_SMALL (buf_size below the
 * length + 1; nothing is written). */
LY_API int ly_token_address(const uint8_t *token, uint32_t token_size, uint32_t index, char *buf, uint32_t buf_size);

/* ------------------------------------------------------------------ */
/* Fetching a connect token from the token service (what a client does) */
/* ------------------------------------------------------------------ */

/* A client asks the token service (cmd/lytokens, package tokenservice)
 * for a connect token: POST <url> over HTTPS with the bearer credential,
 * the service's certificate checked against a pinned SHA-256 fingerprint,
 * a CA bundle or the system's roots. Plain http:// is refused: whoever
 * reads a token can connect with it. */

typedef struct ly_token_fetch_options {
    uint32_t struct_size;       /* sizeof(ly_token_fetch_options) */
    /* "https://host:port" or "https://host:port/path"; with no path,
     * "/v1/token". Required. */
    const char *url;
    /* Sent as "Authorization: Bearer <credential>" (a JWT, say). Required;
     * no spaces or control characters. Never logged. */
    const char *credential;
    /* The SHA-256 of the service's leaf certificate in hex, colons
     * allowed (cmd/lytokens -dev prints it). NULL or "": not pinned. */
    const char *pin_sha256;
    /* A PEM file of the CAs to trust instead of the system's. NULL or "":
     * none. With neither pin_sha256 nor ca_file, the system's roots are
     * used; setting both is LY_ERR_INVALID_ARGUMENT. */
    const char *ca_file;
    /* Ask for a server with this tag (region, mode). NULL or "": any. */
    const char *tag;
    /* The whole fetch (connect, TLS, answer) in milliseconds; 0: the
     * default, 10,000. */
    uint32_t timeout_ms;
} ly_token_fetch_options;

/* Fills options with defaults: struct_size set, timeout_ms 10,000, every
 * pointer NULL. Does nothing if options is NULL. */
LY_API void ly_token_fetch_options_defaults(ly_token_fetch_options *options);

/* Fetches a connect token into out, blocking the calling thread until the
 * answer or the timeout (do not call it from a game loop: use the
 * start/poll pair below). Returns LY_CONNECT_TOKEN_SIZE; hand the token to
 * ly_client_create or ly_client_set_token. Nothing is written to out on
 * failure. Errors: LY_ERR_INVALID_ARGUMENT (NULLs, struct_size, no url or
 * credential, a URL that is not https://, a malformed pin, pin and CA file
 * both set, an unreadable or empty CA file), LY_ERR_BUFFER_TOO_SMALL
 * (out_size < LY_CONNECT_TOKEN_SIZE; checked before any request),
 * LY_ERR_UNAUTHORIZED, LY_ERR_RATE_LIMITED, LY_ERR_NO_SERVER, LY_ERR_TLS,
 * LY_ERR_TIMEOUT, LY_ERR_HTTP, LY_ERR_SOCKET (the service could not be
 * reached: refused, reset, unknown host). */
LY_API int ly_token_fetch(const ly_token_fetch_options *options, uint8_t *out, uint32_t out_size);

/* A token fetch in progress: an opaque handle, like ly_server*, validated
 * through the same table (a NULL, freed or foreign handle is
 * LY_ERR_INVALID_HANDLE). */
typedef struct ly_token_request ly_token_request;

/* What ly_token_request_poll returns while the answer has not come. */
#define LY_TOKEN_PENDING 0

/* Starts fetching a token on a thread of the library and returns at once
 * with a request handle in *out; the options are copied (the strings may
 * be freed after the call; the CA file is read now). Poll it from the game
 * loop, and free it with ly_token_request_free in any case.
 * Errors: LY_ERR_INVALID_ARGUMENT (as ly_token_fetch, or out NULL),
 * LY_ERR_INTERNAL (the handle table is full). */
LY_API int ly_token_request_start(const ly_token_fetch_options *options, ly_token_request **out);

/* Never waits on the network. Returns LY_TOKEN_PENDING (0) while the fetch
 * goes on; LY_CONNECT_TOKEN_SIZE once the token is there, copied into out
 * (every later poll copies it again); or the fetch's error, the same codes
 * as ly_token_fetch, with its message in ly_last_error() (every later poll
 * returns it again). Errors of the call itself: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (out NULL), LY_ERR_BUFFER_TOO_SMALL (out_size <
 * LY_CONNECT_TOKEN_SIZE, also while pending: the token is kept for a
 * retry with a larger buffer). */
LY_API int ly_token_request_poll(ly_token_request *request, uint8_t *out, uint32_t out_size);

/* Cancels the fetch if it is still going on (the library's thread drops
 * it at once) and frees the handle, which is invalid afterwards.
 * ly_shutdown frees every request. Errors: LY_ERR_INVALID_HANDLE. */
LY_API int ly_token_request_free(ly_token_request *request);

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

typedef struct ly_server_config {
    uint32_t struct_size;       /* sizeof(ly_server_config) */
    uint64_t protocol_id;
    uint8_t private_key[LY_KEY_SIZE];
    /* Addresses to bind for netcode clients. "[::]:port" serves IPv4 and
     * IPv6 clients on one socket, or IPv4 alone (bound to 0.0.0.0) on a
     * host without IPv6. NULL or "": no netcode backend and no socket (a server for local
     * clients only). An entry may carry a scheme: "udp://ip:port" (the
     * same as a bare "ip:port"), or a browser transport carrying the same
     * netcode: "ws://ip:port" (WebSocket, plain: loopback addresses only),
     * "wss://ip:port" (WebSocket over TLS: needs ly_web_options' cert_file
     * and key_file) and "wt://ip:port" (WebTransport; self-signed
     * certificates unless cert_file is set, see ly_server_web_cert_hashes).
     * A wildcard bind names the address tokens carry for it with
     * "?public=ip:port" (port 0: the bound port), e.g.
     * "wt://0.0.0.0:4433?public=203.0.113.5:4433"; on a udp entry that
     * address is added to public_addresses. See "Browser transports". */
    const char *bind_addresses;
    /* The addresses the backend writes into tokens for its UDP sockets
     * (one must match). NULL or "" (and no udp "?public="): the bound
     * addresses, which must then be specific. An address with port 0 takes
     * the port of the first bound socket. A browser bind's token address
     * is its "?public=" or else its bound address. */
    const char *public_addresses;
    /* Netcode clients connected at once; 0 means the default, 256.
     * (Local clients have their own limit of 16.) */
    uint32_t max_clients;
    /* Nonzero: ly_server_send and ly_server_broadcast queue netcode
     * datagrams, which leave together (one sendmmsg per 64 on Linux) at
     * ly_server_flush, at the next ly_server_update, or when 64 wait.
     * Call ly_server_flush after a tick's sends: it saves a system call
     * per datagram. 0 (the default): each send is written at once. */
    uint32_t batch_sends;
    /* The restart rule (netcode 1.4.5, mas-bandwidth/netcode#184): the longest expire - create your
     * token backend issues, in seconds. The server refuses tokens that
     * expire before its first start plus this, since they may have been
     * made before it started and used on an earlier run whose memory of
     * consumed tokens is gone. 0: the default, 30; negative: off. Set it
     * to your tokens' lifetime: shorter tokens are refused until the
     * server has run for the difference. */
    int32_t max_token_lifetime_seconds;
    /* The most tokens the server remembers for netcode 1.4.5's reuse rule
     * (a token is consumed once, then refused while it is valid): each
     * until it expires, one that never expires for the life of the server
     * (ly_server_stop and ly_server_start keep them). Up to about 120
     * bytes each, taken as tokens arrive. 0: the default, 524288 (at most
     * about 60 MiB: 17,000 joins a second with 30 s tokens, or half a
     * million joins with tokens that never expire) or 4 x max_clients if
     * more. When it is full of unexpired tokens a new token is refused
     * (counted in ly_stats.dropped_table_full, with a LY_EVENT_WARNING at
     * most once a second); evicting a consumed token instead would let a
     * flood reopen it. At most 2^30. Where uint64_t is 8-byte aligned in
     * structs (64-bit platforms, 32-bit ARM, 32-bit Windows) this field
     * took what was padding, so sizeof(ly_server_config) did not change;
     * where it is 4-byte aligned (32-bit x86 outside Windows) the struct
     * grew by 4 bytes. A caller built before the field passes a
     * struct_size that ends before it, which is accepted and means 0. */
    uint32_t token_history_size;
} ly_server_config;

/* Fills config with defaults: struct_size set, max_clients 256,
 * everything else zero. Does nothing if config is NULL. */
LY_API void ly_server_config_defaults(ly_server_config *config);

/* Makes a stopped server; the config is copied. The server runs a netcode
 * backend on the bind addresses (if any) and a local backend for
 * ly_server_connect_local; client ids are tagged with their backend.
 * Errors: LY_ERR_INVALID_ARGUMENT (NULLs, struct_size smaller than
 * offsetof(ly_server_config, token_history_size), malformed address,
 * an unknown scheme, ws:// off loopback, max_clients over 1048576,
 * token_history_size over 2^30; ly_last_error() says which),
 * LY_ERR_INTERNAL (the handle table is full: 1,048,576 live handles). */
LY_API int ly_server_create(const ly_server_config *config, ly_server **out);

/* Stops the server if it runs (telling every client), deregisters it
 * from the fleet if it was registered (as ly_server_fleet_deregister),
 * and frees it. The handle is invalid afterwards. Errors:
 * LY_ERR_INVALID_HANDLE. */
LY_API int ly_server_destroy(ly_server *server);

/* Binds the sockets and opens the browser listeners. A fresh challenge
 * key and sequences each start. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_ALREADY_ACTIVE, LY_ERR_SOCKET (an address in use, a certificate
 * file gone since it was set), LY_ERR_INVALID_ARGUMENT (unspecified bind
 * address and no public address; a wss:// bind and no certificate set
 * with ly_server_set_web_options). */
LY_API int ly_server_start(ly_server *server);

/* Disconnects every client (a LY_EVENT_DISCONNECTED with
 * LY_REASON_SERVER_STOPPED each, still pollable), deregisters the server
 * from the fleet (as ly_server_fleet_deregister) and closes the sockets.
 * Stopping a stopped server is LY_OK. Errors: LY_ERR_INVALID_HANDLE. */
LY_API int ly_server_stop(ly_server *server);

/* 1 if running, 0 if not, or LY_ERR_INVALID_HANDLE. */
LY_API int ly_server_running(ly_server *server);

/* Advances the server's clock by dt_seconds (finite, >= 0), reads and
 * handles the datagrams that arrived, sends keep-alives, times clients
 * out. Each socket is read until it is empty or, so that a flood cannot
 * make one update endless, until max(4096, 16 * max_clients) datagrams
 * were read from it; the rest waits in the socket's buffer for the next
 * update. Junk is dropped and counted in ly_server_stats (a datagram over
 * the biggest netcode packet in dropped_oversized) and never stops the
 * read. The clock saturates after about 292 years of summed dt instead of
 * wrapping (time then stops: nothing more times out). A server in the
 * fleet stores its connected count for the next heartbeat.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_NOT_RUNNING,
 * LY_ERR_INVALID_ARGUMENT (negative, NaN or infinite dt), LY_ERR_SOCKET. */
LY_API int ly_server_update(ly_server *server, double dt_seconds);

/* Sends size bytes (1..LY_MAX_PAYLOAD_SIZE) to a connected client. The
 * data is copied before the call returns. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (data NULL), LY_ERR_PAYLOAD_SIZE,
 * LY_ERR_NOT_RUNNING, LY_ERR_UNKNOWN_CLIENT, LY_ERR_SEND_BUFFER_FULL (a
 * Steam client's send buffer is full: not sent), LY_ERR_SOCKET (Steam
 * refused the send for another reason; ly_last_error() has its EResult). */
LY_API int ly_server_send(ly_server *server, ly_client_id client, const uint8_t *data, uint32_t size);

/* Sends one payload to every connected client. Errors as
 * ly_server_send, without LY_ERR_UNKNOWN_CLIENT; LY_ERR_SEND_BUFFER_FULL
 * and LY_ERR_SOCKET mean that some Steam clients did not get it (every
 * other client did; ly_last_error() names them). */
LY_API int ly_server_broadcast(ly_server *server, const uint8_t *data, uint32_t size);

/* Writes the datagrams queued by ly_server_send and ly_server_broadcast
 * when the config set batch_sends (nothing is queued otherwise). As with
 * UDP, a datagram the socket refuses is lost without an error here; the
 * socket's failure shows on the next ly_server_update. Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_NOT_RUNNING. */
LY_API int ly_server_flush(ly_server *server);

/* Disconnects one client, telling it; its LY_EVENT_DISCONNECTED carries
 * LY_REASON_LOCAL. Errors: LY_ERR_INVALID_HANDLE, LY_ERR_NOT_RUNNING,
 * LY_ERR_UNKNOWN_CLIENT. */
LY_API int ly_server_disconnect(ly_server *server, ly_client_id client);

/* Disconnects every client. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_NOT_RUNNING. */
LY_API int ly_server_disconnect_all(ly_server *server);

/* The number of connected clients, or LY_ERR_INVALID_HANDLE. */
LY_API int ly_server_num_connected(ly_server *server);

/* The configured maximum of clients, or LY_ERR_INVALID_HANDLE. */
LY_API int ly_server_max_clients(ly_server *server);

/* Writes up to max_ids connected client ids into ids and returns how
 * many clients are connected (which may be more than max_ids: call again
 * with a larger array). ids may be NULL when max_ids is 0.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT. */
LY_API int ly_server_connected_ids(ly_server *server, ly_client_id *ids, uint32_t max_ids);

/* Writes a connected client's address ("ip:port") into buf; returns its
 * length. A connected client with no address (a local client, a Steam
 * P2P peer) gets ""
 * and 0. A browser client (ws, wss, wt) gets the browser's IP and a port
 * its listener numbered: several WebTransport sessions can share one
 * connection, so the real port names no one client. Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT,
 * LY_ERR_UNKNOWN_CLIENT, LY_ERR_BUFFER_TOO_SMALL. */
LY_API int ly_server_client_address(ly_server *server, ly_client_id client, char *buf, uint32_t buf_size);

/* Copies the LY_USER_DATA_SIZE bytes of user data the client's token
 * carried into user_data. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT, LY_ERR_UNKNOWN_CLIENT. */
LY_API int ly_server_client_user_data(ly_server *server, ly_client_id client, uint8_t *user_data);

/* Writes bound address number index (0 for the first) into buf; returns
 * its length. Useful after binding port 0. The UDP sockets come first, as
 * "ip:port" in bind order, then the browser listeners in bind order, with
 * their scheme: "ws://127.0.0.1:8080". Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_NOT_RUNNING, LY_ERR_INVALID_ARGUMENT (index out of range),
 * LY_ERR_BUFFER_TOO_SMALL. */
LY_API int ly_server_address(ly_server *server, uint32_t index, char *buf, uint32_t buf_size);

/* Connects a local client: a client in this process that exchanges
 * payloads with the server through memory (no socket, no encryption), for
 * host-server mode. It is used with the ly_client_* functions like any
 * client. On a running server it is connected at once: the server gets
 * LY_EVENT_CONNECTED for {id, LY_KIND_LOCAL} (unless 16 local clients are
 * connected; then the client's state is LY_STATE_CONNECTION_DENIED). On a
 * server not started yet, or stopped, it waits in
 * LY_STATE_SENDING_CONNECTION_REQUEST and connects, as above, when the
 * server starts (clients that waited connect in the order they were
 * made); ly_client_disconnect ends the
 * wait, and destroying the server ends it with LY_STATE_DISCONNECTED and
 * LY_REASON_SERVER_STOPPED. ly_client_disconnect or ly_server_disconnect
 * end a connection; ly_client_connect reconnects it; destroy it with
 * ly_client_destroy. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (out NULL, or a local client with this id is
 * connected or waiting), LY_ERR_INTERNAL (the handle table is full:
 * 1,048,576 live handles). */
LY_API int ly_server_connect_local(ly_server *server, uint64_t id, ly_client **out);

/* Link conditioner: simulates a bad network on a server's or a client's
 * netcode sockets, on what it sends and on what it receives, better than
 * a receive-only one. Delays run on the clock the caller drives with
 * update, so a seeded run is reproducible. Local clients are not
 * conditioned. */

/* Burst loss: a two-state chain (good, bad) stepped once per datagram:
 * the datagram is lost by the current state's loss probability, then the
 * chain moves from good to bad with probability burst_p, or from bad to
 * good with burst_r. It starts in good; each direction has its own. */
typedef enum ly_burst_model {
    LY_BURST_NONE = 0,           /* no burst loss; every burst_ field must be 0 */
    /* Simple Gilbert: every datagram in bad is lost, none in good.
     * Loss rate p/(p+r); a burst lasts 1/r datagrams on average. The
     * burst_loss_ fields must be 0. */
    LY_BURST_GILBERT = 1,
    /* Gilbert-Elliott: lost with burst_loss_good in good (1-k in the usual
     * notation) and burst_loss_bad in bad (1-h). Loss rate
     * (r*loss_good + p*loss_bad)/(p+r). */
    LY_BURST_GILBERT_ELLIOTT = 2
} ly_burst_model;

typedef struct ly_conditioner_config {
    uint32_t struct_size;       /* sizeof(ly_conditioner_config) */
    uint32_t reserved;
    double latency_ms;          /* one-way base delay */
    double jitter_ms;           /* each delay is latency +- uniform jitter, never below 0 */
    double loss;                /* probability 0..1 a datagram is dropped, independently (on top of burst loss) */
    double duplicate;           /* probability 0..1 a datagram arrives twice */
    double reorder;             /* probability 0..1 a datagram is held back so later ones overtake it */
    double reorder_delay_ms;    /* how long; 0: twice the jitter, at least 1 ms */
    uint64_t seed;              /* same seed, same traffic, same dt steps: same result */
    /* Burst loss. (Added after the first release, whose struct ended at
     * seed: a struct_size that ends before burst_loss_bad's end is
     * accepted, the burst fields are not read, and there is no burst
     * loss.) */
    uint32_t burst_model;       /* ly_burst_model */
    uint32_t reserved2;
    double burst_p;             /* probability 0..1 of moving from good to bad */
    double burst_r;             /* probability 0..1 of moving from bad to good */
    double burst_loss_good;     /* GILBERT_ELLIOTT: loss probability 0..1 in good */
    double burst_loss_bad;      /* GILBERT_ELLIOTT: loss probability 0..1 in bad */
} ly_conditioner_config;

/* lightyear's presets (one way; no burst loss; lightyear commit 17f1f18,
 * crates/io/link/src/conditioner.rs). */
typedef enum ly_conditioner_preset {
    LY_CONDITIONER_OFF = 0,      /* a perfect link: all zeros */
    LY_CONDITIONER_GOOD = 1,     /* 40 ms, 6 ms jitter, 0.2 % loss */
    LY_CONDITIONER_AVERAGE = 2,  /* 100 ms, 15 ms jitter, 2 % loss */
    LY_CONDITIONER_POOR = 3      /* 200 ms, 30 ms jitter, 10 % loss */
} ly_conditioner_preset;

/* Fills config with a preset: struct_size set, seed 0, no burst loss.
 * size is the caller's sizeof(ly_conditioner_config): the struct has
 * grown, and the library writes no more than that, or than its own
 * sizeof (bindings pass their own struct's size). Errors:
 * LY_ERR_INVALID_ARGUMENT (config NULL, size below the first release's
 * sizeof, offsetof(ly_conditioner_config, burst_model), or an unknown
 * preset; nothing is written). */
LY_API int ly_conditioner_preset_config_sized(int preset, ly_conditioner_config *config, uint32_t size);

/* Programs built against this header reach the function above, with this
 * header's size, through the macro. The exported function of this name,
 * which programs built against the first release call, fills only the
 * first release's fields and sets struct_size to match, so it never
 * writes past their smaller struct. Errors: as above. */
LY_API int (ly_conditioner_preset_config)(int preset, ly_conditioner_config *config);
#define ly_conditioner_preset_config(preset, config) \
    ly_conditioner_preset_config_sized((preset), (config), (uint32_t)sizeof(ly_conditioner_config))

/* Conditions what the server sends (send) and receives (recv) on its
 * netcode sockets from now on; NULL turns a direction off. Works before
 * and after start; datagrams a previous conditioner still held are lost.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (struct_size
 * below offsetof(ly_conditioner_config, burst_model), probabilities
 * outside 0..1, negative or huge delays, an unknown burst_model, a
 * burst_ field the model does not use set to nonzero). */
LY_API int ly_server_set_conditioner(ly_server *server, const ly_conditioner_config *send,
                                     const ly_conditioner_config *recv);

/* Traffic counters. Dropped datagrams are counted by cause and never
 * answered on the wire. */
typedef struct ly_stats {
    uint32_t struct_size;       /* sizeof(ly_stats); set by the caller */
    uint32_t reserved;
    uint64_t packets_sent;
    uint64_t packets_received;
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t dropped_malformed;       /* wrong size, version, type or body */
    uint64_t dropped_replayed;        /* sequence already seen or too old */
    uint64_t dropped_decrypt_failed;  /* the AEAD refused a packet or token */
    uint64_t dropped_unknown_address; /* encrypted packet from an address with no key */
    uint64_t dropped_queue_full;      /* payload arrived with the receive queue full */
    uint64_t dropped_rejected;        /* well formed but refused (expired or reused token, ...) */
    /* Seconds since the last packet was accepted (per connection only). */
    double seconds_since_last_receive;
    /* Added later: a caller whose struct_size ends before a field gets every field before it. */
    uint64_t dropped_oversized;       /* datagram over the biggest netcode packet (1225 bytes) */
    uint64_t dropped_table_full;      /* connection request refused: token history or pending table full */
} ly_stats;

/* The whole server's counters, every backend added up. Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (NULL, struct_size
 * smaller than offsetof(ly_stats, dropped_oversized)). */
LY_API int ly_server_stats(ly_server *server, ly_stats *stats);

/* One connected client's counters as the server sees them. Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (NULL, struct_size
 * smaller than offsetof(ly_stats, dropped_oversized)),
 * LY_ERR_UNKNOWN_CLIENT. */
LY_API int ly_server_client_stats(ly_server *server, ly_client_id client, ly_stats *stats);

/* Events */

/* Event types. More may be added: skip the ones you do not know. */
typedef enum ly_event_type {
    LY_EVENT_NONE = 0,
    LY_EVENT_CONNECTED = 1,
    LY_EVENT_DISCONNECTED = 2,
    LY_EVENT_PAYLOAD = 3,
    /* The server refused work it should have done; reason holds a
     * ly_warning, client the client concerned. At most one a second per
     * warning, so that a flood cannot fill the queue: ly_stats counts
     * every occurrence. */
    LY_EVENT_WARNING = 4
} ly_event_type;

/* What a LY_EVENT_WARNING reports. More may be added. */
typedef enum ly_warning {
    LY_WARNING_NONE = 0,
    /* A connection request with a new, valid token was refused: the token
     * history is full of unexpired tokens (see token_history_size).
     * Counted in ly_stats.dropped_table_full. */
    LY_WARNING_TOKEN_HISTORY_FULL = 1,
    /* A connection request was refused: the table of handshakes in
     * progress (16384, or 2 x max_clients if more) is full. Counted in
     * ly_stats.dropped_table_full. */
    LY_WARNING_PENDING_FULL = 2
} ly_warning;

/* One server event. Fixed layout (32 bytes), never grows: events are
 * used in arrays. */
typedef struct ly_event {
    uint32_t type;            /* ly_event_type */
    /* ly_disconnect_reason for LY_EVENT_DISCONNECTED, ly_warning for
     * LY_EVENT_WARNING, 0 otherwise */
    uint32_t reason;
    ly_client_id client;
    /* For LY_EVENT_PAYLOAD: the payload's size, and (batch poll only) its
     * offset in the payload buffer. Zero for other events. */
    uint32_t payload_size;
    uint32_t payload_offset;
} ly_event;

/* Takes the oldest event. A payload is copied into buf (buf_size bytes).
 * Returns 1 if an event was written to *event, 0 if none is pending.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (event NULL, or
 * buf NULL with buf_size > 0), LY_ERR_BUFFER_TOO_SMALL (the payload does
 * not fit: *event is filled with its type, client and payload_size, and
 * the event stays queued, so a retry with a larger buffer gets it).
 * A buffer of LY_MAX_PAYLOAD_SIZE bytes always fits. */
LY_API int ly_server_poll(ly_server *server, ly_event *event, uint8_t *buf, uint32_t buf_size);

/* Takes up to max_events events in one call. Payloads are packed into buf
 * one after another; each payload event gives its payload_offset and
 * payload_size. Stops early when the next payload does not fit; it stays
 * queued for the next call. Returns the number of events written (0 if
 * none is pending). Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT, LY_ERR_BUFFER_TOO_SMALL (not even the first
 * pending payload fits: events[0] describes it as ly_server_poll does). */
LY_API int ly_server_poll_batch(ly_server *server, ly_event *events, uint32_t max_events, uint8_t *buf, uint32_t buf_size);

/* ------------------------------------------------------------------ */
/* Browser transports (bind_addresses with ws://, wss://, wt://)       */
/* ------------------------------------------------------------------ */

/* Browsers cannot send UDP: the netcode backend also carries netcode
 * 1.02, unchanged, in WebSocket binary messages and WebTransport
 * datagrams (one packet each). One WebSocket connection or WebTransport
 * session is one netcode client: the same keys, tokens (naming the
 * transport's public address), events, ly_server_poll and ly_server_send
 * serve UDP and browser clients alike. Each listener bounds its sessions
 * and queues; what it refuses or drops it counts in ly_web_stats. */

/* SHA-256 of a certificate, as serverCertificateHashes takes it. */
#define LY_WEB_CERT_HASH_SIZE 32

/* Options of every browser listener of a server. 0 or NULL: the default. */
typedef struct ly_web_options {
    uint32_t struct_size;          /* sizeof(ly_web_options) */
    /* wt:// without cert_file: each self-signed ECDSA P-256 certificate is
     * valid this long, 60..1209600 (14 days, the browsers' limit for
     * serverCertificateHashes); 0: 13 days. The next one is made and its
     * hash published an hour (at most a quarter of the validity) before it
     * is presented at half-life; open sessions keep theirs. */
    uint32_t cert_validity_seconds;
    /* A CA-issued certificate chain and its key (PEM files), both or
     * neither: required by wss://, optional for wt://, ignored by ws://.
     * Read when the options are set and at every start. */
    const char *cert_file;
    const char *key_file;
    /* Page origins allowed to connect, separated by commas or spaces
     * ("https://game.example.com"); "*": any. NULL or "": pages served
     * from loopback only. Requests without an Origin (programs) pass. */
    const char *allowed_origins;
    /* Path of the upgrade or CONNECT request ("/netcode"); NULL or "":
     * every path. */
    const char *path;
    uint32_t max_sessions;         /* open at once per listener; 0: 1024 (more: HTTP 503) */
    uint32_t max_sessions_per_ip;  /* per listener; 0: 16 (more: HTTP 429) */
    uint32_t recv_queue;           /* messages waiting for ly_server_update, all sessions; 0: 4096 */
    uint32_t session_recv_queue;   /* one session's share of recv_queue; 0: 256 */
    uint32_t send_queue;           /* messages waiting to be written, per session; 0: 64 */
    uint32_t handshake_timeout_ms; /* TLS/QUIC handshake and upgrade; 0: 5,000 */
    uint32_t idle_timeout_ms;      /* a session silent this long is closed; 0: 10,000 */
    uint32_t write_timeout_ms;     /* a session whose write blocks this long is closed; 0: 5,000 */
} ly_web_options;

/* Fills options with defaults: struct_size set, everything else zero.
 * Does nothing if options is NULL or size is below
 * sizeof(ly_web_options) of this first version. size is the caller's
 * sizeof(ly_web_options); the library writes no more than that. */
LY_API void ly_web_options_defaults_sized(ly_web_options *options, uint32_t size);
#define ly_web_options_defaults(options) ly_web_options_defaults_sized((options), (uint32_t)sizeof *(options))

/* Sets the options of the server's browser listeners (ws://, wss://,
 * wt:// entries of bind_addresses); the options and their strings are
 * copied. The server must be stopped; a server made without them uses
 * the defaults (so a wss:// bind cannot start before this call). Setting
 * them again remakes wt's self-signed certificates (new hashes). On a
 * server without browser binds the options are checked and kept, and do
 * nothing. Nothing changes when it fails. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (options NULL, struct_size too small,
 * cert_validity_seconds outside 60..1209600, only one of cert_file and
 * key_file, a certificate or key that cannot be read, a count over
 * 1048576, a path not starting with "/", a wss:// bind and no
 * cert_file; ly_last_error() says which), LY_ERR_ALREADY_ACTIVE (the
 * server is running). */
LY_API int ly_server_set_web_options(ly_server *server, const ly_web_options *options);

/* Writes the SHA-256 hashes (LY_WEB_CERT_HASH_SIZE bytes each, newest
 * first) of the self-signed certificates of the server's wt:// listeners
 * (those without cert_file), in bind order, into hashes, and the number
 * into *count (count may be NULL). A page passes all of them as
 * serverCertificateHashes: the presented one, the next one during its
 * lead, and older ones until they expire. They change over time and with
 * ly_server_web_rotate_cert: serve them to pages fresh (with the token).
 * Works stopped or running; 0 without such listeners. Returns the number
 * written. hashes may be NULL when max_hashes is 0. Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (hashes NULL with
 * max_hashes > 0), LY_ERR_BUFFER_TOO_SMALL (max_hashes below the number:
 * nothing written, *count says how many). */
LY_API int ly_server_web_cert_hashes(ly_server *server, uint8_t *hashes, uint32_t max_hashes, uint32_t *count);

/* Makes a new self-signed certificate for every wt:// listener without
 * cert_file and presents it at once, as when a key may have leaked. Open
 * sessions keep theirs; the old hash stays published until it expires.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (no such
 * listener), LY_ERR_INTERNAL (making the certificate failed). */
LY_API int ly_server_web_rotate_cert(ly_server *server);

/* Counters of the server's browser listeners, added up, since the last
 * start (kept after a stop; 0 before the first start and after
 * ly_server_set_web_options). Every refused or closed session and
 * every dropped message has a reason. */
typedef struct ly_web_stats {
    uint32_t struct_size;          /* sizeof(ly_web_stats); set by the caller */
    uint32_t reserved;
    uint64_t sessions_active;      /* open now */
    uint64_t sessions_accepted;    /* completed their handshake */
    uint64_t refused_full;         /* max_sessions reached */
    uint64_t refused_per_ip;       /* max_sessions_per_ip reached */
    uint64_t refused_origin;       /* Origin not allowed (HTTP 403) */
    uint64_t refused_handshake;    /* the upgrade failed (bad request, TLS, timeout) */
    uint64_t closed_idle;          /* silent for idle_timeout_ms */
    uint64_t closed_slow;          /* a write blocked for write_timeout_ms */
    uint64_t closed_peer;          /* closed or broken by the browser */
    uint64_t closed_server;        /* closed by the server (stop, disconnect) */
    uint64_t received;             /* messages passed to netcode */
    uint64_t recv_oversized;       /* over 1225 bytes, the largest netcode packet */
    uint64_t recv_text;            /* WebSocket text messages: not netcode */
    uint64_t recv_queue_full;      /* recv_queue, or the session's share, full */
    uint64_t sent;                 /* messages written to a session */
    uint64_t send_no_session;      /* to an address whose session is gone */
    uint64_t send_oversized;       /* over what the session carries */
    uint64_t send_queue_full;      /* the session's send_queue full */
    uint64_t send_failed;          /* lost with a failing or closing session */
} ly_web_stats;

/* Fills stats. Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT
 * (stats NULL, struct_size smaller than sizeof(ly_web_stats) of this
 * first version). */
LY_API int ly_server_web_stats(ly_server *server, ly_web_stats *stats);

/* ------------------------------------------------------------------ */
/* Fleet registration (the token service's Redis directory)            */
/* ------------------------------------------------------------------ */

/* A running server can list itself in the fleet directory that the token
 * service reads (package fleet; cmd/lytokens -redis): its public
 * addresses, max_clients as capacity, its tags and its connected netcode
 * clients, kept alive by a heartbeat every ttl_ms / 3. The token service
 * hands out tokens for the least loaded servers with room; a server that
 * stops heartbeating (a crash) drops out when its TTL lapses. All Redis
 * work runs on a thread of the library: ly_server_update only stores the
 * connected count (no allocation, no network). */

typedef struct ly_fleet_config {
    uint32_t struct_size;       /* sizeof(ly_fleet_config) */
    /* "host:port", or "redis://[:password@]host:port[/db]" ("rediss://"
     * for TLS). Required. */
    const char *redis_url;
    /* Key prefix shared with the token service (lytokens -fleet-prefix).
     * NULL or "": "lyfleet:". */
    const char *key_prefix;
    /* The server's id in the fleet, unique. NULL or "": 16 random hex
     * digits. */
    const char *server_id;
    /* Tags, separated by spaces or commas: a token request for tag T only
     * gets servers tagged T. NULL or "": none. */
    const char *tags;
    /* The addresses written into tokens, in order. NULL or "": the
     * server's public addresses (ly_server_config.public_addresses, or the
     * bound ones with their actual ports). */
    const char *public_addresses;
    /* How long the entry lives after its last heartbeat; 0: the default,
     * 10,000. At least 30. */
    uint32_t ttl_ms;
} ly_fleet_config;

/* Fills config with defaults: struct_size set, ttl_ms 10,000, every
 * pointer NULL. Does nothing if config is NULL. */
LY_API void ly_fleet_config_defaults(ly_fleet_config *config);

/* Registers a running server in the fleet and keeps it registered until
 * ly_server_fleet_deregister, ly_server_stop, ly_server_destroy or
 * ly_shutdown. Returns at once: the first registration happens on the
 * library's thread; see ly_server_fleet_status. The config is copied.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (config NULL,
 * struct_size, no redis_url or a malformed one, a malformed or
 * unspecified (0.0.0.0, port 0) public address, ttl_ms below 30, a server
 * without a netcode backend: local and Steam clients cannot use connect
 * tokens), LY_ERR_NOT_RUNNING (start the server first: its ports are
 * known then), LY_ERR_ALREADY_ACTIVE (already registered). */
LY_API int ly_server_fleet_register(ly_server *server, const ly_fleet_config *config);

/* Removes the server from the fleet at once: stops the heartbeat and
 * deletes its entry, waiting up to about 2 s for Redis (the entry expires
 * with its TTL if Redis does not answer). LY_OK if it was not registered.
 * Errors: LY_ERR_INVALID_HANDLE. */
LY_API int ly_server_fleet_deregister(ly_server *server);

/* What ly_server_fleet_status returns besides errors. */
#define LY_FLEET_PENDING 0     /* the first Redis round has not finished */
#define LY_FLEET_REGISTERED 1  /* the last round succeeded: listed, TTL fresh */

/* What the fleet registration is doing, for a game that wants to show it:
 * LY_FLEET_REGISTERED (1) if the last Redis round succeeded (the entry is
 * listed with a fresh TTL), LY_FLEET_PENDING (0) until the first round
 * has finished, or
 * LY_ERR_SOCKET if the last round failed (ly_last_error() has Redis's
 * error; the library keeps retrying every ttl_ms / 3). Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_NOT_RUNNING (not registered). */
LY_API int ly_server_fleet_status(ly_server *server);

/* ------------------------------------------------------------------ */
/* Steam                                                               */
/* ------------------------------------------------------------------ */

/* Steam connections go through Valve's ISteamNetworkingSockets, loaded at
 * run time: libsteam_api (Steamworks: IP and P2P over Valve's relays,
 * SteamIDs) or the open-source libGameNetworkingSockets (IP only, no
 * Steam client needed: dedicated servers, LAN tests). Nothing of Valve's
 * is linked into this library. One Steam library is open per process. */

typedef enum ly_steam_flavour {
    LY_STEAM_AUTO = 0,        /* Steamworks if found, else GameNetworkingSockets */
    LY_STEAM_STEAMWORKS = 1,  /* libsteam_api */
    LY_STEAM_GNS = 2          /* libGameNetworkingSockets */
} ly_steam_flavour;

typedef enum ly_steam_init {
    /* The library initialises Steam itself ... */
    LY_STEAM_INIT_CLIENT = 0,       /* as a Steam client (app id) */
    LY_STEAM_INIT_GAME_SERVER = 1,  /* as a game server (NoAuthentication) */
    /* ... or uses the Steam the game already initialised (Steamworks.NET,
     * steamworks-rs); it then never initialises or shuts Steam down. */
    LY_STEAM_ATTACH_CLIENT = 2,
    LY_STEAM_ATTACH_GAME_SERVER = 3
} ly_steam_init;

typedef struct ly_steam_config {
    uint32_t struct_size;       /* sizeof(ly_steam_config) */
    uint32_t flavour;           /* ly_steam_flavour */
    uint32_t init;              /* ly_steam_init (GameNetworkingSockets: any INIT_ value inits it) */
    uint32_t app_id;            /* INIT_CLIENT: set as SteamAppId; 0 leaves the environment alone */
    /* The library file, UTF-8 (on Windows converted to UTF-16 for
     * LoadLibraryExW, so any script works); NULL or "": $LIGHTYEAR_STEAM_LIB,
     * then Valve's file name (libsteam_api.so, steam_api64.dll on Windows;
     * libGameNetworkingSockets.so, GameNetworkingSockets.dll) through the
     * loader's search path, then in the executable's directory. */
    const char *library_path;
    /* INIT_GAME_SERVER: the IPv4 address to bind ("" = any), ports, and
     * the version string the Steam master server sees. */
    const char *game_server_ip;
    uint16_t game_port;
    uint16_t query_port;
    const char *game_server_version;
    /* Connection options for every Steam connection of the process; 0
     * keeps Steam's own value. (Added after the first release: a struct_size that ends
     * before them is accepted and leaves them at Steam's values.) */
    uint32_t allow_ip_without_auth; /* 1: IP peers need no Steam certificate (Steamworks; GNS never asks) */
    uint32_t timeout_initial_ms;    /* connecting gives up after this (GNS v1.6.0 TimeoutInitial: 10,000) */
    uint32_t timeout_connected_ms;  /* a connected peer silent this long is dropped (GNS v1.6.0 TimeoutConnected: 10,000) */
    uint32_t debug_output_level;    /* 1..8: Steam's messages up to that level to stderr (4 warnings, 5 messages) */
    uint32_t send_rate_min;         /* bytes per second */
    uint32_t send_rate_max;         /* bytes per second */
    uint32_t send_buffer_size;      /* bytes queued per connection before LY_ERR_SEND_BUFFER_FULL (GNS v1.6.0 SendBufferSize: 524,288) */
} ly_steam_config;

/* Fills config with defaults: struct_size, LY_STEAM_AUTO,
 * LY_STEAM_INIT_CLIENT, the rest zero. Does nothing if config is NULL or
 * size is below the first release's sizeof. size is the caller's
 * sizeof(ly_steam_config): the struct has grown, and the library writes
 * no more than that (bindings pass their own struct's size). */
LY_API void ly_steam_config_defaults_sized(ly_steam_config *config, uint32_t size);

/* Programs built against this header reach the function above, with this
 * header's size, through the macro. The exported function of this name,
 * which programs built against the first release call, fills only the
 * first release's fields and sets struct_size to match, so it never
 * writes past their smaller struct. */
LY_API void (ly_steam_config_defaults)(ly_steam_config *config);
#define ly_steam_config_defaults(config) ly_steam_config_defaults_sized((config), (uint32_t)sizeof(ly_steam_config))

/* Loads the Steam library and initialises (or attaches to) Steam. An INIT
 * mode when Steam (or GameNetworkingSockets) is already initialised in
 * the process, by the game's own Steamworks.NET or steamworks-rs say, is
 * refused before Steam's init runs, with LY_ERR_STEAM_INIT_FAILED and a
 * message naming the ATTACH modes: the host's instance is never touched.
 * Errors: LY_ERR_INVALID_ARGUMENT (NULL, struct_size, bad enum or address,
 * an option out of range: timeouts or rates over 2^31-1, debug level over
 * 8), LY_ERR_ALREADY_ACTIVE (already open), LY_ERR_STEAM_UNAVAILABLE (no
 * library, or one without a needed function; the message names the paths
 * tried or the symbol), LY_ERR_STEAM_INIT_FAILED (Steam's message, or
 * already initialised). */
LY_API int ly_steam_open(const ly_steam_config *config);

/* Closes every Steam server backend and client, and shuts Steam down if
 * ly_steam_open initialised it. Servers drop their Steam backend (its
 * clients get LY_EVENT_DISCONNECTED with LY_REASON_SERVER_STOPPED) and go
 * on with their other clients. Steam client handles must still be
 * destroyed; until then ly_client_connect, ly_client_update and
 * ly_client_send on them return LY_ERR_INVALID_HANDLE, ly_client_receive
 * returns 0 and the state getters keep their last values.
 * LY_OK if nothing is open. ly_shutdown does this too. */
LY_API int ly_steam_close(void);

typedef enum ly_steam_mode {
    LY_STEAM_MODE_IP = 0,   /* an address and port */
    LY_STEAM_MODE_P2P = 1   /* a SteamID and a virtual port (Steamworks only) */
} ly_steam_mode;

typedef struct ly_steam_server_config {
    uint32_t struct_size;       /* sizeof(ly_steam_server_config) */
    uint32_t mode;              /* ly_steam_mode */
    const char *address;        /* MODE_IP: "ip:port" to listen on (port required) */
    int32_t virtual_port;       /* MODE_P2P */
    uint32_t max_clients;       /* 0: the default, 256 */
    uint32_t max_payload;       /* 0: LY_MAX_PAYLOAD_SIZE, which is also the most */
} ly_steam_server_config;

/* Fills config with defaults. Does nothing if config is NULL. */
LY_API void ly_steam_server_config_defaults(ly_steam_server_config *config);

/* Adds a Steam backend to a server (started now if the server runs): its
 * clients have ids of kind LY_KIND_STEAM (the peer's SteamID64; for IP
 * peers of GameNetworkingSockets, which have none, an id derived from the
 * address with the top byte zero) and come through the same poll as
 * netcode and local clients. Messages are sent unreliable, no-nagle.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (NULL,
 * struct_size, bad mode or address, P2P without Steamworks, a second
 * Steam backend), LY_ERR_STEAM_UNAVAILABLE (ly_steam_open not called),
 * LY_ERR_SOCKET (the listen socket failed). */
LY_API int ly_server_add_steam(ly_server *server, const ly_steam_server_config *config);

typedef struct ly_steam_client_config {
    uint32_t struct_size;       /* sizeof(ly_steam_client_config) */
    uint32_t mode;              /* ly_steam_mode */
    const char *address;        /* MODE_IP: the server's "ip:port" */
    uint64_t server_steam_id;   /* MODE_P2P: the SteamID64 hosting the server */
    int32_t virtual_port;       /* MODE_P2P */
    uint32_t max_payload;       /* 0: LY_MAX_PAYLOAD_SIZE, which is also the most */
} ly_steam_client_config;

/* Fills config with defaults. Does nothing if config is NULL. */
LY_API void ly_steam_client_config_defaults(ly_steam_client_config *config);

/* Makes an idle Steam client, used with the ly_client_* functions
 * (ly_client_set_token and ly_client_set_conditioner do not apply).
 * Errors: LY_ERR_INVALID_ARGUMENT, LY_ERR_STEAM_UNAVAILABLE (ly_steam_open
 * not called), LY_ERR_INTERNAL (the handle table is full: 1,048,576 live
 * handles). */
LY_API int ly_client_create_steam(const ly_steam_client_config *config, ly_client **out);

/* Steam's live view of one connection (SteamNetConnectionRealTimeStatus_t). */
typedef struct ly_connection_status {
    uint32_t struct_size;             /* sizeof(ly_connection_status), set by the caller */
    int32_t state;                    /* Steam's: 1 connecting, 2 finding a route, 3 connected */
    int32_t ping_ms;                  /* round trip, as Steam measures it */
    float quality_local;              /* share of packets delivered, 0..1, as seen here; -1 unknown */
    float quality_remote;             /* the same, as the peer sees it */
    float out_packets_per_sec;
    float out_bytes_per_sec;
    float in_packets_per_sec;
    float in_bytes_per_sec;
    int32_t send_rate_bytes_per_sec;  /* the rate Steam thinks the path can carry */
    int32_t pending_unreliable;       /* bytes queued and not yet sent */
    int32_t pending_reliable;
    int32_t sent_unacked_reliable;
    int32_t reserved;                 /* 0 */
    int64_t queue_time_us;            /* how long a payload sent now waits before it goes out */
} ly_connection_status;

/* The status of a Steam client's connection to this server. Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (status NULL, struct_size
 * below sizeof(ly_connection_status), a client id that is not of kind
 * LY_KIND_STEAM: netcode and local clients have no Steam status),
 * LY_ERR_UNKNOWN_CLIENT (no such connected Steam client, or no Steam
 * backend), LY_ERR_NOT_CONNECTED (Steam has no status for it yet). */
LY_API int ly_server_connection_status(ly_server *server, ly_client_id client, ly_connection_status *status);

/* The status of a Steam client's connection. Errors:
 * LY_ERR_INVALID_HANDLE (also after ly_steam_close), LY_ERR_INVALID_ARGUMENT
 * (status NULL, struct_size too small, not a Steam client),
 * LY_ERR_NOT_CONNECTED (not connecting or connected). */
LY_API int ly_client_connection_status(ly_client *client, ly_connection_status *status);

/* ------------------------------------------------------------------ */
/* Client                                                              */
/* ------------------------------------------------------------------ */

typedef struct ly_client_config {
    uint32_t struct_size;       /* sizeof(ly_client_config) */
    /* Reported by ly_client_id_of: the public part of a token does not
     * carry the client id. Set by ly_client_create_manual. */
    uint64_t client_id;
    /* Payloads kept for ly_client_receive; more are dropped and counted.
     * 0 means the default, 256. */
    uint32_t receive_queue_size;
} ly_client_config;

/* Fills config with defaults. Does nothing if config is NULL. */
LY_API void ly_client_config_defaults(ly_client_config *config);

/* Makes an idle client for a connect token (the bytes are copied). The
 * token is checked by ly_client_connect. config may be NULL for the
 * defaults. Errors: LY_ERR_INVALID_ARGUMENT (token or out NULL,
 * struct_size), LY_ERR_INTERNAL (the handle table is full: 1,048,576
 * live handles). */
LY_API int ly_client_create(const uint8_t *token, uint32_t token_size, const ly_client_config *config, ly_client **out);

/* Makes an idle client that generates its own token (lightyear's
 * Authentication::Manual, lightyear_netcode/src/auth.rs): for tests and trusted setups only, since the
 * client then holds the servers' private key. Token: expires in 30 s,
 * 5 s timeout, zero user data. Errors: LY_ERR_INVALID_ARGUMENT (NULLs,
 * malformed address), LY_ERR_INVALID_KEY (private_key_size is not
 * LY_KEY_SIZE), LY_ERR_INTERNAL (the handle table is full: 1,048,576
 * live handles). */
LY_API int ly_client_create_manual(const char *server_address, uint64_t client_id, uint64_t protocol_id,
                                   const uint8_t *private_key, uint32_t private_key_size,
                                   const ly_client_config *config, ly_client **out);

/* Disconnects (telling the server) and frees the client. The handle is
 * invalid afterwards. Errors: LY_ERR_INVALID_HANDLE. */
LY_API int ly_client_destroy(ly_client *client);

/* Starts connecting with the token's first server address whose socket
 * opens: an address this host cannot open a socket for (IPv6 on a kernel
 * without it) is skipped, as one that times out is later.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_ALREADY_ACTIVE,
 * LY_ERR_INVALID_TOKEN (the state becomes
 * LY_STATE_INVALID_CONNECT_TOKEN), LY_ERR_SOCKET (no address's socket
 * opened; the state becomes LY_STATE_DISCONNECTED). A local client
 * reconnecting connects, or waits for its stopped server to start, as
 * ly_server_connect_local; errors: LY_ERR_ALREADY_ACTIVE (also while it
 * waits), LY_ERR_NOT_RUNNING (its server was destroyed),
 * LY_ERR_INVALID_ARGUMENT (another local client with its id is connected
 * or waiting). */
LY_API int ly_client_connect(ly_client *client);

/* Replaces the token for the next connect: a token is consumed by a
 * completed handshake, so reconnecting needs a fresh one.
 * Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (NULL token, or
 * a local client, which has no token), LY_ERR_ALREADY_ACTIVE. */
LY_API int ly_client_set_token(ly_client *client, const uint8_t *token, uint32_t token_size);

/* Advances the client's clock by dt_seconds (finite, >= 0; saturating as
 * in ly_server_update), reads what arrived (until the socket is empty, at
 * most 4096 datagrams per update; the rest waits for the next one), sends
 * what is due. Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT
 * (negative, NaN or infinite dt), LY_ERR_SOCKET. */
LY_API int ly_client_update(ly_client *client, double dt_seconds);

/* Sends size bytes (1..LY_MAX_PAYLOAD_SIZE), copied before the call
 * returns. Errors: LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (data
 * NULL), LY_ERR_PAYLOAD_SIZE, LY_ERR_NOT_CONNECTED, and for Steam clients
 * LY_ERR_SEND_BUFFER_FULL (not sent) and LY_ERR_SOCKET (Steam refused the
 * send for another reason; ly_last_error() has its EResult). */
LY_API int ly_client_send(ly_client *client, const uint8_t *data, uint32_t size);

/* Takes the next received payload into buf and returns its size, or 0
 * if none is waiting. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (buf NULL with buf_size > 0),
 * LY_ERR_BUFFER_TOO_SMALL (the payload stays queued; *needed, if not
 * NULL, gets its size). A LY_MAX_PAYLOAD_SIZE buffer always fits. */
LY_API int ly_client_receive(ly_client *client, uint8_t *buf, uint32_t buf_size, uint32_t *needed);

/* Writes the ly_client_state into *state. (An out-parameter because
 * states are negative too.) Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (state NULL). */
LY_API int ly_client_get_state(ly_client *client, int *state);

/* The ly_disconnect_reason of the last connection or attempt, or
 * LY_REASON_NONE while it goes on. Errors: LY_ERR_INVALID_HANDLE. */
LY_API int ly_client_disconnect_reason(ly_client *client);

/* Disconnects, telling the server (10 redundant packets). A no-op for an
 * idle client. Errors: LY_ERR_INVALID_HANDLE. */
LY_API int ly_client_disconnect(ly_client *client);

/* Writes the client's socket address into buf; returns its length, 0 if
 * no socket is open yet. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT, LY_ERR_BUFFER_TOO_SMALL. */
LY_API int ly_client_local_address(ly_client *client, char *buf, uint32_t buf_size);

/* Conditions what the client sends and receives, as
 * ly_server_set_conditioner does for a server. Errors:
 * LY_ERR_INVALID_HANDLE, LY_ERR_INVALID_ARGUMENT (as above, or a local
 * client). */
LY_API int ly_client_set_conditioner(ly_client *client, const ly_conditioner_config *send,
                                     const ly_conditioner_config *recv);

/* The client's counters. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT (NULL, struct_size smaller than
 * offsetof(ly_stats, dropped_oversized)). */
LY_API int ly_client_stats(ly_client *client, ly_stats *stats);

/* Writes the client's id into *id. Errors: LY_ERR_INVALID_HANDLE,
 * LY_ERR_INVALID_ARGUMENT. */
LY_API int ly_client_id_of(ly_client *client, ly_client_id *id);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTYEAR_CONN_H */
