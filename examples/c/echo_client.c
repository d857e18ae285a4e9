/* echo_client: connects to echo_server, sends N payloads and waits until
 * every one has come back unchanged.
 *
 *   echo_client --token-file FILE [--count N] [--size BYTES] [--timeout S]
 *   echo_client --address ADDR [--client-id ID] [--key HEX64] [--protocol ID] ...
 *
 * The first form is the real one: a token made by a backend (see
 * token_backend). The second makes its own token with the servers'
 * private key, which only trusted setups and tests may do.
 * Exits 0 when all echoes arrived, 1 on failure or timeout. */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: echo_client --token-file FILE [--count N] [--size BYTES] [--timeout S]\n"
    "       echo_client --address ADDR [--client-id ID] [--key HEX64] [--protocol ID] [...]\n"
    "  --token-file  a connect token, binary or hex (as token_backend writes)\n"
    "  --address     server address, to make a token here (manual mode)\n"
    "  --client-id   manual mode: the client id (default 1)\n"
    "  --key         manual mode: the servers' private key as hex (default: the dev key)\n"
    "  --protocol    manual mode: protocol id, decimal or 0x-hex\n"
    "  --count       payloads to send (default 10)\n"
    "  --size        bytes per payload, 4..1200 (default 64)\n"
    "  --timeout     give up after this many seconds (default 10)\n";

#define TICK_SECONDS (1.0 / 60.0)
/* Payloads in flight at once, so a large --count does not overflow the
 * socket buffers. */
#define WINDOW 32

struct options {
    const char *token_file;
    const char *address;
    uint64_t client_id;
    uint64_t protocol_id;
    const char *key_hex;
    uint32_t count;
    uint32_t size;
    double timeout;
};

static void parse_args(int argc, char **argv, struct options *o)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *v;

        if ((v = ex_flag(argc, argv, &i, "--token-file")) != NULL) {
            o->token_file = v;
        } else if ((v = ex_flag(argc, argv, &i, "--address")) != NULL) {
            o->address = v;
        } else if ((v = ex_flag(argc, argv, &i, "--client-id")) != NULL) {
            if (ex_parse_u64(v, &o->client_id) != 0)
                ex_usage_error(usage, "bad --client-id: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--key")) != NULL) {
            o->key_hex = v;
        } else if ((v = ex_flag(argc, argv, &i, "--protocol")) != NULL) {
            if (ex_parse_u64(v, &o->protocol_id) != 0)
                ex_usage_error(usage, "bad --protocol: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--count")) != NULL) {
            if (ex_parse_u32(v, &o->count) != 0 || o->count == 0)
                ex_usage_error(usage, "bad --count: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--size")) != NULL) {
            /* 4 bytes carry the payload's index. */
            if (ex_parse_u32(v, &o->size) != 0 || o->size < 4 || o->size > LY_MAX_PAYLOAD_SIZE)
                ex_usage_error(usage, "bad --size: %s (4..1200)", v);
        } else if ((v = ex_flag(argc, argv, &i, "--timeout")) != NULL) {
            if (ex_parse_seconds(v, &o->timeout) != 0)
                ex_usage_error(usage, "bad --timeout: %s", v);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(EX_OK);
        } else {
            ex_usage_error(usage, "unknown argument: %s", argv[i]);
        }
    }
    if ((o->token_file == NULL) == (o->address == NULL))
        ex_usage_error(usage, "give either --token-file or --address%s", "");
}

/* Reads a token file: LY_CONNECT_TOKEN_SIZE raw bytes, or their hex. */
static int read_token(const char *path, uint8_t token[LY_CONNECT_TOKEN_SIZE])
{
    static char text[4 * LY_CONNECT_TOKEN_SIZE + 1];
    size_t len;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        perror(path);
        return -1;
    }
    len = fread(text, 1, sizeof text, f);
    fclose(f);
    if (len == LY_CONNECT_TOKEN_SIZE) {
        memcpy(token, text, len);
        return 0;
    }
    if (ex_hex_decode(text, len, token, LY_CONNECT_TOKEN_SIZE) == LY_CONNECT_TOKEN_SIZE)
        return 0;
    fprintf(stderr, "%s: not a connect token (%d raw bytes or their hex expected)\n", path, LY_CONNECT_TOKEN_SIZE);
    return -1;
}

static ly_client *create_client(const struct options *o)
{
    ly_client *client = NULL;
    int rc;

    if (o->token_file != NULL) {
        uint8_t token[LY_CONNECT_TOKEN_SIZE];

        if (read_token(o->token_file, token) != 0)
            exit(EX_FAILED);
        rc = ly_client_create(token, sizeof token, NULL, &client);
        if (rc < 0)
            ex_die("ly_client_create", rc);
    } else {
        uint8_t key[LY_KEY_SIZE];

        if (ex_parse_key(o->key_hex, key) != 0)
            ex_usage_error(usage, "--key must be 64 hex characters, not '%s'", o->key_hex);
        rc = ly_client_create_manual(o->address, o->client_id, o->protocol_id, key, sizeof key, NULL, &client);
        if (rc < 0)
            ex_die("ly_client_create_manual", rc);
    }
    return client;
}

/* Payload i: its index in the first 4 bytes, then a pattern of i. */
static void fill_payload(uint8_t *p, uint32_t size, uint32_t index)
{
    uint32_t j;

    p[0] = (uint8_t)index;
    p[1] = (uint8_t)(index >> 8);
    p[2] = (uint8_t)(index >> 16);
    p[3] = (uint8_t)(index >> 24);
    for (j = 4; j < size; j++)
        p[j] = (uint8_t)(index * 131u + j * 7u);
}

/* Checks one echo against what was sent; returns 0 if it is new and
 * intact. */
static int check_echo(const uint8_t *p, int size, const struct options *o, const uint32_t *sent_count, uint8_t *seen)
{
    uint8_t expected[LY_MAX_PAYLOAD_SIZE];
    uint32_t index;

    if (size != (int)o->size) {
        fprintf(stderr, "echo of %d bytes, expected %u\n", size, o->size);
        return -1;
    }
    index = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (index >= *sent_count || seen[index]) {
        fprintf(stderr, "unexpected echo with index %u\n", index);
        return -1;
    }
    fill_payload(expected, o->size, index);
    if (memcmp(p, expected, o->size) != 0) {
        fprintf(stderr, "echo %u differs from what was sent\n", index);
        return -1;
    }
    seen[index] = 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {NULL, NULL, 1, EX_DEFAULT_PROTOCOL, EX_DEV_KEY_HEX, 10, 64, 10.0};
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    uint8_t *seen;
    ly_client *client;
    uint32_t sent = 0, received = 0;
    int state = LY_STATE_DISCONNECTED, last_state = LY_STATE_DISCONNECTED;
    double start, last, connected_at = 0.0;
    int status = EX_FAILED;
    int rc;

    parse_args(argc, argv, &o);
    seen = calloc(o.count, 1);
    if (seen == NULL) {
        fprintf(stderr, "out of memory\n");
        return EX_FAILED;
    }
    client = create_client(&o);
    if ((rc = ly_client_connect(client)) < 0)
        ex_die("ly_client_connect", rc);
    printf("state: %s\n", ly_state_string(last_state));

    start = last = ex_now();
    for (;;) {
        double now = ex_now();

        if (now - start > o.timeout) {
            fprintf(stderr, "timed out after %.1f s: %u sent, %u echoed\n", o.timeout, sent, received);
            break;
        }
        if ((rc = ly_client_update(client, now - last)) < 0) {
            ex_report("ly_client_update", rc);
            break;
        }
        last = now;

        if ((rc = ly_client_get_state(client, &state)) < 0) {
            ex_report("ly_client_get_state", rc);
            break;
        }
        if (state != last_state) {
            printf("state: %s\n", ly_state_string(state));
            fflush(stdout);
            last_state = state;
            if (state == LY_STATE_CONNECTED)
                connected_at = now;
        }
        if (state != LY_STATE_CONNECTED && (state < 0 || sent > 0)) {
            rc = ly_client_disconnect_reason(client);
            fprintf(stderr, "connection ended: %s\n", rc < 0 ? ly_error_string(rc) : ly_reason_string(rc));
            break;
        }

        /* Everything that arrived; a full-size buffer always fits. */
        while ((rc = ly_client_receive(client, buf, sizeof buf, NULL)) > 0) {
            if (check_echo(buf, rc, &o, &sent, seen) != 0)
                goto done;
            received++;
        }
        if (rc < 0) {
            ex_report("ly_client_receive", rc);
            break;
        }
        if (received == o.count) {
            printf("%u payloads of %u bytes echoed in %.0f ms\n", received, o.size, (ex_now() - connected_at) * 1e3);
            status = EX_OK;
            break;
        }

        for (; state == LY_STATE_CONNECTED && sent < o.count && sent - received < WINDOW; sent++) {
            fill_payload(buf, o.size, sent);
            if ((rc = ly_client_send(client, buf, o.size)) < 0) {
                ex_report("ly_client_send", rc);
                goto done;
            }
        }
        ex_sleep(TICK_SECONDS - (ex_now() - now));
    }

done:
    /* Destroy sends the disconnect packets, so the server frees the slot
     * at once instead of timing the client out. */
    if ((rc = ly_client_destroy(client)) < 0)
        status = ex_report("ly_client_destroy", rc);
    ly_shutdown();
    free(seen);
    return status;
}
