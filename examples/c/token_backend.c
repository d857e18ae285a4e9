/* token_backend: what a game's backend service does for each player who
 * logs in: makes a connect token for one client, sealed with the private
 * key it shares with the servers. A real backend hands the token over
 * TLS; this one writes it to a file or prints it as hex.
 *
 *   token_backend [--client-id ID] [--address ADDRS] [--key HEX64]
 *                 [--protocol ID] [--expire S] [--timeout S]
 *                 [--user-data TEXT] [--out FILE]
 *
 * The token's public part (what any client can read) goes to stderr. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: token_backend [--client-id ID] [--address ADDRS] [--key HEX64] [--protocol ID]\n"
    "                     [--expire S] [--timeout S] [--user-data TEXT] [--out FILE]\n"
    "  --client-id  the player's id (default 1)\n"
    "  --address    server addresses the client tries in order, separated by spaces\n"
    "               or commas (also --addresses; default " EX_DEFAULT_ADDRESS ")\n"
    "  --key        the servers' 32-byte private key as hex (default: the dev key)\n"
    "  --protocol   protocol id, decimal or 0x-hex\n"
    "  --expire     seconds until the token is refused, negative: never (default 30)\n"
    "  --timeout    connection timeout in seconds, 0: none (default 5)\n"
    "  --user-data  up to 256 bytes the server sees for this client\n"
    "  --out        write the binary token here (default: hex on stdout)\n";

static int64_t parse_i64(const char *flag, const char *text)
{
    char *end;
    long long value = strtoll(text, &end, 10);

    if (end == text || *end != '\0')
        ex_usage_error(usage, "bad %s value", flag);
    return (int64_t)value;
}

static void parse_args(int argc, char **argv, ly_token_params *p, const char **key_hex, const char **out_path)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *v;

        if ((v = ex_flag(argc, argv, &i, "--client-id")) != NULL) {
            if (ex_parse_u64(v, &p->client_id) != 0)
                ex_usage_error(usage, "bad --client-id: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--address")) != NULL ||
                   (v = ex_flag(argc, argv, &i, "--addresses")) != NULL) {
            p->public_addresses = v;
        } else if ((v = ex_flag(argc, argv, &i, "--key")) != NULL) {
            *key_hex = v;
        } else if ((v = ex_flag(argc, argv, &i, "--protocol")) != NULL) {
            if (ex_parse_u64(v, &p->protocol_id) != 0)
                ex_usage_error(usage, "bad --protocol: %s", v);
        } else if ((v = ex_flag(argc, argv, &i, "--expire")) != NULL) {
            p->expire_seconds = parse_i64("--expire", v);
        } else if ((v = ex_flag(argc, argv, &i, "--timeout")) != NULL) {
            int64_t t = parse_i64("--timeout", v);

            if (t < INT32_MIN || t > INT32_MAX)
                ex_usage_error(usage, "--timeout out of range: %s", v);
            p->timeout_seconds = (int32_t)t;
        } else if ((v = ex_flag(argc, argv, &i, "--user-data")) != NULL) {
            /* Passed as is: the library rejects more than 256 bytes. */
            p->user_data = (const uint8_t *)v;
            p->user_data_size = (uint32_t)strlen(v);
        } else if ((v = ex_flag(argc, argv, &i, "--out")) != NULL) {
            *out_path = v;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(EX_OK);
        } else {
            ex_usage_error(usage, "unknown argument: %s", argv[i]);
        }
    }
}

static void print_public_part(const uint8_t *token, uint32_t size)
{
    ly_token_info info;
    char address[LY_ADDRESS_STRING_SIZE];
    uint32_t i;
    int rc;

    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if ((rc = ly_token_read(token, size, &info)) < 0)
        ex_die("ly_token_read", rc);
    fprintf(stderr, "protocol id: 0x%016llx\n", (unsigned long long)info.protocol_id);
    fprintf(stderr, "created:     %llu (unix seconds)\n", (unsigned long long)info.create_timestamp);
    if (info.expire_timestamp == LY_NEVER_EXPIRES)
        fprintf(stderr, "expires:     never\n");
    else
        fprintf(stderr, "expires:     %llu (in %llu s)\n", (unsigned long long)info.expire_timestamp,
                (unsigned long long)(info.expire_timestamp - info.create_timestamp));
    if (info.timeout_seconds > 0)
        fprintf(stderr, "timeout:     %d s\n", (int)info.timeout_seconds);
    else
        fprintf(stderr, "timeout:     none\n");
    for (i = 0; i < info.num_addresses; i++) {
        if ((rc = ly_token_address(token, size, i, address, sizeof address)) < 0)
            ex_die("ly_token_address", rc);
        fprintf(stderr, "server %u:    %s\n", i, address);
    }
}

static int write_token(const uint8_t *token, uint32_t size, const char *path)
{
    uint32_t i;

    if (path == NULL) {
        for (i = 0; i < size; i++)
            printf("%02x", token[i]);
        printf("\n");
        return fflush(stdout) == 0 ? 0 : -1;
    }
    {
        FILE *f = fopen(path, "wb");
        int ok;

        if (f == NULL) {
            perror(path);
            return -1;
        }
        ok = fwrite(token, 1, size, f) == size;
        ok = (fclose(f) == 0) && ok;
        if (!ok)
            perror(path);
        return ok ? 0 : -1;
    }
}

int main(int argc, char **argv)
{
    uint8_t token[LY_CONNECT_TOKEN_SIZE];
    uint8_t key[LY_KEY_SIZE];
    ly_token_params params;
    const char *key_hex = EX_DEV_KEY_HEX;
    const char *out_path = NULL;
    int rc;

    ly_token_params_defaults(&params);
    params.protocol_id = EX_DEFAULT_PROTOCOL;
    params.client_id = 1;
    params.public_addresses = EX_DEFAULT_ADDRESS;
    parse_args(argc, argv, &params, &key_hex, &out_path);
    if (ex_parse_key(key_hex, key) != 0)
        ex_usage_error(usage, "--key must be 64 hex characters, not '%s'", key_hex);
    params.private_key = key;

    if ((rc = ly_token_generate(&params, token, sizeof token)) < 0)
        return ex_report("ly_token_generate", rc);
    print_public_part(token, sizeof token);
    if (write_token(token, sizeof token, out_path) != 0)
        return EX_FAILED;
    return EX_OK;
}
