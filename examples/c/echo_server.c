/* echo_server: a netcode.io server that sends every payload back to the
 * client that sent it. Drives the library from a 60 Hz loop, as a game
 * server would, and drains events with one batch poll per tick.
 *
 *   echo_server [--address 127.0.0.1:40000] [--public ADDR] [--key HEX64]
 *               [--protocol ID] [--max-clients N] [--seconds S]
 *
 * Prints "listening on <address>" once bound (with the real port when
 * --address ends in :0), then one line per connect and disconnect. Stops
 * on SIGINT/SIGTERM or after --seconds. */
#define _XOPEN_SOURCE 700 /* sigaction with SA_ONSTACK, nanosleep under -std=c99 */

#include "common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: echo_server [--address ADDR] [--public ADDR] [--key HEX64] [--protocol ID]\n"
    "                   [--max-clients N] [--seconds S]\n"
    "  --address      addresses to bind (default " EX_DEFAULT_ADDRESS "; port 0 picks one)\n"
    "  --public       addresses written in tokens (default: the bound ones)\n"
    "  --key          the 32-byte private key shared with the token backend, as hex\n"
    "  --protocol     protocol id, decimal or 0x-hex\n"
    "  --max-clients  clients connected at once (default 256)\n"
    "  --seconds      stop after this long (default 0: run until SIGINT/SIGTERM)\n";

#define TICK_SECONDS (1.0 / 60.0)
#define MAX_EVENTS 64

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

#ifdef _WIN32
/* Ctrl-C (SIGINT) and SIGTERM through the C runtime: Windows has no
 * sigaction, and the Go runtime does not use signals there. */
static void install_signal_handlers(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}
#else
static void install_signal_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* The Go runtime inside the library requires SA_ONSTACK on every
     * handler: the signal may land on one of its threads. */
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
#endif

static void parse_args(int argc, char **argv, ly_server_config *config, double *run_seconds)
{
    const char *key_hex = EX_DEV_KEY_HEX;
    int i;

    for (i = 1; i < argc; i++) {
        const char *v;

        if ((v = ex_flag(argc, argv, &i, "--address")) != NULL) {
            config->bind_addresses = v;
        } else if ((v = ex_flag(argc, argv, &i, "--public")) != NULL) {
            config->public_addresses = v;
        } else if ((v = ex_flag(argc, argv, &i, "--key")) != NULL) {
            key_hex = v;
        } else if ((v = ex_flag(argc, argv, &i, "--protocol")) != NULL) {
            if (ex_parse_u64(v, &config->protocol_id) != 0)
                ex_usage_error(usage, "bad --protocol: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--max-clients")) != NULL) {
            if (ex_parse_u32(v, &config->max_clients) != 0)
                ex_usage_error(usage, "bad --max-clients: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--seconds")) != NULL) {
            if (ex_parse_seconds(v, run_seconds) != 0)
                ex_usage_error(usage, "bad --seconds: %s", v);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(EX_OK);
        } else {
            ex_usage_error(usage, "unknown argument: %s", argv[i]);
        }
    }
    if (ex_parse_key(key_hex, config->private_key) != 0)
        ex_usage_error(usage, "--key must be 64 hex characters, not '%s'", key_hex);
}

static void print_addresses(ly_server *server)
{
    char address[LY_ADDRESS_STRING_SIZE];
    uint32_t i;

    for (i = 0;; i++) {
        int rc = ly_server_address(server, i, address, sizeof address);

        if (rc == LY_ERR_INVALID_ARGUMENT && i > 0)
            break; /* past the last bound address */
        if (rc < 0)
            ex_die("ly_server_address", rc);
        printf("listening on %s\n", address);
    }
}

/* Handles one event; returns 0, or a negative code to stop the server. */
static int handle_event(ly_server *server, const ly_event *ev, const uint8_t *payloads, uint64_t *echoed)
{
    char id[64];
    char address[LY_ADDRESS_STRING_SIZE];
    int rc;

    ex_client_id_string(ev->client, id, sizeof id);
    switch (ev->type) {
    case LY_EVENT_CONNECTED:
        rc = ly_server_client_address(server, ev->client, address, sizeof address);
        if (rc < 0) /* the client may already be gone again: not fatal */
            snprintf(address, sizeof address, "? (%s)", ly_error_string(rc));
        printf("connected: %s from %s (%d connected)\n", id, address, ly_server_num_connected(server));
        return 0;
    case LY_EVENT_DISCONNECTED:
        printf("disconnected: %s, %s (%d connected)\n", id, ly_reason_string((int)ev->reason),
               ly_server_num_connected(server));
        return 0;
    case LY_EVENT_PAYLOAD:
        rc = ly_server_send(server, ev->client, payloads + ev->payload_offset, ev->payload_size);
        if (rc == LY_ERR_UNKNOWN_CLIENT) {
            /* It disconnected after sending: its disconnect event follows. */
            ex_report("ly_server_send", rc);
            return 0;
        }
        if (rc < 0) {
            ex_report("ly_server_send", rc);
            return rc;
        }
        (*echoed)++;
        return 0;
    default:
        fprintf(stderr, "unexpected event type %u\n", ev->type);
        return 0;
    }
}

int main(int argc, char **argv)
{
    static uint8_t payloads[MAX_EVENTS * LY_MAX_PAYLOAD_SIZE]; /* always fits a full batch */
    ly_event events[MAX_EVENTS];
    ly_server_config config;
    ly_server *server = NULL;
    double run_seconds = 0.0;
    double start, last;
    uint64_t echoed = 0;
    int status = EX_OK;
    int rc;

    ly_server_config_defaults(&config);
    config.protocol_id = EX_DEFAULT_PROTOCOL;
    config.bind_addresses = EX_DEFAULT_ADDRESS;
    parse_args(argc, argv, &config, &run_seconds);
    install_signal_handlers();

    if ((rc = ly_server_create(&config, &server)) < 0)
        ex_die("ly_server_create", rc);
    if ((rc = ly_server_start(server)) < 0)
        ex_die("ly_server_start", rc);
    print_addresses(server);
    fflush(stdout); /* scripts wait for the "listening on" line */

    start = last = ex_now();
    while (!stop_requested) {
        double now = ex_now();
        int n = 0, i;

        if (run_seconds > 0.0 && now - start >= run_seconds)
            break;
        if ((rc = ly_server_update(server, now - last)) < 0) {
            status = ex_report("ly_server_update", rc);
            break;
        }
        last = now;

        /* Drain every event of this tick; a payload buffer of
         * MAX_EVENTS * LY_MAX_PAYLOAD_SIZE never stops a batch early. */
        while (status == EX_OK && (n = ly_server_poll_batch(server, events, MAX_EVENTS, payloads, sizeof payloads)) > 0) {
            for (i = 0; i < n && status == EX_OK; i++)
                if (handle_event(server, &events[i], payloads, &echoed) < 0)
                    status = EX_FAILED;
        }
        if (n < 0)
            status = ex_report("ly_server_poll_batch", n);
        if (status != EX_OK)
            break;
        fflush(stdout);
        ex_sleep(TICK_SECONDS - (ex_now() - now));
    }

    printf("stopping: %s, %llu payloads echoed\n", stop_requested ? "signal" : "done", (unsigned long long)echoed);
    /* Destroy tells every connected client before closing the sockets. */
    if ((rc = ly_server_destroy(server)) < 0)
        status = ex_report("ly_server_destroy", rc);
    ly_shutdown();
    return status;
}
